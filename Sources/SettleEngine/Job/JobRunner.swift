import Logging

/// Drives an opened job through map, reduce and finalize, skipping what is already done. Shared by
/// `aggregate` and `resume`.
struct JobRunner {
    let job: Job
    let options: AggregateOptions
    let shutdown: Shutdown
    let progress: JobProgress
    let logger: Logger

    func run(timings: inout StageClock, startedAt: (seconds: Int, nanoseconds: Int), sampler: MemorySampler) throws -> AggregateReport {
        let directory = job.directory
        let partitionCount = job.partitionCount
        progress.update {
            $0.partitionsTotal = partitionCount
            $0.bucketsTotal = job.bucketCount
            $0.bytesTotal = job.plan.partitions.reduce(0) { $0 + $1.sizeBytes }
            $0.workers = options.workers
            $0.stage = "map"
        }

        // `--open-items`: last night's open items join this night's as one more run of occurrences.
        let carried = try options.openItems.map { try CarriedItems.load($0, partition: partitionCount, planFiles: job.plan.files.count) }
        let carriedRuns = try carried?.writeRun(path: directory.root + "/carried.run", buckets: job.bucketCount)
        let joinMatch = carried.map { CarriedItems.joinMatch(options.match, $0) } ?? options.match
        let done = try doneSoFar(carriedRuns, joinMatch)
        var results = done.partitions
        var bucketWarnings = done.bucketWarnings
        for index in 0..<partitionCount where results[index] == nil {
            directory.removeStaleAttempts(in: directory.partitionDirectory(index), keep: nil)
        }
        let resumed = results.filter { $0 != nil }.count
        if resumed > 0 {
            logger.notice("resuming job \(directory.root): \(resumed) of \(partitionCount) partitions already done")
        }
        progress.update {
            $0.partitionsDone = resumed
            $0.partitionsResumed = resumed
            $0.records = results.reduce(0) { $0 + ($1?.records ?? 0) }
            $0.rejects = results.reduce(0) { $0 + ($1?.rejected ?? 0) }
        }
        progress.mapStarting(resumed: results)

        // Map what is left.
        let pending = (0..<partitionCount).filter { results[$0] == nil }
        let buckets = job.bucketCount
        let retry = options.retry
        for result in try mapCheckpointed(pending) { results[result.partition.index] = result }
        if shutdown.isRequested || results.contains(where: { $0 == nil }) {
            throw SettleError(.interrupted, "interrupted during map: \(results.filter { $0 != nil }.count) of \(partitionCount) partitions done")
        }
        let partitions = results.map { $0! }
        timings.end("map")

        // Reduce what is left.
        progress.update { $0.stage = "reduce" }
        let inputs = try job.bucketInputs(partitions).addingCarried(carriedRuns)
        var outputs = [BucketOutput?](repeating: nil, count: buckets)
        var located = RecordLocator(plan: job.plan, partitions: partitions)
        located.carried = carried
        let locator = located
        // Buckets checked above over the same runs (no partition was mapped again) are not read twice.
        let reuse = pending.isEmpty ? done.buckets : nil
        for bucket in 0..<buckets where !inputs[bucket].isEmpty {
            if let reuse {
                outputs[bucket] = reuse[bucket]
                if reuse[bucket] == nil { directory.removeStaleAttempts(in: directory.bucketDirectory(bucket), keep: nil) }
                continue
            }
            let (output, warning) = job.doneBucket(bucket, inputs: inputs[bucket], verify: true, match: joinMatch)
            if let warning { bucketWarnings.append(warning) }
            outputs[bucket] = output
            if output == nil { directory.removeStaleAttempts(in: directory.bucketDirectory(bucket), keep: nil) }
        }
        if let first = bucketWarnings.first {
            logger.warning("\(first)\(bucketWarnings.count > 1 ? " (and \(bucketWarnings.count - 1) more buckets likewise)" : "")")
        }
        progress.update { snapshot in snapshot.bucketsDone = outputs.filter { $0 != nil }.count }
        let pendingBuckets = (0..<buckets).filter { outputs[$0] == nil && !inputs[$0].isEmpty }
        // Each reduce worker's share: half for its table, half for merge cursors when a bucket
        // outgrows the table.
        let reduceShare = options.memoryBytes / options.workers
        let fanIn = RunMerger.fanIn(memoryBytes: reduceShare / 2)
        let reduced = try WorkerPool.run(
            taskCount: pendingBuckets.count, workers: options.workers,
            shouldStop: { shutdown.isRequested },
            makeState: { _ in (encoder: try LZ4FrameEncoder(), table: AggregateTable(memoryBytes: reduceShare / 2)) },
            body: { state, task, _ in
                let bucket = pendingBuckets[task]
                let output = try job.reduceBucket(bucket, inputs: inputs[bucket], locator: locator, table: state.table, encoder: state.encoder,
                                                  fanIn: fanIn, retry: retry, match: joinMatch) { attempt, error in
                    logger.warning("bucket \(bucket): attempt \(attempt) failed, retrying: \(error.message)")
                }
                progress.bucketFinished()
                return output
            })
        for (task, output) in reduced.enumerated() { outputs[pendingBuckets[task]] = output }
        if shutdown.isRequested || pendingBuckets.contains(where: { outputs[$0] == nil }) {
            throw SettleError(.interrupted, "interrupted during reduce")
        }
        timings.end("reduce")

        // Finalize: not interruptible; publishing is quick and all-or-nothing.
        progress.update { $0.stage = "finalize" }
        let publisher = OutputPublisher(plan: job.plan, partitions: partitions, directory: directory, options: options, carried: carried)
        let staged = try publisher.stage(bucketOutputs: outputs.compactMap { $0 }, fanIn: RunMerger.fanIn(memoryBytes: options.memoryBytes))
        let controlChecks = staged.controlChecks
        let totalsRows = staged.totalsRows
        let reconciliation = staged.reconciliation
        timings.end("finalize")
        let memory = sampler.stop()
        let run = RunFacts(startedAt: startedAt, stageSeconds: timings.stages, peakRSSBytes: memory.peakRSSBytes,
                          peakAnonymousBytes: memory.peakAnonymousBytes,
                          spillFiles: partitions.reduce(0) { $0 + $1.runs.count },
                          spillBytes: partitions.reduce(0) { $0 + $1.runs.reduce(0) { $0 + $1.sizeBytes } },
                          partitionsResumed: resumed)
        if let warning = try publisher.publish(staged, run: run) { logger.warning("\(warning)") }
        progress.update { $0.stage = "done" }
        let settlement = partitions.filter { !job.plan.files[$0.partition.fileIndex].isLedger }

        let reasons = RejectReason.allCases.compactMap { reason -> (String, Int)? in
            let count = partitions.reduce(0) { $0 + $1.rejectsByReason[Int(reason.rawValue)] }
                + job.plan.files.reduce(0) { $0 + $1.fileRejects.filter { $0 == reason }.count }
            return count > 0 ? (reason.code, count) : nil
        }
        return AggregateReport(
            recordsRead: settlement.reduce(0) { $0 + $1.records },
            validDetails: settlement.reduce(0) { $0 + $1.validDetails },
            rejected: reasons.reduce(0) { $0 + $1.1 },
            rejectsByReason: reasons,
            controlChecks: controlChecks,
            totalsRows: totalsRows,
            outDirectory: options.outDirectory,
            workDirectory: directory.root,
            workKept: options.keepWork,
            stageSeconds: timings.stages,
            bytesRead: job.plan.files.reduce(0) { $0 + $1.sizeBytes },
            peakRSSBytes: memory.peakRSSBytes,
            peakAnonymousBytes: memory.peakAnonymousBytes,
            partitionsResumed: resumed,
            partitionsTotal: partitionCount,
            mismatches: reconciliation.map { output in MismatchKind.allCases.map { ($0.code, output.counts[$0.rawValue]) } },
            reconciliationRows: reconciliation?.rows ?? 0,
            matchedByPass: reconciliation?.matches == nil ? nil : reconciliation?.matchedByPass,
            openItems: reconciliation?.openItems == nil ? nil : reconciliation.map { ($0.openFigures.open, $0.openFigures.lateMatches, $0.openFigures.expired) })
    }

    /// What is already done: markers first (their own checksums; the rejects files, which finalize
    /// merges, by CRC-32C), then the finished buckets' outputs by CRC-32C, and the partitions' spill
    /// runs by CRC-32C only when some reduce is still to run (a completed job is only re-published).
    /// What does not hold up is reported and counts as not done.
    private func doneSoFar(_ carriedRuns: [MergeInput?]?, _ joinMatch: MatchSpec?) throws -> (partitions: [PartitionResult?], buckets: [BucketOutput?]?, bucketWarnings: [String]) {
        var results: [PartitionResult?] = (0..<job.partitionCount).map { index in
            let (result, warning) = job.donePartition(index, verifyRuns: false, verifyRejects: true)
            if let warning { logger.warning("\(warning)") }
            return result
        }
        for warning in job.dropIncompleteCheckpoints(&results) { logger.warning("\(warning)") }
        var allBucketsDone = false
        var checkedBuckets: [BucketOutput?]?
        var bucketWarnings: [String] = []
        if results.allSatisfy({ $0 != nil }) {
            let inputs = try job.bucketInputs(results.map { $0! }).addingCarried(carriedRuns)
            let checked = (0..<job.bucketCount).map { bucket -> BucketOutput? in
                guard !inputs[bucket].isEmpty else { return nil }
                let (output, warning) = job.doneBucket(bucket, inputs: inputs[bucket], verify: true, match: joinMatch)
                if let warning { bucketWarnings.append(warning) }
                return output
            }
            allBucketsDone = (0..<job.bucketCount).allSatisfy { inputs[$0].isEmpty || checked[$0] != nil }
            checkedBuckets = checked
        }
        if !allBucketsDone {
            for index in 0..<job.partitionCount where results[index] != nil {
                let (result, warning) = job.donePartition(index, verifyRuns: true)
                if let warning { logger.warning("\(warning)") }
                results[index] = result
            }
            for warning in job.dropIncompleteCheckpoints(&results) { logger.warning("\(warning)") }
        }
        return (results, checkedBuckets, bucketWarnings)
    }
}
