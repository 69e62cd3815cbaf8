import ArgumentParser
import Foundation
import SettleEngine
import SettlePostgres

@main
struct Settle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Aggregate and reconcile card-network settlement files.",
        discussion: ExitStatus.table + "\n\nDocs: README.md (a first read), then docs/ (one page per topic) and ARCHITECTURE.md.",
        version: "0.1.0",
        subcommands: [
            AggregateCommand.self,
            ResumeCommand.self,
            StatusCommand.self,
            InspectCommand.self,
            LayoutCommand.self,
            GenerateCommand.self,
            PlanCommand.self,
            MapCommand.self,
            ReduceCommand.self,
            FinalizeCommand.self,
            ReportCommand.self,
            PublishCommand.self,
            WatchCommand.self,
        ]
    )

    /// Runs the command, mapping argument-parser's usage errors (EX_USAGE, 64) to Settle's one
    /// exit-code table, where every could-not-run case is 2.
    static func main() {
        SettleLogging.configure(arguments: CommandLine.arguments)
        // `--ledger postgresql://...`: ledgers read from a table (SettlePostgres).
        PostgresLedgerSource.register()
        do {
            // Arguments decoded byte for byte, so a path that is not UTF-8 still names its file.
            var command = try parseAsRoot(PathText.commandLineArguments())
            try command.run()
        } catch {
            if exitCode(for: error) == ExitCode.validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(ExitStatus.couldNotRun)
            }
            exit(withError: error)
        }
    }
}
