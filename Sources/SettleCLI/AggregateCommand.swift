import ArgumentParser
import Logging
import SettleEngine

struct AggregateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Aggregate settlement files into per-merchant totals.",
        discussion: """
        Writes totals.csv, rejects.csv and summary.json into --out, published as a set.
        Exits 0 when there are no rejects and the control totals agree, 1 when the run completed with
        findings (rejects or control differences), 2 when it could not run.
        """)

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Work directory for spills (default: OUT/.settle-work).")
    var work: String?

    @Flag(help: "Keep the work directory after a successful run.")
    var keepWork = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let options: AggregateOptions
        do {
            options = AggregateOptions(
                inputs: try pipeline.inputs(), outDirectory: out, workDirectory: work, workers: pipeline.workers,
                memoryBytes: try pipeline.memoryBytes(), partitionSizeBytes: try pipeline.partitionSizeBytes(),
                buckets: pipeline.buckets, keepWork: keepWork)
        } catch {
            throw fail(SettleError(.usage, "\(error)"))
        }
        var logger = Logger(label: "settle")
        logger.logLevel = .warning
        let report: AggregateReport
        do {
            report = try AggregateJob(options: options, logger: logger).run()
        } catch {
            throw fail(error)
        }
        if !quiet { printReport(report) }
        if report.hasFindings { throw ExitCode(ExitStatus.findings) }
    }

    private func printReport(_ report: AggregateReport) {
        let seconds = report.stageSeconds.reduce(0) { $0 + $1.seconds }
        let rate = seconds > 0 ? Int(Double(report.recordsRead) / seconds) : 0
        printError("settle: read \(report.recordsRead) records (\(ByteSize.format(report.bytesRead))) in \(format(seconds)) s, \(rate) records/s")
        printError("settle: \(report.validDetails) valid detail records, \(report.totalsRows) merchant/currency rows in totals.csv")
        if report.rejected > 0 {
            let reasons = report.rejectsByReason.map { "\($0.code) \($0.count)" }.joined(separator: ", ")
            printError("settle: \(report.rejected) rejects (\(reasons)): see \(report.outDirectory)/rejects.csv")
        } else {
            printError("settle: no rejects")
        }
        for check in report.controlChecks { printError("settle: \(check.summaryLine)") }
        let stages = report.stageSeconds.map { "\($0.stage) \(format($0.seconds)) s" }.joined(separator: ", ")
        printError("settle: stages: \(stages); peak RSS \(ByteSize.format(report.peakRSSBytes)), peak anonymous \(ByteSize.format(report.peakAnonymousBytes))")
        printError("settle: wrote \(report.outDirectory)/totals.csv, rejects.csv, summary.json\(report.workKept ? "; work kept in \(report.workDirectory)" : "")")
    }

    private func format(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
