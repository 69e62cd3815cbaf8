import ArgumentParser
import SettleEngine

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print parsed records.")
    func run() throws {}
}
