import Logging
import Synchronization

extension JobRunner {
    /// Maps the `pending` partitions on the job's workers, each folding the partitions it takes
    /// into its one table and checkpointing by `options.checkpoint`; returns the results of the
    /// partitions published (all of them unless stopped or failed).
    func mapCheckpointed(_ pending: [Int]) throws -> [PartitionResult] {
        let tableBytes = options.tableBytesPerWorker
        let buckets = job.bucketCount
        let retry = options.retry
        let policy = options.checkpoint
        let intervalBytes = policy.intervalBytes(inputBytes: job.plan.partitions.reduce(0) { $0 + $1.sizeBytes },
                                                 workers: options.workers, partitionBytes: job.manifest.partitionSizeBytes)
        let published = Mutex<[PartitionResult]>([])
        let (job, progress, logger, shutdown) = (self.job, self.progress, self.logger, self.shutdown)
        @Sendable func record(_ results: [PartitionResult]) {
            for result in results {
                progress.partitionFinished(result)
                logger.debug("partition mapped", metadata: PartitionLog.metadata(result, file: job.plan.files[result.partition.fileIndex].path))
            }
            published.withLock { $0 += results }
        }
        _ = try WorkerPool.run(
            taskCount: pending.count, workers: options.workers,
            shouldStop: { shutdown.isRequested },
            makeState: { id in
                CheckpointingWorker(worker: try MapWorker(id: id, memoryBytes: tableBytes, bucketCount: buckets, reconciling: job.reconciling),
                                    policy: policy, intervalBytes: intervalBytes)
            },
            body: { state, task, _ in
                let index = pending[task]
                progress.partitionStarted()
                record(try job.mapAccumulating(index, into: state, retry: retry) { attempt, error in
                    logger.warning("partition \(index): attempt \(attempt) failed, retrying: \(error.message)",
                                   metadata: ["partition": "\(index)"])
                })
            },
            finish: { state in
                record(try job.finishCheckpoint(state, retry: retry) { attempt, error in
                    logger.warning("checkpoint: attempt \(attempt) failed, retrying: \(error.message)")
                })
            })
        return published.withLock { $0 }
    }
}
