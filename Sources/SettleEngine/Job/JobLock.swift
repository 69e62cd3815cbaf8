import SystemPackage

/// The job-wide lock (`WORK/lock`, `flock`): two `aggregate` or `resume` processes never drive one
/// job directory at once. The file holds the holder's pid and host for the message the second one
/// gets. The kernel releases the lock when the process dies, however it dies.
package final class JobLock {
    private let fd: Int32
    package let path: String

    package init(directory: String) throws {
        path = directory + "/lock"
        // O_NOFOLLOW: a symbolic link named `lock` is not Settle's; the lock never truncates what it points at.
        let fd: Int32
        do throws(Errno) {
            fd = try Syscalls.openLockFile(path, create: true)
        } catch .tooManySymbolicLinkLevels {
            throw SettleError(.usage, "\(path) is a symbolic link, not Settle's lock file: Settle will not write through it; remove it or give another --work")
        } catch {
            throw SettleError(.io, "cannot open lock file \(path): \(error.explanation)")
        }
        let locked: Bool
        do throws(Errno) {
            locked = try Syscalls.tryLock(fd)
        } catch {
            Syscalls.close(fd)
            throw SettleError(.io, "cannot lock \(path): \(error.explanation)")
        }
        if !locked {
            let holder = (try? FileIO.readText(path: path))?.trimmingSpaces.replacingNewlines ?? "another process"
            Syscalls.close(fd)
            throw SettleError(.locked, "job directory \(directory) is in use by \(holder.isEmpty ? "another process" : holder); wait for it to finish or stop it first")
        }
        self.fd = fd
        let text = Array("pid \(Syscalls.processID) on host \(Syscalls.hostName)\n".utf8)
        try? Syscalls.replaceContents(fd, with: text)
    }

    deinit {
        Syscalls.unlock(fd)
        Syscalls.close(fd)
    }

    /// Who holds the lock of `directory`, or nil if nobody does.
    package static func holder(directory: String) -> String? {
        let path = directory + "/lock"
        guard let fd = try? Syscalls.openLockFile(path, create: false) else { return nil }
        defer { Syscalls.close(fd) }
        if (try? Syscalls.tryLock(fd)) == true {
            Syscalls.unlock(fd)
            return nil
        }
        return (try? FileIO.readText(path: path))?.trimmingSpaces.replacingNewlines ?? "another process"
    }
}

extension String {
    var replacingNewlines: String { split(separator: "\n").joined(separator: " ") }
}
