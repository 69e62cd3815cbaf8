import ArgumentParser
import Foundation
import SettleEngine

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Process files as they arrive in an inbox: micro-batches, each a resumable job, exactly once.",
        discussion: """
        A file is ready when its name does not start with . nor end in .part, .tmp or .filepart and its size and
        mtime have not changed for --settle-time (with --ready-suffix S: when NAME.S exists). A batch closes at
        --batch-files files or --batch-bytes bytes, or when its oldest ready file has waited --batch-wait. Each
        batch is a job with OUT/batches/NNNNNN as its output directory; after publishing, its files move (by
        rename; the inbox and OUT must be on one filesystem) to OUT/processed/NNNNNN. OUT/watch.journal records
        each file's content hash and batch before the batch starts: after a crash, the next run finishes the
        batch in flight first; a file whose content was processed before goes to OUT/duplicates, an unreadable
        one to OUT/failed with a .reason file. `settle status OUT` shows the registry.

        Exit status: SIGTERM or SIGINT lets the batch in flight finish (up to --grace, else it is left
        resumable) and then exits 0, unlike the other commands' 130/143; a second signal stops at once
        (130/143). With --once: 0, or 1 when a batch had findings. 2: could not run.

        Docs: docs/watch.md
        """)

    @Argument(help: "The inbox directory files arrive in.")
    var inbox: String

    @Option(help: "Root of batches/, processed/, duplicates/, failed/ and the registry (on the inbox's filesystem).")
    var out: String

    @OptionGroup var files: WatchFileOptions

    /// Every batch's ledger and resources, as `aggregate` takes them.
    @OptionGroup var job: ResourceOptions

    /// Every batch matches with these passes; open items carry from batch to batch (`--as-of`
    /// default: each batch's own UTC date, kept when the batch resumes).
    @OptionGroup var matching: MatchOptions

    @OptionGroup var runOptions: RunOptions

    @OptionGroup(title: "Watching the run") var observe: OperatorOptions

    @OptionGroup(title: "Publishing to PostgreSQL (each batch)") var publishing: PublishOptions

    func validate() throws {
        try runOptions.check()
        if runOptions.work != nil { throw ValidationError("--work: each batch's work directory is OUT/batches/NNNNNN/.settle-work") }
        _ = try files.seconds()
        _ = try files.expectations()
        try matching.check(hasLedger: !job.ledger.isEmpty, needsAsOf: false)
        if matching.asOf != nil && matching.openItems == nil { throw ValidationError("--as-of goes with --open-items DIR") }
        if files.layout == nil && files.inputLayouts.isEmpty { throw ValidationError("give --layout L or --input-layout GLOB:LAYOUT") }
        if let metricsFile = observe.metricsFile, FilePaths.isInside(FilePaths.resolved(metricsFile), FilePaths.resolved(inbox)) {
            throw ValidationError("--metrics-file \(metricsFile) is inside the inbox, where it would be taken for an arriving file")
        }
    }

    func run() throws {
        let options: WatchOptions
        do {
            options = try watchOptions()
        } catch {
            throw fail(SettleError(.usage, "\(error)"))
        }
        let session = OperatorSession(observe, quiet: runOptions.quiet)
        let stop = WatchStop()
        let progressMode = ProgressReporter.mode(quiet: runOptions.quiet, format: observe.format, intervalSeconds: observe.progressInterval)
        let reporter = MutexBox<ProgressReporter?>(nil)
        let publishing = self.publishing, quiet = runOptions.quiet
        var publish: (@Sendable (String) -> Int32?)? = nil
        if let target = try publishing.target() {
            publish = { out in publishAfterRun(out: out, target: target, options: publishing, quiet: quiet) }
        }
        let daemon = WatchDaemon(options: options, stop: stop, logger: session.logger, publish: publish) { progress in
            // Progress lines while a batch runs, as for aggregate; nothing between batches.
            reporter.take()?.stop()
            if let progress, let progressMode {
                let next = ProgressReporter(progress: progress, mode: progressMode)
                reporter.set(next)
                next.start()
            }
        }
        do {
            try daemon.checkBeforeStart()
        } catch {
            throw fail(error)
        }
        let metricsFile = startMetricsFile(session: session, daemon: daemon)
        let signals = WatchSignals()
        signals.install(stop: stop, grace: runOptions.graceSeconds ?? 30)
        let summary: WatchSummary
        do {
            summary = try daemon.run()
        } catch {
            try? metricsFile?.stop()
            throw fail(error)
        }
        try? metricsFile?.stop()
        if summary.stopped {
            let left = summary.leftResumable.map { "; batch \(WatchOptions.batchName($0)) is left resumable and runs first next time" } ?? ""
            printError("settle: watch stopped by \(SignalHandling.name(stop.signal)) after \(summary.batchesRun) batches\(left)")
            return
        }
        if !runOptions.quiet { printError("settle: watch: \(summary.batchesRun) batches, \(summary.batchesWithFindings) with findings") }
        if options.once && summary.batchesWithFindings > 0 { throw ExitCode(ExitStatus.findings) }
    }

    private func watchOptions() throws -> WatchOptions {
        var aggregate = AggregateOptions(
            inputs: job.ledger.map { AggregateOptions.Input.ledger($0) }, outDirectory: out, workers: job.workers,
            memoryBytes: try job.memoryBytes(), partitionSizeBytes: try job.partitionSizeBytes(),
            buckets: job.buckets, keepWork: runOptions.keepWork, retry: RetryPolicy(maxAttempts: runOptions.maxAttempts))
        job.apply(to: &aggregate)
        aggregate.excelSafe = runOptions.excelSafe
        var loaded = try matching.load()
        if loaded.openItems == nil, let directory = matching.openItems {
            // No --as-of: each batch takes its own date (`WatchOptions.openItemsAsOfToday`).
            loaded.openItems = OpenItemsOptions(directory: directory, asOf: 0, openDays: matching.openDays, restart: matching.restartOpenItems)
            if loaded.match == nil { loaded.match = .default }
        }
        (aggregate.match, aggregate.openItems) = loaded
        var options = WatchOptions(inbox: inbox, root: out, layout: files.layout, job: aggregate)
        options.openItemsAsOfToday = matching.openItems != nil && matching.asOf == nil
        options.inputLayouts = try files.inputLayoutPairs()
        let seconds = try files.seconds()
        options.batchFiles = files.batchFiles
        options.batchBytes = try files.batchBytes.map { try SizeArgument.bytes($0, option: "--batch-bytes", example: "256M") }
        options.batchWaitSeconds = seconds.wait
        options.settleSeconds = seconds.settle
        options.readySuffix = files.readySuffix
        options.once = files.once
        options.expectations = try files.expectations()
        return options
    }

    /// `--metrics-file`: the job metrics of the batch in flight and the daemon's own, every interval.
    private func startMetricsFile(session: OperatorSession, daemon: WatchDaemon) -> MetricsFile? {
        guard let registry = session.registry, let path = observe.metricsFile else { return nil }
        let logger = session.logger
        let file = MetricsFile(path: path, intervalSeconds: observe.metricsInterval, render: {
            daemon.currentProgress.withLock { $0 }?.sampleMetrics(nowSeconds: JSONLine.unixSecondsNow())
            return registry.emitToBuffer()
        }, onError: { message in logger.warning("\(message)") })
        file.start()
        return file
    }
}

/// What arrives and how batches are cut.
struct WatchFileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layout of the arriving files (a built-in name or a YAML file), unless --input-layout says otherwise."))
    var layout: String?

    @Option(name: .customLong("input-layout"),
            help: ArgumentHelp("Files whose name matches GLOB use LAYOUT (repeatable; first match wins).", valueName: "GLOB:LAYOUT"))
    var inputLayouts: [String] = []

    @Option(help: "A batch closes when it has this many files.")
    var batchFiles: Int = 16

    @Option(parsing: .unconditional, help: "A batch closes when its files hold this many bytes (e.g. 512M).")
    var batchBytes: String?

    @Option(help: "A batch closes when its oldest ready file has waited this long (e.g. 30s, 500ms).")
    var batchWait: String = "30s"

    @Option(help: "A file is ready when its size and mtime have not changed for this long.")
    var settleTime: String = "2s"

    @Option(help: ArgumentHelp("A file NAME is ready when NAME+SUFFIX exists (e.g. .done); the marker moves with it.", valueName: "SUFFIX"))
    var readySuffix: String?

    @Option(help: ArgumentHelp("Warn (and set settle_watch_late_files) when no file matching GLOB has arrived by HH:MM local time (repeatable).",
                               valueName: "GLOB@HH:MM"))
    var expect: [String] = []

    @Flag(help: "Process what is ready now, then exit (for cron).")
    var once = false

    func seconds() throws -> (wait: Double, settle: Double) {
        guard let wait = DurationArgument.seconds(batchWait) else { throw ValidationError("--batch-wait: cannot read '\(batchWait)' (try 30s, 500ms or 2m)") }
        guard let settle = DurationArgument.seconds(settleTime) else { throw ValidationError("--settle-time: cannot read '\(settleTime)' (try 2s or 500ms)") }
        if batchFiles < 1 { throw ValidationError("--batch-files must be at least 1") }
        return (wait, settle)
    }

    func inputLayoutPairs() throws -> [(glob: String, layout: String)] {
        try inputLayouts.map { value in
            guard let colon = value.lastIndex(of: ":"), colon != value.startIndex, value.index(after: colon) != value.endIndex else {
                throw ValidationError("--input-layout takes GLOB:LAYOUT, got '\(value)'")
            }
            return (String(value[..<colon]), String(value[value.index(after: colon)...]))
        }
    }

    func expectations() throws -> [ExpectedFile] {
        try expect.map { text in
            guard let expectation = ExpectedFile.parse(text) else { throw ValidationError("--expect takes NAME_GLOB@HH:MM (e.g. 'visa_*.dat@06:30'), got '\(text)'") }
            return expectation
        }
    }
}
