import ArgumentParser
import SettleEngine

@main
struct Settle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Aggregate and reconcile card-network settlement files.",
        discussion: ExitStatus.table,
        version: "0.1.0",
        subcommands: [
            AggregateCommand.self,
            InspectCommand.self,
            LayoutCommand.self,
            GenerateCommand.self,
        ]
    )
}
