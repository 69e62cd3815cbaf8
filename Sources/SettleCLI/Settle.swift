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
            ResumeCommand.self,
            StatusCommand.self,
            InspectCommand.self,
            LayoutCommand.self,
            GenerateCommand.self,
            PlanCommand.self,
            MapCommand.self,
            ReduceCommand.self,
            FinalizeCommand.self,
        ]
    )
}
