import Foundation

/// The real `settle` run as a child process that a test can watch, signal and wait for, always with
/// a deadline: a child still running at its deadline is killed (by its pid) and reported as timed
/// out, so no test can hang on it.
final class SettleChild: Sendable {
    let child: ChildProcess
    let arguments: [String]
    private let capture: TemporaryDirectory

    /// Starts `settle ARGUMENTS` with `environment` added to the test's own.
    init(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws {
        self.arguments = arguments
        capture = try TemporaryDirectory(prefix: "child")
        child = try ChildProcess(try SettleBinary.path(), arguments, environment: environment, directory: directory,
                                 stdout: capture.file("out"), stderr: capture.file("err"))
    }

    deinit {
        child.kill()
        capture.remove()
    }

    var isRunning: Bool { child.poll() == nil }

    func signal(_ number: Int32) { child.signal(number) }

    /// Waits at most `seconds` for the child to end (then kills it) and returns what it left.
    func finish(within seconds: Double) async -> ProcessOutcome {
        let deadline = Date().addingTimeInterval(seconds)
        while child.poll() == nil && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        let timedOut = child.poll() == nil
        if timedOut { child.kill() }
        let ended = child.poll() ?? (SIGKILL, true)
        return ProcessOutcome(commandLine: "settle " + arguments.joined(separator: " "), status: ended.status,
                              signalled: ended.signalled, timedOut: timedOut,
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
