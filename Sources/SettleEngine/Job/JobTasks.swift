import Logging

/// The steps of `aggregate` as separate tasks, for external schedulers (`settle plan`, `map`,
/// `reduce`, `finalize`). Each is idempotent and safe to run twice or concurrently with another
/// task: they take no job-wide lock, every file goes to an attempt directory of its own, and markers
/// are published with no-overwrite semantics.
public enum JobTasks {
    public enum Outcome: Sendable, Equatable {
        /// The task ran and its marker is this attempt's.
        case done
        /// A marker was already there (or another attempt won): nothing changed.
        case alreadyDone
    }

    /// Creates the job directory's manifest and plan (or checks an existing one is for the same inputs).
    public static func plan(inputs: [AggregateOptions.Input], partitionSizeBytes: Int, buckets: Int,
                            directory: JobDirectory, restart: Bool, ledgerSpec: String? = nil,
                            ledgerLayout: String? = nil, strict: Bool = false, allowSameInput: Bool = false,
                            match: MatchSpec? = nil, openItems: OpenItemsOptions? = nil,
                            logger: Logger = Logger(label: "settle")) throws -> Job {
        let preflight = RunPreflight(inputs: inputs, ledgerSpec: ledgerSpec, ledgerLayout: ledgerLayout)
        try preflight.checkDistinctInputs(allowSameInput: allowSameInput)
        try preflight.checkWorkDirectory(directory, out: nil)
        try directory.claim()
        return try Job.prepare(inputs: inputs, partitionSizeBytes: partitionSizeBytes, buckets: buckets,
                               directory: directory, restart: restart, ledgerSpec: ledgerSpec, ledgerLayout: ledgerLayout,
                               strict: strict, match: match, openItems: openItems, logger: logger).job
    }

    /// Maps one partition. `schedulerAttempt`, the external scheduler's attempt number, is recorded in
    /// the marker if this attempt publishes it.
    public static func map(directory: JobDirectory, partition: Int, memoryBytes: Int, retry: RetryPolicy,
                           schedulerAttempt: Int? = nil, logger: Logger) throws -> Outcome {
        let job = try Job.open(directory, logger: logger)
        guard partition >= 0 && partition < job.partitionCount else {
            throw SettleError(.usage, "--partition \(partition) is out of range: the job has partitions 0 to \(job.partitionCount - 1)")
        }
        let (done, warning) = job.donePartition(partition, verifyRuns: true, verifyRejects: true)
        if let done {
            // Mapped with others by a checkpoint: done only if the whole checkpoint is; else this
            // partition is mapped alone (the rest of its checkpoint then counts as not mapped).
            guard let group = done.checkpoint, !job.checkpointIsWhole(group, index: partition) else { return .alreadyDone }
            FileIO.unlink(job.directory.partitionMarker(partition))
            logger.warning("partition \(partition): its checkpoint (partitions \(Job.list(group.partitions))) is incomplete; it will be recomputed")
        }
        if let warning { logger.warning("\(warning)") }
        let worker = try MapWorker(id: 0, memoryBytes: max(1 << 20, memoryBytes - AggregateOptions.workerOverheadBytes),
                                   bucketCount: job.bucketCount, reconciling: job.reconciling)
        let result = try SchedulerAttempt.$current.withValue(schedulerAttempt) {
            try job.mapPartition(partition, worker: worker, retry: retry) { attempt, error in
                logger.warning("partition \(partition): attempt \(attempt) failed, retrying: \(error.message)")
            }
        }
        return result.startNanoseconds == 0 ? .alreadyDone : .done
    }

    public static func reduce(directory: JobDirectory, bucket: Int, memoryBytes: Int, retry: RetryPolicy,
                              schedulerAttempt: Int? = nil, logger: Logger) throws -> Outcome {
        let job = try Job.open(directory, logger: logger)
        guard bucket >= 0 && bucket < job.bucketCount else {
            throw SettleError(.usage, "--bucket \(bucket) is out of range: the job has buckets 0 to \(job.bucketCount - 1)")
        }
        let partitions = try donePartitions(job)
        // The job's `--match` passes and `--open-items` (from its manifest), as `aggregate` joins them:
        // carried items are written to a run of this attempt's own.
        let match = try job.manifest.matchSpec()
        let carried = try job.manifest.openItemsOptions.map { try CarriedItems.load($0, partition: job.partitionCount, planFiles: job.plan.files.count) }
        let carriedPath = job.directory.root + "/carried-task-\(bucket)-\(Syscalls.processID).run"
        defer { if carried != nil { FileIO.unlink(carriedPath) } }
        let carriedRuns = try carried?.writeRun(path: carriedPath, buckets: job.bucketCount)
        let joinMatch = carried.map { CarriedItems.joinMatch(match, $0) } ?? match
        let inputs = try job.bucketInputs(partitions).addingCarried(carriedRuns)[bucket]
        if inputs.isEmpty { return .alreadyDone }
        let (done, warning) = job.doneBucket(bucket, inputs: inputs, verify: true, match: joinMatch)
        if done != nil { return .alreadyDone }
        if let warning { logger.warning("\(warning)") }
        let table = AggregateTable(memoryBytes: memoryBytes / 2)
        let encoder = try LZ4FrameEncoder()
        var locator = RecordLocator(plan: job.plan, partitions: partitions)
        locator.carried = carried
        _ = try SchedulerAttempt.$current.withValue(schedulerAttempt) {
            try job.reduceBucket(bucket, inputs: inputs, locator: locator,
                                 table: table, encoder: encoder, fanIn: RunMerger.fanIn(memoryBytes: memoryBytes / 2),
                                 retry: retry, match: joinMatch) { attempt, error in
                logger.warning("bucket \(bucket): attempt \(attempt) failed, retrying: \(error.message)")
            }
        }
        return .done
    }

    /// Every partition's result; throws naming the partitions that are not done.
    static func donePartitions(_ job: Job) throws -> [PartitionResult] {
        var results = (0..<job.partitionCount).map { job.donePartition($0, verifyRuns: false).result }
        _ = job.dropIncompleteCheckpoints(&results)
        let missing = results.indices.filter { results[$0] == nil }
        if !missing.isEmpty {
            let list = missing.prefix(20).map(String.init).joined(separator: ", ") + (missing.count > 20 ? ", ..." : "")
            throw SettleError(.usage, "\(missing.count) of \(job.partitionCount) partitions are not mapped yet (\(list)): run `settle map` for them first")
        }
        return results.map { $0! }
    }

    /// Publishes the outputs of a job whose partitions and buckets are all done.
    public static func finalize(directory: JobDirectory, options: AggregateOptions, logger: Logger) throws -> AggregateReport {
        let sampler = MemorySampler()
        let startedAt = Syscalls.wallClock()
        var timings = StageClock()
        let job = try Job.open(directory, logger: logger)
        let preflight = RunPreflight(options: AggregateOptions(inputs: [], outDirectory: options.outDirectory), manifest: job.manifest)
        try preflight.checkWorkDirectory(directory, out: options.outDirectory)
        try preflight.checkOutputs(out: options.outDirectory, reconciling: job.reconciling, metricsFile: nil)
        let partitions = try donePartitions(job)
        let inputs = try job.bucketInputs(partitions)
        let match = try job.manifest.matchSpec()
        // With carried open items a bucket's join inputs differ from these: JobRunner below checks
        // (and makes) those buckets itself.
        let missing = job.manifest.openItems != nil ? [] : (0..<job.bucketCount).filter {
            !inputs[$0].isEmpty && job.doneBucket($0, inputs: inputs[$0], verify: false, match: match).output == nil
        }
        if !missing.isEmpty {
            throw SettleError(.usage, "\(missing.count) buckets are not reduced yet (\(missing.prefix(20).map(String.init).joined(separator: ", "))): run `settle reduce` for them first")
        }
        var jobOptions = options
        jobOptions.inputs = job.manifest.inputs.map { AggregateOptions.Input(path: $0.path, layout: $0.layout) }
        jobOptions.buckets = job.bucketCount
        jobOptions.partitionSizeBytes = job.manifest.partitionSizeBytes
        jobOptions.match = match
        jobOptions.openItems = job.manifest.openItemsOptions
        try FileIO.makeDirectories(options.outDirectory)
        OutputFiles.removeTemporaries(in: options.outDirectory, names: OutputFiles.names(reconciling: true))
        return try JobRunner(job: job, options: jobOptions, shutdown: Shutdown(), progress: JobProgress(), logger: logger)
            .run(timings: &timings, startedAt: startedAt, sampler: sampler)
    }
}

/// `settle status DIR`: how far a job has got, read from its markers.
public struct JobStatus: Sendable {
    public var partitionsTotal: Int
    public var partitionsDone: Int
    public var bucketsDone: Int
    public var bucketsTotal: Int
    public var records: Int
    public var rejects: Int
    public var elapsedSeconds: Int?
    public var lockHolder: String?
    public var inputs: [String]

    public static func read(_ directory: JobDirectory) throws -> JobStatus {
        guard directory.hasManifest else {
            throw SettleError(.usage, "\(directory.root) is not a job directory (no manifest.json)")
        }
        let manifest = try Job.readManifest(directory)
        var done = 0, records = 0, rejects = 0
        for index in manifest.partitions.indices {
            guard case .valid(let marker) = MarkerIO.read(PartitionMarker.self, path: directory.partitionMarker(index)) else { continue }
            done += 1
            records += marker.records
            rejects += marker.rejected
        }
        let buckets = (0..<manifest.buckets).filter { FileIO.exists(directory.bucketMarker($0)) }.count
        let started = Syscalls.stat(directory.manifestPath)?.modificationSeconds
        return JobStatus(partitionsTotal: manifest.partitions.count, partitionsDone: done, bucketsDone: buckets,
                         bucketsTotal: manifest.buckets, records: records, rejects: rejects,
                         elapsedSeconds: started.map { Syscalls.wallClock().seconds - $0 },
                         lockHolder: JobLock.holder(directory: directory.root),
                         inputs: manifest.inputs.map(\.path))
    }
}
