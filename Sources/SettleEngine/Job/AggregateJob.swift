import Logging

/// What an aggregation run found, for the CLI to print and turn into an exit status.
public struct AggregateReport: Sendable {
    public var recordsRead: Int
    public var validDetails: Int
    public var rejected: Int
    public var rejectsByReason: [(code: String, count: Int)]
    public var controlChecks: [ControlCheck]
    public var totalsRows: Int
    public var outDirectory: String
    public var workDirectory: String
    public var workKept: Bool
    public var stageSeconds: [(stage: String, seconds: Double)]
    public var bytesRead: Int
    public var peakRSSBytes: Int
    public var peakAnonymousBytes: Int
    public var partitionsResumed: Int
    public var partitionsTotal: Int
    /// Reconciliation: mismatch rows by kind code (nil when the run had no ledger).
    public var mismatches: [(code: String, count: Int)]? = nil
    public var reconciliationRows = 0
    /// `--match`: pairs matched per pass, in pass order; `--open-items`: open, late-matched, expired.
    public var matchedByPass: [(name: String, count: Int)]? = nil
    public var openItems: (open: Int, lateMatches: Int, expired: Int)? = nil

    public var mismatchTotal: Int { mismatches?.reduce(0) { $0 + $1.count } ?? 0 }

    /// True when the run found rejects, a control-total difference or a mismatch (exit status 1).
    public var hasFindings: Bool {
        rejected > 0 || controlChecks.contains { $0.status != .agree } || mismatchTotal > 0
    }
}

/// `settle aggregate` (and `settle resume`) as one process: plan, map, reduce, finalize, over a
/// durable job directory, so that running the same command again after a crash picks up where it
/// stopped and gives byte-identical outputs.
public final class AggregateJob: Sendable {
    public let options: AggregateOptions
    public let shutdown: Shutdown
    public let progress = JobProgress()
    let logger: Logger

    public init(options: AggregateOptions, shutdown: Shutdown = Shutdown(), logger: Logger) {
        self.options = options
        self.shutdown = shutdown
        self.logger = logger
    }

    public var workDirectory: JobDirectory { JobDirectory(root: options.resolvedWorkDirectory) }

    /// The checks made before anything is created or written (`RunPreflight`): the CLI calls this
    /// before it starts the metrics file; `run` calls it again.
    public func checkBeforeStart() throws {
        try options.validate(requireInputs: false)
        let directory = workDirectory
        let manifest = options.inputs.isEmpty && directory.hasManifest ? try Job.readManifest(directory) : nil
        let preflight = RunPreflight(options: options, manifest: manifest)
        try preflight.checkDistinctInputs(allowSameInput: options.allowSameInput || manifest != nil)
        try preflight.checkWorkDirectory(directory, out: options.outDirectory)
        let reconciling = options.inputs.contains(where: \.isLedger) || manifest?.inputs.contains { $0.layout == AggregateOptions.Input.ledgerLayout } == true
        try preflight.checkOutputs(out: options.outDirectory, reconciling: reconciling, metricsFile: options.metricsFile)
        if let open = options.openItems {
            // An --as-of before the store's latest night stops here, before any work.
            _ = try OpenItemStore(directory: open.directory).base(asOf: open.asOf, restart: open.restart)
        }
        if options.inputs.contains(where: \.isLedger) {
            try (options.match ?? .default).check(inputs: options.inputs, ledgerSpec: options.ledgerSpec, ledgerLayout: options.ledgerLayout)
        }
        if let metricsFile = options.metricsFile,
           FilePaths.forms(metricsFile).contains(where: { FilePaths.isInside($0, FilePaths.resolved(directory.root)) }) {
            throw SettleError(.usage, "--metrics-file \(metricsFile) is inside the work directory \(directory.root), which Settle empties when the job ends: write it elsewhere")
        }
    }

    public func run() throws -> AggregateReport {
        try checkBeforeStart()
        let sampler = MemorySampler()
        defer { _ = sampler.stop() }
        var timings = StageClock()
        let startedAt = Syscalls.wallClock()
        let directory = workDirectory
        try FileIO.makeDirectories(options.outDirectory)
        try directory.claim()
        let lock = try JobLock(directory: directory.root)
        // Temporaries a killed run left in --out (only Settle's own names, of processes gone).
        OutputFiles.removeTemporaries(in: options.outDirectory, names: OutputFiles.names(reconciling: true))
        // No inputs means `settle resume DIR`: everything comes from the job's manifest.
        let job = options.inputs.isEmpty
            ? try Job.open(directory, logger: logger)
            : try Job.prepare(inputs: options.inputs, partitionSizeBytes: options.partitionSizeBytes, buckets: options.buckets,
                              directory: directory, restart: options.restart, outDirectory: options.outDirectory,
                              ledgerSpec: options.ledgerSpec, ledgerLayout: options.ledgerLayout, strict: options.strict,
                              match: options.match, openItems: options.openItems, logger: logger).job
        if !options.inputs.isEmpty && (job.manifest.partitionSizeBytes != options.partitionSizeBytes || job.manifest.buckets != options.buckets) {
            logger.notice("resuming with the job's own plan: partition size \(job.manifest.partitionSizeBytes) bytes and \(job.manifest.buckets) buckets (the options given differ; --restart to plan again)")
        }
        var options = self.options
        options.inputs = job.manifest.inputs.map { AggregateOptions.Input(path: $0.path, layout: $0.layout) }
        options.partitionSizeBytes = job.manifest.partitionSizeBytes
        options.buckets = job.manifest.buckets
        if self.options.inputs.isEmpty {
            // `settle resume`: the passes and open items the job was started with.
            try Self.checkResumed(match: options.match, openItems: options.openItems, against: job.manifest, directory: directory.root)
            options.match = try job.manifest.matchSpec()
            options.openItems = job.manifest.openItemsOptions
        }
        timings.end("plan")
        let outcome = try JobRunner(job: job, options: options, shutdown: shutdown, progress: progress, logger: logger)
            .run(timings: &timings, startedAt: startedAt, sampler: sampler)
        if !options.keepWork { directory.remove() }
        withExtendedLifetime(lock) {}
        return outcome
    }

    /// `settle resume --match F` / `--open-items ...`: what is given must be what the job was started with.
    static func checkResumed(match: MatchSpec?, openItems: OpenItemsOptions?, against manifest: Manifest, directory: String) throws {
        if let match, match.identity?.sha256 != manifest.match?.sha256 {
            throw SettleError(.jobChanged, "job \(directory) was started \(manifest.match.map { "with --match \($0.name)" } ?? "without --match"); --match \(match.source) differs (SHA-256 \(match.fingerprint.prefix(12))): resume without --match, or start again with --restart")
        }
        var given = openItems?.record
        given?.restart = manifest.openItems?.restart ?? false
        if let given, given != manifest.openItems {
            throw SettleError(.jobChanged, "job \(directory) was started \(manifest.openItems.map { "with --open-items \($0.directory) --as-of \($0.asOf) --open-days \($0.openDays)" } ?? "without --open-items"); the open-items options given differ: resume without them, or start again with --restart")
        }
    }

    /// Writes `summary.json` with status `interrupted` and how far the run got (after SIGINT or
    /// SIGTERM), so a scheduler reading the output directory sees what happened.
    public func writeInterruptedSummary(signal: String, resumeCommand: String) {
        let snapshot = progress.snapshot
        var json = JSONWriter()
        json.beginObject()
        json.number("schema", SummaryJSON.schema)
        json.string("run_id", RunID.make())
        json.string("status", "interrupted")
        json.string("signal", signal)
        json.string("stage", snapshot.stage)
        json.beginObject("progress")
        json.number("partitions_total", snapshot.partitionsTotal)
        json.number("partitions_done", snapshot.partitionsDone)
        json.number("buckets_total", snapshot.bucketsTotal)
        json.number("buckets_done", snapshot.bucketsDone)
        json.number("records_read", snapshot.records)
        json.number("rejected", snapshot.rejects)
        json.endObject()
        json.string("work_directory", options.resolvedWorkDirectory)
        json.string("resume_command", resumeCommand)
        json.endObject()
        _ = try? AtomicFile.write(json.bytes, to: options.outDirectory + "/summary.json")
        // The morning report then says the run was interrupted, how far it got and how to resume.
        _ = try? MorningReport.write(outDirectory: options.outDirectory)
        // The process exits next: no temporary of it may stay in --out (a publish or a report in flight).
        OutputFiles.removeTemporaries(in: options.outDirectory, names: OutputFiles.names(reconciling: true), processID: Syscalls.processID)
    }
}

/// Wall time of each stage, in order.
struct StageClock {
    private var last = Syscalls.monotonicNanoseconds()
    private(set) var stages: [(stage: String, seconds: Double)] = []

    mutating func end(_ stage: String) {
        let now = Syscalls.monotonicNanoseconds()
        stages.append((stage, Double(now - last) / 1e9))
        last = now
    }
}

/// Facts about this particular run (the `run` part of summary.json).
struct RunFacts {
    var startedAt: (seconds: Int, nanoseconds: Int)
    var stageSeconds: [(stage: String, seconds: Double)]
    var peakRSSBytes: Int
    var peakAnonymousBytes: Int
    var spillFiles: Int
    var spillBytes: Int
    var partitionsResumed: Int
}
