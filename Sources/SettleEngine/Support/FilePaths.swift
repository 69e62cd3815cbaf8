/// Paths as the file system resolves them, for the checks a run makes before it touches anything
/// (is this output one of the inputs, is the input inside the work directory). Components that do
/// not exist yet (an output directory to be created) are appended to the nearest existing ancestor's
/// resolved path, so an output can be compared before it exists.
package enum FilePaths {
    /// `path` absolute, with `.`, `..` and every symbolic link resolved, the last component included.
    package static func resolved(_ path: String) -> String {
        let absolute = absolute(path)
        if let real = Syscalls.realPath(absolute) { return real }
        let (parent, last) = split(absolute)
        guard let parent else { return "/" }
        return appending(last, to: resolved(parent))
    }

    /// The name `path` gives in its resolved directory: what a rename to `path` replaces (a symbolic
    /// link named `path` is replaced, not followed).
    package static func named(_ path: String) -> String {
        let (parent, last) = split(absolute(path))
        guard let parent, last != ".", last != ".." else { return resolved(path) }
        return appending(last, to: resolved(parent))
    }

    /// Every resolved form of `path`: its name and, when it is a link, its target.
    package static func forms(_ path: String) -> Set<String> { [named(path), resolved(path)] }

    /// True when `path` is strictly inside `directory` (both resolved).
    package static func isInside(_ path: String, _ directory: String) -> Bool {
        directory == "/" ? path != "/" : path.hasPrefix(directory + "/")
    }

    /// The last component of `path`.
    package static func lastComponent(_ path: String) -> String { split(absolute(path)).last }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (Syscalls.currentDirectory ?? ".") + "/" + path
    }

    /// The parent (nil for `/`) and last component of an absolute path.
    private static func split(_ absolute: String) -> (parent: String?, last: String) {
        let parts = absolute.split(separator: "/")
        guard let last = parts.last else { return (nil, "") }
        return ("/" + parts.dropLast().joined(separator: "/"), String(last))
    }

    private static func appending(_ name: String, to directory: String) -> String {
        switch name {
        case ".": return directory
        case "..": return split(directory).parent ?? "/"
        default: return directory == "/" ? "/" + name : directory + "/" + name
        }
    }
}
