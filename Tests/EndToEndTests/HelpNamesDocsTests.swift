import Foundation
import Testing

/// `settle --help` and every subcommand's help say in one line where its documentation is, and the
/// page named exists.
@Suite("Help names its docs page")
struct HelpNamesDocsTests {
    static let commands: [[String]] = [
        [], ["aggregate"], ["resume"], ["status"], ["inspect"], ["layout"], ["layout", "check"], ["layout", "show"],
        ["generate"], ["plan"], ["map"], ["reduce"], ["finalize"], ["report"], ["watch"], ["publish"],
    ]

    @Test(arguments: commands)
    func helpNamesAnExistingPage(command: [String]) async throws {
        let outcome = try await Subprocess.settle(command + ["--help"])
        #expect(outcome.exitStatus == 0, "\(outcome)")
        let docsLines = outcome.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Docs: ") }
        #expect(docsLines.count == 1, "settle \(command.joined(separator: " ")) --help has no one `Docs:` line\n\(outcome)")
        for line in docsLines {
            let page = line.trimmingCharacters(in: .whitespaces).dropFirst("Docs: ".count)
                .split(whereSeparator: { $0 == " " || $0 == "," }).first.map(String.init) ?? ""
            #expect(FileManager.default.fileExists(atPath: SettleBinary.packageRoot + "/" + page), "settle \(command.joined(separator: " ")) --help names \(page), which does not exist")
        }
    }
}
