import ArgumentParser
import Foundation
import SettleEngine
import SettlePostgres

struct AggregateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Aggregate settlement files into per-merchant totals.",
        discussion: """
        Writes totals.csv, rejects.csv and summary.json into --out, published as a set.
        Exits 0 when there are no rejects and the control totals agree, 1 when the run completed with
        findings (rejects or control differences), 2 when it could not run, 130/143 when interrupted.

        The work directory (default OUT/.settle-work) is durable: running the same command again after
        a crash or a signal resumes, skipping the partitions already done, with identical results.
        Settle removes only its own entries from it, never follows a symbolic link, and refuses (exit 2)
        a work directory that is /, $HOME, the current directory, the output directory or contains it,
        contains an input, or holds other files and no job; and any output that is a file the run reads.
        """)

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: "Output directory (created if missing).")
    var out: String

    @OptionGroup var runOptions: RunOptions

    // A sibling group, not nested in RunOptions: a nested group makes argument parsing several
    // times slower in debug builds (measured: +25 ms per start).
    @OptionGroup(title: "Watching the run") var observe: OperatorOptions

    @OptionGroup(title: "Publishing to PostgreSQL") var publishing: PublishOptions

    @Flag(help: "Discard the work directory's state (from an earlier, different job) and start again.")
    var restart = false

    @Option(help: ArgumentHelp("Matching passes for the reconciliation (YAML): tolerances, other keys, one-to-many; writes matches.csv.",
                               valueName: "FILE"))
    var match: String?

    @Option(help: ArgumentHelp("Carry unmatched items from night to night in this store directory (needs --as-of); writes open_items.csv.",
                               valueName: "DIR"))
    var openItems: String?

    @Option(help: ArgumentHelp("The night this run reconciles (with --open-items): items first seen on it are 0 days old.",
                               valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: "Days an open item may stay unmatched before it becomes a missing_in_* mismatch (with --open-items).")
    var openDays: Int = 3

    @Flag(help: "With --open-items: start the store again (nothing carried), e.g. to run an earlier --as-of.")
    var restartOpenItems = false

    func validate() throws {
        try runOptions.check()
        if (openItems == nil) != (asOf == nil) { throw ValidationError("--open-items DIR and --as-of YYYY-MM-DD go together") }
        if let asOf, CalendarDay.parse(asOf) == nil { throw ValidationError("--as-of: cannot read '\(asOf)' as a date YYYY-MM-DD") }
        if openItems != nil && pipeline.ledger.isEmpty { throw ValidationError("--open-items needs --ledger FILE") }
        if match != nil && pipeline.ledger.isEmpty { throw ValidationError("--match needs --ledger FILE") }
        if openDays < 0 { throw ValidationError("--open-days must be at least 0") }
    }

    func run() throws {
        var options: AggregateOptions
        do {
            options = AggregateOptions(
                inputs: try pipeline.inputs(), outDirectory: out, workDirectory: runOptions.work, workers: pipeline.workers,
                memoryBytes: try pipeline.memoryBytes(), partitionSizeBytes: try pipeline.partitionSizeBytes(),
                buckets: pipeline.buckets, keepWork: runOptions.keepWork, restart: restart,
                retry: RetryPolicy(maxAttempts: runOptions.maxAttempts))
            options.ledgerSpec = pipeline.ledgerSpec
            options.ledgerLayout = pipeline.ledgerLayout
            options.strict = pipeline.strict
            options.allowSameInput = pipeline.allowSameInput
            options.excelSafe = runOptions.excelSafe
            options.metricsFile = observe.metricsFile
            options.checkpoint = CheckpointPolicy.parse(runOptions.checkpoint) ?? .automatic
            options.match = try match.map { try MatchSpec.load(path: $0) }
            if let openItems, let asOf, let day = CalendarDay.parse(asOf) {
                options.openItems = OpenItemsOptions(directory: openItems, asOf: day, openDays: openDays, restart: restartOpenItems)
                if options.match == nil { options.match = .default }
            }
        } catch let error as SettleError {
            throw fail(error)
        } catch {
            throw fail(SettleError(.usage, "\(error)"))
        }
        try runJob(options, run: runOptions, observe: observe, publishing: publishing, resumeHint: commandLineForShell())
    }
}

/// Options of the commands that drive a whole job (aggregate, resume).
struct RunOptions: ParsableArguments {
    @Option(help: "Work directory: spills, markers, manifest (default: OUT/.settle-work).")
    var work: String?

    @Flag(help: "Keep the work directory after a successful run.")
    var keepWork = false

    @Option(help: "Attempts per partition or bucket when Settle's own files fail (I/O errors), with backoff.")
    var maxAttempts: Int = 4

    @Option(help: "After SIGINT/SIGTERM, how long partitions in flight may take to finish (e.g. 30s, 2m).")
    var grace: String = "30s"

    @Option(help: ArgumentHelp("When a map worker, which folds partition after partition into its one table, spills it and marks the partitions done: after this much input (256MiB) or time (30s, 2min), or never (a kill then loses the whole map). A kill loses at most one interval per worker. Default auto: half a worker's share of the input, at most 1 GiB.",
                               valueName: "SIZE|DURATION|never|auto"))
    var checkpoint: String = "auto"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Flag(help: "In every CSV output, begin text cells that start with =, +, -, @, tab or CR with ' so a spreadsheet does not run them as formulas (numeric columns stay as they are). Default: exact.")
    var excelSafe = false

    func check() throws {
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if graceSeconds == nil { throw ValidationError("--grace: cannot read '\(grace)' (try 30s, 2m or 45)") }
        if CheckpointPolicy.parse(checkpoint) == nil {
            throw ValidationError("--checkpoint: cannot read '\(checkpoint)' (try 512MiB, 30s, 2min, auto or never)")
        }
    }

    var graceSeconds: Double? { DurationArgument.seconds(grace) }
}

/// Runs a whole job with signal handling and prints the report; shared by aggregate and resume.
func runJob(_ options: AggregateOptions, run: RunOptions, observe: OperatorOptions, publishing: PublishOptions,
            resumeHint: String) throws {
    let target: PostgresURL?
    do {
        target = try publishing.target()
    } catch {
        throw fail(error)
    }
    let session = OperatorSession(observe, quiet: run.quiet)
    let logger = session.logger
    let shutdown = Shutdown()
    let job = AggregateJob(options: options, shutdown: shutdown, logger: logger)
    do {
        // Before the metrics file is first written: it too must not replace a file the run reads.
        try job.checkBeforeStart()
    } catch {
        session.end(exitStatus: ExitStatus.couldNotRun)
        throw fail(error)
    }
    session.begin(job.progress)
    let hint = "\(resumeHint)   (or: settle resume \(options.resolvedWorkDirectory))"
    let signals = SignalHandling()
    signals.install(shutdown: shutdown, grace: run.graceSeconds ?? 30, resumeHint: hint) { signal in
        job.writeInterruptedSummary(signal: SignalHandling.name(signal), resumeCommand: hint)
    }
    let report: AggregateReport
    do {
        report = try job.run()
    } catch let error as SettleError where error.code == .interrupted {
        let signal = shutdown.signal
        session.end(exitStatus: SignalHandling.exitCode(for: signal))
        job.writeInterruptedSummary(signal: SignalHandling.name(signal), resumeCommand: hint)
        let snapshot = job.progress.snapshot
        printError("settle: interrupted by \(SignalHandling.name(signal)) (\(snapshot.partitionsDone) of \(snapshot.partitionsTotal) partitions done); resume with: \(hint)")
        throw ExitCode(SignalHandling.exitCode(for: signal))
    } catch {
        session.end(exitStatus: ExitStatus.couldNotRun)
        throw fail(error)
    }
    if !run.quiet { printReport(report) }
    // Publishing is the last step; a database that fails it never takes the local outputs away.
    if let target, let status = publishAfterRun(out: options.outDirectory, target: target, options: publishing, quiet: run.quiet) {
        session.end(exitStatus: status, outDirectory: options.outDirectory)
        throw ExitCode(status)
    }
    session.end(exitStatus: report.hasFindings ? ExitStatus.findings : ExitStatus.success, outDirectory: options.outDirectory)
    if report.hasFindings { throw ExitCode(ExitStatus.findings) }
}

func printReport(_ report: AggregateReport) {
    let seconds = report.stageSeconds.reduce(0) { $0 + $1.seconds }
    let rate = seconds > 0 ? Int(Double(report.recordsRead) / seconds) : 0
    if report.partitionsResumed > 0 {
        printError("settle: resumed: \(report.partitionsResumed) of \(report.partitionsTotal) partitions were already done")
    }
    printError("settle: read \(report.recordsRead) records (\(ByteSize.format(report.bytesRead))) in \(formatSeconds(seconds)) s, \(rate) records/s")
    printError("settle: \(report.validDetails) valid detail records, \(report.totalsRows) merchant/currency rows in totals.csv")
    if report.rejected > 0 {
        let reasons = report.rejectsByReason.map { "\($0.code) \($0.count)" }.joined(separator: ", ")
        printError("settle: \(report.rejected) rejects (\(reasons)): see \(report.outDirectory)/rejects.csv")
    } else {
        printError("settle: no rejects")
    }
    for check in report.controlChecks { printError("settle: \(check.summaryLine)") }
    if let mismatches = report.mismatches {
        if report.mismatchTotal > 0 {
            let kinds = mismatches.filter { $0.count > 0 }.map { "\($0.code) \($0.count)" }.joined(separator: ", ")
            printError("settle: reconciliation: \(report.mismatchTotal) mismatches (\(kinds)): see \(report.outDirectory)/mismatches.csv")
        } else {
            printError("settle: reconciliation: every settled record matches the ledger")
        }
        if let passes = report.matchedByPass {
            printError("settle: reconciliation: matched by pass: " + passes.map { "\($0.name) \(ProgressLine.grouped($0.count))" }.joined(separator: ", ")
                + ": see \(report.outDirectory)/matches.csv")
        }
        if let open = report.openItems {
            printError("settle: open items: \(ProgressLine.grouped(open.open)) open (see \(report.outDirectory)/open_items.csv), "
                + "\(ProgressLine.grouped(open.lateMatches)) late matches, \(ProgressLine.grouped(open.expired)) expired into mismatches")
        }
    }
    let stages = report.stageSeconds.map { "\($0.stage) \(formatSeconds($0.seconds)) s" }.joined(separator: ", ")
    printError("settle: stages: \(stages); peak RSS \(ByteSize.format(report.peakRSSBytes)), peak anonymous \(ByteSize.format(report.peakAnonymousBytes))")
    printError("settle: wrote \(report.outDirectory)/totals.csv, rejects.csv, \(report.mismatches == nil ? "" : "mismatches.csv, reconciliation.csv, ")summary.json, report.html\(report.workKept ? "; work kept in \(report.workDirectory)" : "")")
}

func formatSeconds(_ seconds: Double) -> String {
    let hundredths = Int((seconds * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
