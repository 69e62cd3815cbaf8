#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSettleShims
import SystemPackage

/// The calls `settle watch` needs beyond the job's: the identity of an inbox entry without following
/// links, the device a directory lives on, a rename that never replaces, and an append that is durable.
extension Syscalls {
    /// What an inbox entry is, by `lstat(2)`: a link is reported as a link, never followed.
    struct EntryStatus: Equatable {
        var device: UInt64
        var inode: UInt64
        var sizeBytes: Int
        var isRegular: Bool
        var modificationNanoseconds: Int64
    }

    static func entryStatus(_ path: String) -> EntryStatus? {
        var info = Glibc.stat()
        let result = PathText.withCString(path) { path in retryingInterrupts { watch_lstat(path, &info) } }
        guard result == 0 else { return nil }
        return EntryStatus(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), sizeBytes: Int(info.st_size),
                           isRegular: info.st_mode & S_IFMT == S_IFREG,
                           modificationNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// `rename(2)` that fails with `EEXIST` rather than replace `to` (renameat2 `RENAME_NOREPLACE`).
    static func renameNoReplace(_ from: String, _ to: String) throws(Errno) {
        let result = PathText.withCString(from) { from in
            PathText.withCString(to) { to in retryingInterrupts { settle_rename_noreplace(from, to) } }
        }
        if result != 0 { throw Errno(rawValue: errno) }
    }

    /// Appends `bytes` to `path` (created 0600 if missing) with one `write`, then fsyncs the file and,
    /// when it was created, its directory: the bytes are durable when this returns.
    static func appendDurably(_ bytes: [UInt8], to path: String) throws {
        let existed = stat(path) != nil
        let fd = try FileDescriptor.open(FilePath(settlePath: path), .writeOnly, options: [.create, .append, .closeOnExec],
                                         permissions: [.ownerReadWrite])
        try fd.closeAfter {
            _ = try fd.writeAll(bytes)
            try fsync(fd)
        }
        if !existed { try fsyncDirectory(AtomicFile.split(path).directory) }
    }

    /// The local day number (year * 400 + day of year) and minute of the day of `epochSeconds`
    /// (now when nil), for `--expect`.
    static func localClock(epochSeconds: Int? = nil) -> (day: Int, minuteOfDay: Int) {
        var moment = epochSeconds.map { time_t($0) } ?? time(nil)
        var parts = tm()
        localtime_r(&moment, &parts)
        return (Int(parts.tm_year) * 400 + Int(parts.tm_yday), Int(parts.tm_hour) * 60 + Int(parts.tm_min))
    }

    /// `fnmatch(3)` without flags: `*`, `?` and `[...]` over a file name.
    static func globMatches(_ pattern: String, _ name: String) -> Bool {
        PathText.withCString(pattern) { pattern in PathText.withCString(name) { name in fnmatch(pattern, name, 0) == 0 } }
    }
}

private func watch_lstat(_ path: UnsafePointer<CChar>, _ info: inout Glibc.stat) -> Int32 { lstat(path, &info) }
