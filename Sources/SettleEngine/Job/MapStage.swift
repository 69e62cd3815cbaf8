/// The map stage of a job: one partition at a time, each attempt in a directory of its own, a
/// marker published last with no-overwrite semantics.
extension Job {
    /// The partition's result from its marker, or nil when it is not done. A marker that does not
    /// hold up (unreadable, for another byte range, files missing or of the wrong size, or with
    /// `verifyRuns` a spill run that fails its checksums) is removed and reported in `warning`,
    /// and the partition counts as not done.
    public func donePartition(_ index: Int, verifyRuns: Bool) -> (result: PartitionResult?, warning: String?) {
        let partition = plan.partitions[index]
        let taskDirectory = directory.partitionDirectory(index)
        let markerPath = directory.partitionMarker(index)
        guard FileIO.exists(markerPath) else { return (nil, nil) }
        func invalid(_ why: String) -> (PartitionResult?, String?) {
            FileIO.unlink(markerPath)
            return (nil, "partition \(index): \(why); it will be recomputed")
        }
        guard let marker = MarkerIO.decode(PartitionMarker.self, path: markerPath) else { return invalid("marker is unreadable") }
        guard marker.partition == index, marker.file == partition.fileIndex, marker.byteStart == partition.byteStart,
              marker.byteEnd == partition.byteEnd else { return invalid("marker describes another byte range") }
        let result: PartitionResult
        do {
            result = try marker.result(partition: partition, taskDirectory: taskDirectory)
        } catch {
            return invalid("marker is invalid: \(error)")
        }
        for run in result.runs + result.referenceRuns where FileIO.fileSize(run.path) != run.sizeBytes {
            return invalid("spill file \(run.path) is missing or has the wrong size")
        }
        if let rejects = result.rejectsPath, FileIO.fileSize(rejects) != marker.rejects?.sizeBytes {
            return invalid("rejects file \(rejects) is missing or has the wrong size")
        }
        if verifyRuns {
            for (run, isReferences) in result.runs.map({ ($0, false) }) + result.referenceRuns.map({ ($0, true) }) {
                do {
                    let entries = try isReferences ? RunReader(path: run.path).verify(codec: ReferenceCodec.self) : RunReader(path: run.path).verify()
                    if entries != run.entries { return invalid("spill file \(run.path) holds \(entries) entries, marker says \(run.entries)") }
                } catch {
                    return invalid("\(error)")
                }
            }
        }
        return (result, nil)
    }

    /// Maps one partition with retries; publishes its marker. If another attempt published first,
    /// returns that attempt's result and removes this one's files.
    public func mapPartition(_ index: Int, worker: MapWorker, retry: RetryPolicy,
                             onRetry: (Int, SettleError) -> Void = { _, _ in }) throws -> PartitionResult {
        let partition = plan.partitions[index]
        let taskDirectory = directory.partitionDirectory(index)
        return try retry.run("map of partition \(index) (\(plan.files[partition.fileIndex].path) bytes \(partition.byteStart)-\(partition.byteEnd))",
                             onRetry: onRetry) { attempt in
            let attemptDirectory = try directory.newAttempt(in: taskDirectory)
            do {
                var result = try worker.map(partition, file: plan.files[partition.fileIndex], mapped: mapped[partition.fileIndex],
                                            directory: attemptDirectory)
                result.attempts = attempt
                let marker = PartitionMarker(result: result, attemptDirectory: attemptDirectory, attempts: attempt)
                if try MarkerIO.publishOnce(try MarkerIO.encode(marker), to: directory.partitionMarker(index)) {
                    return result
                }
                // Another attempt won; use its result.
                FileIO.removeTree(attemptDirectory)
                guard let winner = donePartition(index, verifyRuns: false).result else {
                    throw SettleError(.io, "partition \(index): another attempt published a marker that does not hold up")
                }
                return winner
            } catch {
                FileIO.removeTree(attemptDirectory)
                throw error
            }
        }
    }
}
