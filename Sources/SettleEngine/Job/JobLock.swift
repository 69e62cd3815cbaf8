#if canImport(Glibc)
import Glibc
#endif

/// The job-wide lock (`WORK/lock`, `flock`): two `aggregate` or `resume` processes never drive one
/// job directory at once. The file holds the holder's pid and host for the message the second one
/// gets. The kernel releases the lock when the process dies, however it dies.
public final class JobLock {
    private let fd: Int32
    public let path: String

    public init(directory: String) throws {
        path = directory + "/lock"
        // O_NOFOLLOW: a symbolic link named `lock` is not Settle's; the lock never truncates what it points at.
        let fd = PathText.withCString(path) { open($0, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 && errno == ELOOP {
            throw SettleError(.usage, "\(path) is a symbolic link, not Settle's lock file: Settle will not write through it; remove it or give another --work")
        }
        if fd < 0 { throw SettleError(.io, "cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? FileIO.readText(path: path))?.trimmingSpaces.replacingNewlines ?? "another process"
            close(fd)
            throw SettleError(.locked, "job directory \(directory) is in use by \(holder.isEmpty ? "another process" : holder); wait for it to finish or stop it first")
        }
        self.fd = fd
        let text = Array("pid \(Syscalls.processID) on host \(Syscalls.hostName)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Who holds the lock of `directory`, or nil if nobody does.
    public static func holder(directory: String) -> String? {
        let path = directory + "/lock"
        let fd = PathText.withCString(path) { open($0, O_RDWR | O_CLOEXEC) }
        if fd < 0 { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return (try? FileIO.readText(path: path))?.trimmingSpaces.replacingNewlines ?? "another process"
    }
}

extension String {
    var replacingNewlines: String { split(separator: "\n").joined(separator: " ") }
}
