import Foundation

/// The real `settle` run as a child process that a test can watch, signal and wait for, always with
/// a deadline: a child still running at its deadline is killed (by its pid) and reported as timed
/// out, so no test can hang on it.
final class SettleChild: @unchecked Sendable {
    let process = Process()
    let arguments: [String]
    private let capture: TemporaryDirectory

    /// Starts `settle ARGUMENTS` with `environment` added to the test's own.
    init(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws {
        self.arguments = arguments
        capture = try TemporaryDirectory(prefix: "child")
        _ = FileManager.default.createFile(atPath: capture.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: capture.file("err"), contents: nil)
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: capture.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: capture.file("err")))
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        capture.remove()
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { if process.isRunning { kill(process.processIdentifier, number) } }

    /// Waits at most `seconds` for the child to end (then kills it) and returns what it left.
    func finish(within seconds: Double) async -> ProcessOutcome {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return ProcessOutcome(commandLine: "settle " + arguments.joined(separator: " "), status: process.terminationStatus,
                              signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                              stdout: (try? String(contentsOfFile: capture.file("out"), encoding: .utf8)) ?? "",
                              stderr: (try? String(contentsOfFile: capture.file("err"), encoding: .utf8)) ?? "")
    }

    /// Runs `settle ARGUMENTS` to its end, or `seconds` (then killed and reported as timed out).
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
                    within seconds: Double = 120) async throws -> ProcessOutcome {
        try await SettleChild(arguments, environment: environment, in: directory).finish(within: seconds)
    }
}

/// Polls `condition` every 100 ms for at most `seconds`; whether it came true.
func eventually(within seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
