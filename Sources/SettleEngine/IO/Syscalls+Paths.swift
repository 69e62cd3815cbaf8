#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Which file a path names: the device and inode of what it resolves to (symbolic links followed),
/// so that two paths, a hard link or a symbolic link to one file compare equal.
package struct FileIdentity: Hashable, Sendable {
    package var device: UInt64
    package var inode: UInt64
}

/// The system calls behind Settle's path safety: identities, link-aware status, canonical paths and
/// a tree removal that never follows a symbolic link (`openat`/`unlinkat` from descriptors opened
/// `O_NOFOLLOW`, as `rm -r` does). Kept beside `Syscalls.swift`, one thin function each.
extension Syscalls {
    /// The identity of what `path` resolves to; nil when it does not exist or cannot be reached.
    static func identity(_ path: String) -> FileIdentity? {
        try? resolvedIdentity(path)
    }

    /// The identity of what `path` resolves to, or why it cannot be reached.
    static func resolvedIdentity(_ path: String) throws(Errno) -> FileIdentity {
        var info = Glibc.stat()
        let result = PathText.withCString(path) { path in retryingInterrupts { paths_stat(path, &info) } }
        guard result == 0 else { throw Errno(rawValue: errno) }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// What `path` itself is (a symbolic link is not followed); nil when there is nothing there.
    enum EntryKind { case directory, symbolicLink, other }

    static func entryKind(_ path: String) -> EntryKind? {
        try? linkKind(path)
    }

    /// `lstat(2)` of `path`: what it is itself, or why it cannot be told (`ENOENT`, `EACCES`,
    /// `ENOTDIR`, `ELOOP` for a loop in the directories above it, ...).
    static func linkKind(_ path: String) throws(Errno) -> EntryKind {
        var info = Glibc.stat()
        guard PathText.withCString(path, { path in retryingInterrupts { lstat(path, &info) } }) == 0 else {
            throw Errno(rawValue: errno)
        }
        return kind(info.st_mode)
    }

    /// `realpath(3)`: the absolute path with every symbolic link and `.`/`..` resolved; nil when
    /// the path does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = PathText.withCString(path, { realpath($0, nil) }) else { return nil }
        defer { free(resolved) }
        return PathText.decode(cString: resolved)
    }

    static var currentDirectory: String? {
        guard let path = getcwd(nil, 0) else { return nil }
        defer { free(path) }
        return PathText.decode(cString: path)
    }

    static func environment(_ name: String) -> String? { getenv(name).map { PathText.decode(cString: $0) } }

    /// True unless `kill(pid, 0)` says there is no such process on this host.
    static func processExists(_ processID: Int) -> Bool {
        guard processID > 0, processID <= Int(Int32.max) else { return false }
        return kill(pid_t(processID), 0) == 0 || errno != ESRCH
    }

    /// Removes `path`: a file or a symbolic link is unlinked (a link's target is never touched), a
    /// directory is emptied through a descriptor of its own and removed. Failures leave entries in
    /// place (a removal is a clean-up; nothing depends on it).
    static func removeTree(_ path: String) {
        guard let kind = entryKind(path) else { return }
        guard kind == .directory else {
            _ = PathText.withCString(path) { path in retryingInterrupts { paths_unlink(path) } }
            return
        }
        let fd = PathText.withCString(path) { path in
            retryingInterrupts { paths_open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
        guard fd >= 0 else { return }
        removeContents(of: fd)
        close(fd)
        _ = PathText.withCString(path) { path in retryingInterrupts { paths_rmdir(path) } }
    }

    /// Removes every entry of the open directory `directory`, depth first, never following a link:
    /// each entry's type comes from `fstatat(AT_SYMLINK_NOFOLLOW)` and each subdirectory is opened
    /// `O_NOFOLLOW` relative to its parent, so a link swapped in meanwhile is unlinked, not entered.
    private static func removeContents(of directory: Int32) {
        for name in entries(of: directory) {
            var info = Glibc.stat()
            PathText.withCString(name) { name in
                guard retryingInterrupts({ fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
                if kind(info.st_mode) == .directory {
                    let child = retryingInterrupts { openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                    guard child >= 0 else { return }
                    removeContents(of: child)
                    close(child)
                    _ = retryingInterrupts { unlinkat(directory, name, AT_REMOVEDIR) }
                } else {
                    _ = retryingInterrupts { unlinkat(directory, name, 0) }
                }
            }
        }
    }

    /// The names in an open directory (its own descriptor stays open: `fdopendir` gets a duplicate).
    private static func entries(of directory: Int32) -> [String] {
        let copy = dup(directory)
        guard copy >= 0 else { return [] }
        guard let stream = fdopendir(copy) else {
            close(copy)
            return []
        }
        defer { closedir(stream) }
        return names(in: stream)
    }

    private static func kind(_ mode: mode_t) -> EntryKind {
        switch mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFLNK: .symbolicLink
        default: .other
        }
    }
}

// Names that avoid clashing with the wrappers of `Syscalls`.
private func paths_stat(_ path: UnsafePointer<CChar>, _ info: inout Glibc.stat) -> Int32 { stat(path, &info) }
private func paths_open(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { open(path, flags) }
private func paths_unlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
private func paths_rmdir(_ path: UnsafePointer<CChar>) -> Int32 { rmdir(path) }
