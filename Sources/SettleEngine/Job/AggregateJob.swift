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

    /// True when the run found rejects or a control-total difference (exit status 1).
    public var hasFindings: Bool {
        rejected > 0 || controlChecks.contains { $0.status != .agree }
    }
}

/// `settle aggregate` as one process: plan, map, reduce, finalize.
public final class AggregateJob {
    public let options: AggregateOptions
    let logger: Logger

    public init(options: AggregateOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() throws -> AggregateReport {
        try options.validate()
        let sampler = MemorySampler()
        var timings = StageClock()
        let startedAt = Syscalls.wallClock()

        // Split: layouts, mapped files, the partition plan.
        var layouts: [String: CompiledLayout] = [:]
        var inputs: [(path: String, layoutName: String, layout: CompiledLayout, mapped: MappedFile)] = []
        for input in options.inputs {
            let layout: CompiledLayout
            if let cached = layouts[input.layout] {
                layout = cached
            } else {
                layout = try LayoutLoader.compile(input.layout)
                layouts[input.layout] = layout
            }
            inputs.append((input.path, input.layout, layout, try MappedFile(path: input.path)))
        }
        let plan = PartitionPlanner.plan(files: inputs, partitionSizeBytes: options.partitionSizeBytes)
        let mapped = inputs.map(\.mapped)
        let directory = JobDirectory(root: options.resolvedWorkDirectory)
        try FileIO.makeDirectories(options.outDirectory)
        try directory.prepareFresh()
        timings.end("plan")
        logger.info("planned", metadata: ["files": "\(plan.files.count)", "partitions": "\(plan.partitions.count)"])

        // Map.
        let options = self.options
        let tableBytes = options.tableBytesPerWorker
        let mapResults = try WorkerPool.run(
            taskCount: plan.partitions.count, workers: options.workers,
            makeState: { id in
                try MapWorker(id: id, memoryBytes: tableBytes, bucketCount: options.buckets,
                              runsDirectory: directory.runs, rejectsDirectory: directory.rejects)
            },
            body: { worker, task, _ in
                let partition = plan.partitions[task]
                return try worker.map(partition, file: plan.files[partition.fileIndex], mapped: mapped[partition.fileIndex])
            })
        let partitions = mapResults.map { $0! }
        timings.end("map")
        logger.info("mapped", metadata: ["partitions": "\(partitions.count)"])

        // Reduce.
        var bucketInputs = [[MergeInput]](repeating: [], count: options.buckets)
        for result in partitions {
            for run in result.runs {
                let reader = try RunReader(path: run.path)
                for (bucket, range) in reader.buckets {
                    bucketInputs[bucket].append(MergeInput(path: run.path, bucket: bucket, entries: range.entries))
                }
            }
        }
        let frozenInputs = bucketInputs.map { $0.sorted { $0.path < $1.path } }
        let reduceFanIn = RunMerger.fanIn(memoryBytes: options.memoryBytes / options.workers)
        let bucketResults = try WorkerPool.run(
            taskCount: options.buckets, workers: options.workers,
            makeState: { _ in try LZ4FrameEncoder() },
            body: { encoder, bucket, _ -> MergeInput? in
                guard !frozenInputs[bucket].isEmpty else { return nil }
                let reducer = BucketReducer(bucket: bucket, directory: directory.reduce)
                let (keys, info) = try reducer.reduce(frozenInputs[bucket], fanIn: reduceFanIn, encoder: encoder,
                                                      scratchDirectory: directory.scratch)
                return MergeInput(path: info.path, bucket: 0, entries: keys)
            })
        timings.end("reduce")

        // Finalize: totals, rejects, summary, published as a set.
        let bucketOutputs = bucketResults.compactMap { $0 ?? nil }
        let publisher = OutputPublisher(plan: plan, partitions: partitions, directory: directory, options: options)
        let finalFanIn = RunMerger.fanIn(memoryBytes: options.memoryBytes)
        let staged = try publisher.stage(bucketOutputs: bucketOutputs, fanIn: finalFanIn)
        let controlChecks = staged.controlChecks
        let totalsRows = staged.totalsRows
        timings.end("finalize")
        let memory = sampler.stop()
        let run = RunFacts(startedAt: startedAt, stageSeconds: timings.stages, peakRSSBytes: memory.peakRSSBytes,
                          peakAnonymousBytes: memory.peakAnonymousBytes,
                          spillFiles: partitions.reduce(0) { $0 + $1.runs.count },
                          spillBytes: partitions.reduce(0) { $0 + $1.runs.reduce(0) { $0 + $1.sizeBytes } })
        try publisher.publish(staged, run: run)
        if !options.keepWork { directory.remove() }

        let reasons = RejectReason.allCases.compactMap { reason -> (String, Int)? in
            let count = partitions.reduce(0) { $0 + $1.rejectsByReason[Int(reason.rawValue)] }
                + plan.files.reduce(0) { $0 + $1.fileRejects.filter { $0 == reason }.count }
            return count > 0 ? (reason.code, count) : nil
        }
        return AggregateReport(
            recordsRead: partitions.reduce(0) { $0 + $1.records },
            validDetails: partitions.reduce(0) { $0 + $1.validDetails },
            rejected: reasons.reduce(0) { $0 + $1.1 },
            rejectsByReason: reasons,
            controlChecks: controlChecks,
            totalsRows: totalsRows,
            outDirectory: options.outDirectory,
            workDirectory: directory.root,
            workKept: options.keepWork,
            stageSeconds: timings.stages,
            bytesRead: plan.files.reduce(0) { $0 + $1.sizeBytes },
            peakRSSBytes: memory.peakRSSBytes,
            peakAnonymousBytes: memory.peakAnonymousBytes)
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
}
