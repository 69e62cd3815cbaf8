#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The raw system calls swift-system does not wrap, all in one internal file (as swift-system keeps
/// its `Internals/Syscalls.swift`). Each returns a typed result or throws `Errno`.
enum Syscalls {
    /// Runs a call that returns -1 and sets `errno` on failure (a status, a descriptor or a byte
    /// count) until it is not interrupted by a signal (`EINTR`); returns its result.
    @inline(__always)
    static func retryingInterrupts<Result: FixedWidthInteger & SignedInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    static func fsync(_ fd: FileDescriptor) throws(Errno) {
        if retryingInterrupts({ system_fsync(fd.rawValue) }) != 0 { throw Errno(rawValue: errno) }
    }

    /// Makes a rename or creation in `directory` durable.
    static func fsyncDirectory(_ directory: String) throws(Errno) {
        let fd = PathText.withCString(directory) { path in
            retryingInterrupts { system_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        if fd < 0 { throw Errno(rawValue: errno) }
        defer { _ = system_close(fd) }
        if retryingInterrupts({ system_fsync(fd) }) != 0 { throw Errno(rawValue: errno) }
    }

    static func rename(_ from: String, _ to: String) throws(Errno) {
        let result = PathText.withCString(from) { from in
            PathText.withCString(to) { to in retryingInterrupts { system_rename(from, to) } }
        }
        if result != 0 { throw Errno(rawValue: errno) }
    }

    /// Publishes `from` under the name `to` only if `to` does not exist yet (`link(2)`); returns
    /// false when another attempt has already published it.
    static func linkNoReplace(_ from: String, _ to: String) throws(Errno) -> Bool {
        let result = PathText.withCString(from) { from in
            PathText.withCString(to) { to in retryingInterrupts { system_link(from, to) } }
        }
        if result == 0 { return true }
        if errno == EEXIST { return false }
        throw Errno(rawValue: errno)
    }

    static func unlink(_ path: String) {
        _ = PathText.withCString(path) { path in retryingInterrupts { system_unlink(path) } }
    }

    static func mkdir(_ path: String, mode: mode_t) throws(Errno) {
        let result = PathText.withCString(path) { path in retryingInterrupts { system_mkdir(path, mode) } }
        if result != 0 && errno != EEXIST { throw Errno(rawValue: errno) }
    }

    static func chmod(_ path: String, mode: mode_t) {
        _ = PathText.withCString(path) { path in retryingInterrupts { system_chmod(path, mode) } }
    }

    static func rmdir(_ path: String) {
        _ = PathText.withCString(path) { path in retryingInterrupts { system_rmdir(path) } }
    }

    struct FileStatus {
        var sizeBytes: Int
        var isDirectory: Bool
        var isRegular: Bool
        var modificationSeconds: Int
        var modificationNanoseconds: Int
    }

    /// `stat(2)` of `path` (links followed), or the real reason it failed: `ENOENT`, `EACCES`,
    /// `ELOOP`, `ENOTDIR`, ...
    static func status(_ path: String) throws(Errno) -> FileStatus {
        var info = Glibc.stat()
        let result = PathText.withCString(path) { path in retryingInterrupts { system_stat(path, &info) } }
        guard result == 0 else { throw Errno(rawValue: errno) }
        let type = info.st_mode & S_IFMT
        return FileStatus(sizeBytes: Int(info.st_size), isDirectory: type == S_IFDIR, isRegular: type == S_IFREG,
                          modificationSeconds: Int(info.st_mtim.tv_sec),
                          modificationNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// `status(path)`, nil for any failure (for callers that only ask whether a file is there).
    static func stat(_ path: String) -> FileStatus? {
        try? status(path)
    }

    /// The names in directory `path`, sorted; none when it cannot be read (see `entries`).
    static func listDirectory(_ path: String) -> [String] {
        (try? entries(path)) ?? []
    }

    /// The names in directory `path` (without `.` and `..`), sorted, or why it cannot be opened.
    static func entries(_ path: String) throws(Errno) -> [String] {
        var opened = PathText.withCString(path) { opendir($0) }
        while opened == nil && errno == EINTR { opened = PathText.withCString(path) { opendir($0) } }
        guard let dir = opened else { throw Errno(rawValue: errno) }
        defer { closedir(dir) }
        return names(in: dir).sorted()
    }

    /// The names `readdir` gives for the open directory stream `stream`, without `.` and `..`.
    static func names(in stream: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { PathText.decode(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Maps `length` bytes of `fd` read-only and private.
    static func mapReadOnly(_ fd: FileDescriptor, length: Int) throws(Errno) -> UnsafeRawPointer {
        while true {
            guard let pointer = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd.rawValue, 0), pointer != MAP_FAILED else {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            return UnsafeRawPointer(pointer)
        }
    }

    static func unmap(_ pointer: UnsafeRawPointer, length: Int) {
        _ = munmap(UnsafeMutableRawPointer(mutating: pointer), length)
    }

    enum Advice { case sequential, dontNeed }

    /// Page-aligned advice; a failure only costs speed, so it is ignored.
    static func advise(_ pointer: UnsafeRawPointer, offset: Int, length: Int, _ advice: Advice) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        let end = offset + length
        guard end > start else { return }
        let value: Int32
        switch advice {
        case .sequential: value = MADV_SEQUENTIAL
        case .dontNeed: value = MADV_DONTNEED
        }
        _ = madvise(UnsafeMutableRawPointer(mutating: pointer + start), end - start, value)
    }

    /// Closes `fd`. Not retried on `EINTR`: on Linux the descriptor is released even then, and a
    /// second `close` could close a descriptor another thread has just been given.
    static func close(_ fd: Int32) {
        _ = system_close(fd)
    }

    /// Sleeps `milliseconds`, all of them: a signal that interrupts `nanosleep` (`EINTR`) only
    /// resumes the sleep with the time that was left.
    static func sleep(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: milliseconds % 1000 * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }

    static var processID: Int { Int(getpid()) }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Monotonic time in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Wall-clock time in seconds since the epoch, with nanoseconds.
    static func wallClock() -> (seconds: Int, nanoseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec))
    }

    static var processorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

// Names that avoid clashing with the wrappers above.
private func system_fsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func system_close(_ fd: Int32) -> Int32 { close(fd) }
private func system_open(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { open(path, flags) }
private func system_rename(_ a: UnsafePointer<CChar>, _ b: UnsafePointer<CChar>) -> Int32 { rename(a, b) }
private func system_link(_ a: UnsafePointer<CChar>, _ b: UnsafePointer<CChar>) -> Int32 { link(a, b) }
private func system_unlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
private func system_mkdir(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> Int32 { mkdir(path, mode) }
private func system_chmod(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> Int32 { chmod(path, mode) }
private func system_rmdir(_ path: UnsafePointer<CChar>) -> Int32 { rmdir(path) }
private func system_stat(_ path: UnsafePointer<CChar>, _ info: inout Glibc.stat) -> Int32 { stat(path, &info) }
