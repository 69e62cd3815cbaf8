import SystemPackage

extension Errno {
    /// The failure of a call on a path in words, with what to do about it: "permission denied
    /// (EACCES): check the permissions of the file and its directories".
    var explanation: String {
        switch self {
        case .noSuchFileOrDirectory: "no such file (ENOENT): check the path"
        case .permissionDenied: "permission denied (EACCES): check the permissions of the file and of every directory above it"
        case .tooManySymbolicLinkLevels: "too many levels of symbolic links (ELOOP): a link in the path points back at itself"
        case .notDirectory: "a part of the path is not a directory (ENOTDIR)"
        case .fileNameTooLong: "the path is too long (ENAMETOOLONG)"
        case .isDirectory: "it is a directory (EISDIR): give a file"
        default: "\(description) (errno \(rawValue))"
        }
    }
}

extension Syscalls {
    /// `status(path)`, or a `SettleError` saying why the file cannot be used, naming it as `what`
    /// (for example "input file"), with the path shown escaped.
    static func statusOrError(_ path: String, what: String) throws -> FileStatus {
        do {
            return try status(path)
        } catch {
            throw SettleError(.unreadableInput, "cannot read \(what) \(PathText.display(path)): \(error.explanation)")
        }
    }
}
