import Logging

/// The events the job runner reports as partitions move through the map stage: each updates the
/// progress snapshot under its lock and the metrics from the same numbers. Called once per partition
/// by the worker threads, never per record.
extension JobProgress {
    /// The map stage starts: what is in the snapshot so far (totals, resumed partitions) is what an
    /// earlier process did; rates from here on count only this process's work.
    func mapStarting(resumed results: [PartitionResult?]) {
        var tally = PartitionTally()
        for case let result? in results { tally.add(result) }
        let snapshot: Snapshot = update { snapshot in
            snapshot.bytesDone = tally.bytes
            snapshot.bytesResumed = tally.bytes
            snapshot.recordsResumed = snapshot.records
            snapshot.mapStartNanoseconds = Syscalls.monotonicNanoseconds()
            return snapshot
        }
        metrics.mapStarting(partitions: snapshot.partitionsTotal, pending: snapshot.partitionsTotal - snapshot.partitionsDone,
                            workerCount: snapshot.workers, resumed: tally)
    }

    /// A worker takes a partition.
    func partitionStarted() {
        let (waiting, busy) = update { snapshot in
            snapshot.partitionsInFlight += 1
            return (snapshot.partitionsWaiting, snapshot.partitionsInFlight)
        }
        metrics.partitionStarted(queueDepth: waiting, busy: busy)
    }

    /// A worker finished a partition (or found that another attempt had).
    func partitionFinished(_ result: PartitionResult) {
        let (waiting, busy, ratio) = update { snapshot in
            snapshot.partitionsInFlight -= 1
            snapshot.partitionsDone += 1
            snapshot.records += result.records
            snapshot.rejects += result.rejected
            snapshot.bytesDone += result.partition.sizeBytes
            snapshot.lastPartitionNanoseconds = Syscalls.monotonicNanoseconds()
            if result.endNanoseconds > result.startNanoseconds {
                snapshot.busyNanoseconds += result.endNanoseconds - result.startNanoseconds
            }
            return (snapshot.partitionsWaiting, snapshot.partitionsInFlight,
                    snapshot.utilizationRatio(now: Syscalls.monotonicNanoseconds()) ?? 0)
        }
        metrics.partitionFinished(result, queueDepth: waiting, busy: busy, utilizationRatio: ratio)
    }

    /// A reduce worker finished a bucket.
    func bucketFinished() {
        update { $0.bucketsDone += 1 }
        metrics.bucketFinished()
    }

    /// Brings the time-dependent gauges up to date (before a metrics file is written).
    public func sampleMetrics(nowSeconds: Double) {
        let snapshot = self.snapshot
        let ratio = snapshot.stage == "map" ? snapshot.utilizationRatio(now: Syscalls.monotonicNanoseconds()) : nil
        metrics.sampled(utilizationRatio: ratio, nowSeconds: nowSeconds)
    }
}

extension JobProgress.Snapshot {
    /// Partitions not yet taken by a worker: the queue.
    public var partitionsWaiting: Int { max(0, partitionsTotal - partitionsDone - partitionsInFlight) }

    /// Share of the workers' time spent mapping since this process started mapping (finished
    /// partitions only), 0...1; nil before the map stage.
    func utilizationRatio(now: UInt64) -> Double? {
        guard mapStartNanoseconds > 0, workers > 0, now > mapStartNanoseconds else { return nil }
        return min(1, Double(busyNanoseconds) / (Double(now - mapStartNanoseconds) * Double(workers)))
    }
}

/// The fields of a partition's debug log record (`--log-level debug`), structured for JSON logs.
enum PartitionLog {
    static func metadata(_ result: PartitionResult, file: String) -> Logger.Metadata {
        let milliseconds = result.endNanoseconds > result.startNanoseconds ? (result.endNanoseconds - result.startNanoseconds) / 1_000_000 : 0
        return [
            "partition": "\(result.partition.index)", "file": "\(file)", "byte_start": "\(result.partition.byteStart)",
            "byte_end": "\(result.partition.byteEnd)", "records": "\(result.records)", "rejects": "\(result.rejected)",
            "worker": "\(result.worker)", "milliseconds": "\(milliseconds)", "attempts": "\(result.attempts)",
        ]
    }
}
