import ArgumentParser
import SettleEngine

struct AggregateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "aggregate", abstract: "Aggregate settlement files into per-merchant totals.")
    func run() throws {}
}
