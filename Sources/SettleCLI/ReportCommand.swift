import ArgumentParser
import SettleEngine

/// `settle report DIR`: makes report.html again from a finished output directory's published files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.html (the morning report) from a finished --out directory.",
        discussion: """
        Reads only the published outputs (summary.json, totals.csv, rejects.csv, and with
        reconciliation mismatches.csv and reconciliation.csv), so it works after the work directory
        is gone. The page is self-contained: inline CSS and SVG, no script, no network.

        Docs: docs/operations.md
        """)

    @Argument(help: "The --out directory of a run.")
    var directory: String

    @Option(help: "Where to write the page (default: DIR/report.html).")
    var output: String?

    func run() throws {
        let path: String
        do {
            path = try MorningReport.write(outDirectory: directory, to: output)
        } catch {
            throw fail(error)
        }
        printError("settle: wrote \(path)")
    }
}
