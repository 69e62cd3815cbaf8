import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One `settle watch` setup: an inbox and a root side by side in a temporary directory, files that
/// arrive the SFTP way (written under a .part name, then renamed), and the daemon as a child process.
struct WatchHarness: Sendable {
    let directory: TemporaryDirectory
    var inbox: String { directory.path + "/inbox" }
    var root: String { directory.path + "/root" }
    var stderrPath: String { directory.path + "/daemon.stderr" }

    init(_ prefix: String) throws {
        directory = try TemporaryDirectory(prefix: prefix)
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
    }

    /// Copies `source` in as `.NAME.part`, then renames it to NAME.
    func arrive(_ source: String, as name: String) throws {
        let part = inbox + "/." + name + ".part"
        try FileManager.default.copyItem(atPath: source, toPath: part)
        guard rename(part, inbox + "/" + name) == 0 else { throw FileProblem(path: part, problem: "cannot rename into the inbox") }
    }

    /// Starts the daemon (`settle watch INBOX --out ROOT ARGUMENTS`), its stderr to `stderrPath`.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = ["watch", inbox, "--out", root] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        return process
    }

    /// `settle watch INBOX --out ROOT ARGUMENTS --once` to completion.
    func once(_ arguments: [String]) async throws -> ProcessOutcome {
        try await Subprocess.settle(["watch", inbox, "--out", root, "--once"] + arguments)
    }

    /// Waits (polling) until `condition` holds; false after `seconds`.
    func waitFor(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition()
    }

    /// Waits for the daemon to exit (at most `seconds`, then kills it): its exit status, or nil if killed.
    func waitForExit(_ process: Process, seconds: Double = 60) async -> Int32? {
        let exited = await waitFor(seconds: seconds) { !process.isRunning }
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return exited && process.terminationReason == .exit ? process.terminationStatus : nil
    }

    var daemonStderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// processed/NNNNNN -> the names in it.
    func processed() -> [String: [String]] {
        var result: [String: [String]] = [:]
        for batch in names(in: root + "/processed") { result[batch] = names(in: root + "/processed/" + batch) }
        return result
    }

    /// The kinds of the registry's journal lines, in order (`opened 1`, `moved 1`, ...).
    func journal() -> [String] {
        let text = (try? String(contentsOfFile: root + "/watch.journal", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return fields.count > 2 ? "\(fields[1]) \(fields[2])" : String(line)
        }
    }

    func remove() { directory.remove() }
}

/// Totals rows summed per merchant and currency over several totals.csv files, amounts as integers
/// of minor units (the decimal point removed; one currency always has the same number of decimals).
func summedTotals(_ paths: [String]) throws -> [String: [Int]] {
    var sums: [String: [Int]] = [:]
    for path in paths {
        let table = try CSVTable(contentsOfFile: path)
        for row in table.rows {
            let key = row[0] + "," + row[1]
            let values = try row.dropFirst(2).map { field -> Int in
                guard let value = Int(field.replacingOccurrences(of: ".", with: "")) else { throw FileProblem(path: path, problem: "not a number: \(field)") }
                return value
            }
            sums[key] = zip(sums[key] ?? Array(repeating: 0, count: values.count), values).map { $0 + $1 }
        }
    }
    return sums
}

/// The size of a file in bytes, nil when it is not there.
func watchFileSize(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
}
