import Foundation

/// Where the built `settle` executable is: every end-to-end test runs this binary as a subprocess.
///
/// In order: `SETTLE_BIN`; the directory of the running test bundle (in `swift test` the `settle`
/// product sits next to the `.xctest` in the build products directory); the newest
/// `.build*/debug/settle` of the package.
enum SettleBinary {
    static let location: Result<String, LocateError> = locate()

    struct LocateError: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "cannot find the built `settle` executable; build it (swift build) or set SETTLE_BIN. Looked at:\n  "
                + searched.joined(separator: "\n  ")
        }
    }

    /// The path of the executable, or a failure that says where it looked.
    static func path() throws -> String { try location.get() }

    private static func locate() -> Result<String, LocateError> {
        var searched: [String] = []
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["SETTLE_BIN"], !override.isEmpty {
            if fileManager.isExecutableFile(atPath: override) { return .success(override) }
            return .failure(LocateError(searched: ["SETTLE_BIN=\(override) (not an executable file)"]))
        }
        for directory in runningProductDirectories() {
            let candidate = directory + "/settle"
            searched.append(candidate)
            if isExecutable(candidate) { return .success(candidate) }
        }
        var newest: (path: String, modified: Date)?
        let root = packageRoot
        let entries = (try? fileManager.contentsOfDirectory(atPath: root)) ?? []
        for entry in entries.sorted() where entry.hasPrefix(".build") {
            let candidate = "\(root)/\(entry)/debug/settle"
            searched.append(candidate)
            guard isExecutable(candidate),
                  let modified = (try? fileManager.attributesOfItem(atPath: candidate))?[.modificationDate] as? Date
            else { continue }
            if newest == nil || modified > newest!.modified { newest = (candidate, modified) }
        }
        if let newest { return .success(newest.path) }
        return .failure(LocateError(searched: searched))
    }

    /// Directories that hold the running test executable or bundle, nearest first.
    private static func runningProductDirectories() -> [String] {
        var paths: [String] = []
        if let first = CommandLine.arguments.first, first.contains("/") {
            paths.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().path)
        }
        if let executable = Bundle.main.executableURL { paths.append(executable.resolvingSymlinksInPath().path) }
        paths.append(Bundle.main.bundleURL.resolvingSymlinksInPath().path)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            paths.append(bundle.bundleURL.resolvingSymlinksInPath().path)
        }
        var directories: [String] = []
        for path in paths {
            // The executable may sit inside the bundle (macOS: X.xctest/Contents/MacOS/X): climb out of it.
            var url = URL(fileURLWithPath: path)
            if let range = path.range(of: ".xctest/") { url = URL(fileURLWithPath: String(path[..<range.lowerBound]) + ".xctest") }
            let directory = url.deletingLastPathComponent().path
            if !directories.contains(directory) { directories.append(directory) }
        }
        return directories
    }

    private static func isExecutable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    /// The package root: the nearest ancestor of this source file with a Package.swift.
    static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }
}
