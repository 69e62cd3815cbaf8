import Foundation
import Synchronization

/// What a finished subprocess left: its exit status (or the signal that ended it) and its output.
struct ProcessOutcome: Sendable, CustomStringConvertible {
    var commandLine: String
    /// The exit status, or the signal number when `signalled`.
    var status: Int32
    var signalled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String

    /// The exit status of a process that exited normally; nil if a signal ended it.
    var exitStatus: Int32? { signalled ? nil : status }

    var description: String {
        let end = signalled ? "killed by signal \(status)\(timedOut ? " (timed out)" : "")" : "exit \(status)"
        return "$ \(commandLine)\n→ \(end)\n--- stdout ---\n\(stdout.suffix(2000))\n--- stderr ---\n\(stderr.suffix(2000))"
    }
}

/// Runs programs to completion without blocking Swift's cooperative threads, a few at a time so that
/// tests running in parallel do not oversubscribe the machine.
enum Subprocess {
    /// Longest a single command may run before it is killed and reported as timed out.
    static let timeLimitSeconds = 180.0

    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) async throws -> ProcessOutcome {
        await ProcessSlots.shared.acquire()
        do {
            let outcome = try await runNow(executable, arguments, in: directory)
            await ProcessSlots.shared.release()
            return outcome
        } catch {
            await ProcessSlots.shared.release()
            throw error
        }
    }

    private static func runNow(_ executable: String, _ arguments: [String], in directory: String?) async throws -> ProcessOutcome {
        let capture = try TemporaryDirectory(prefix: "capture")
        defer { capture.remove() }
        let stdoutPath = capture.path + "/stdout"
        let stderrPath = capture.path + "/stderr"
        guard FileManager.default.createFile(atPath: stdoutPath, contents: nil),
              FileManager.default.createFile(atPath: stderrPath, contents: nil)
        else { throw FileProblem(path: capture.path, problem: "cannot create output capture files") }
        let stdoutHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let stderrHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle

        let finished = FinishFlag()
        let timedOut = FinishFlag()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in
                finished.set()
                continuation.resume()
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            // Kill only the child we started, by its id, and only while it is still running.
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeLimitSeconds) {
                if !finished.isSet {
                    timedOut.set()
                    kill(pid, SIGKILL)
                }
            }
        }
        let quoted = ([executable] + arguments).map { $0.isEmpty || $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        let commandLine = directory.map { "(cd \($0) && \(quoted))" } ?? quoted
        return ProcessOutcome(
            commandLine: commandLine,
            status: process.terminationStatus,
            signalled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut.isSet,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// Runs the built `settle` with `arguments`.
    static func settle(_ arguments: [String], in directory: String? = nil) async throws -> ProcessOutcome {
        try await run(try SettleBinary.path(), arguments, in: directory)
    }
}

/// A one-way flag shared between the termination handler and the timeout timer.
final class FinishFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// A counting semaphore for subprocesses: at most `limit` run at once.
actor ProcessSlots {
    static let shared = ProcessSlots(limit: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
