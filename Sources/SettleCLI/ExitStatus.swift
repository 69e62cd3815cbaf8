import ArgumentParser
import Foundation
import SettleEngine

/// The one table of exit statuses, shared by every subcommand.
enum ExitStatus {
    static let success: Int32 = 0
    static let findings: Int32 = 1
    static let couldNotRun: Int32 = 2
    static let interruptedSIGINT: Int32 = 130
    static let interruptedSIGTERM: Int32 = 143

    static let table = """
    EXIT STATUS (every subcommand):
      0    success: completed, no rejects, control totals agree
      1    completed with findings: rejects or control-total differences
      2    could not run: usage error, unreadable input, invalid layout, I/O error,
           a locked job directory or one that belongs to other inputs
      130  interrupted by SIGINT (resume with the same command)
      143  interrupted by SIGTERM (resume with the same command)
      (settle watch exits 0 after SIGTERM/SIGINT: a clean stop; 130/143 only at a second signal)
    """

    static func code(for error: SettleError) -> Int32 {
        switch error.code {
        case .usage, .unreadableInput, .invalidLayout, .io, .overflow, .locked, .jobChanged: return couldNotRun
        case .interrupted: return interruptedSIGTERM
        }
    }
}

/// Prints a run-stopping error the way an operator wants it: one line per problem, no type dumps.
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? SettleError {
        printError("settle: error: \(error.message)")
        return ExitCode(ExitStatus.code(for: error))
    }
    printError("settle: error: \(error)")
    return ExitCode(ExitStatus.couldNotRun)
}

func printError(_ text: String) {
    StderrSink.shared.writeLine(text, json: StderrSink.shared.format == .json ? LogRecord.json(plainLine: text) : nil)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
