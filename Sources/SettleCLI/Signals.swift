import Dispatch
import Foundation
import SettleEngine

/// SIGINT / SIGTERM for a running job: the first signal asks workers to stop handing out
/// partitions and lets those in flight finish within the grace period; then (or at a second signal)
/// the process writes an `interrupted` summary, prints how to resume, and exits 130 / 143.
final class SignalHandling: @unchecked Sendable {
    // @unchecked: `sources` is written once in `install`, before any handler can run, and only read after.
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "settle.signals")

    static func exitCode(for signal: Int32) -> Int32 {
        signal == SIGINT ? ExitStatus.interruptedSIGINT : ExitStatus.interruptedSIGTERM
    }

    static func name(_ signal: Int32) -> String { signal == SIGINT ? "SIGINT" : "SIGTERM" }

    /// Installs the handlers. `abandon` writes the interrupted summary; it is called before exiting.
    func install(shutdown: Shutdown, grace: Double, resumeHint: String, abandon: @escaping @Sendable (Int32) -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [queue] in
                let count = shutdown.request(signal: signalNumber)
                let name = Self.name(signalNumber)
                if count == 1 {
                    printError("settle: \(name) received: finishing the partitions in flight (up to \(Int(grace)) s), then stopping; a second signal stops at once")
                    queue.asyncAfter(deadline: .now() + grace) {
                        printError("settle: grace period over: abandoning the partitions in flight (they will be redone)")
                        abandon(shutdown.signal)
                        printError("settle: interrupted; resume with: \(resumeHint)")
                        exit(Self.exitCode(for: shutdown.signal))
                    }
                } else {
                    printError("settle: second signal: stopping now")
                    abandon(shutdown.signal)
                    printError("settle: interrupted; resume with: \(resumeHint)")
                    exit(Self.exitCode(for: shutdown.signal))
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// The command line as typed, quoted for a shell, for "resume with" hints.
func commandLineForShell() -> String {
    ([CommandLine.arguments.first ?? "settle"] + PathText.commandLineArguments()).map(shellQuoted).joined(separator: " ")
}

/// One argument quoted for a shell.
func shellQuoted(_ argument: String) -> String {
    // A path that is not UTF-8: bash's $'...' form, its odd bytes shown as \xNN on stderr.
    if PathText.bytes(argument) != Array(argument.utf8) {
        return "$'" + argument.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
    if argument.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) }) && !argument.isEmpty { return argument }
    return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
