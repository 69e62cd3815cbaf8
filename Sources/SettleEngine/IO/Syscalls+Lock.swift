#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// The calls behind the job lock (`JobLock`): a lock file opened without following a link, and
/// `flock(2)` on it. Kept beside `Syscalls.swift`, one thin function each, every one retrying `EINTR`.
extension Syscalls {
    /// Opens the lock file `path` read-write (`O_NOFOLLOW`: a symbolic link there fails with `ELOOP`);
    /// creates it 0600 when `create`.
    static func openLockFile(_ path: String, create: Bool) throws(Errno) -> Int32 {
        let flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = PathText.withCString(path) { path in retryingInterrupts { lock_open(path, flags, 0o600) } }
        if fd < 0 { throw Errno(rawValue: errno) }
        return fd
    }

    /// Takes the exclusive lock of `fd` without waiting; false when another open file holds it.
    static func tryLock(_ fd: Int32) throws(Errno) -> Bool {
        if retryingInterrupts({ flock(fd, LOCK_EX | LOCK_NB) }) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw Errno(rawValue: errno)
    }

    static func unlock(_ fd: Int32) {
        _ = retryingInterrupts { flock(fd, LOCK_UN) }
    }

    /// Makes `bytes` the whole content of the open file `fd` (truncate, then write at offset 0).
    static func replaceContents(_ fd: Int32, with bytes: [UInt8]) throws(Errno) {
        if retryingInterrupts({ ftruncate(fd, 0) }) != 0 { throw Errno(rawValue: errno) }
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                retryingInterrupts { pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(done)) }
            }
            if count < 0 { throw Errno(rawValue: errno) }
            done += count
        }
    }
}

private func lock_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
