/// The map stage of a job: one partition at a time, each attempt in a directory of its own, a
/// marker published last with no-overwrite semantics.
extension Job {
    /// The partition's result from its marker, or nil when it is not done. A marker that does not
    /// hold up (unreadable, without or against its own checksum, for another byte range, files
    /// missing or of the wrong size, or with `verifyRuns` a spill run, with `verifyRejects` the
    /// rejects file, whose CRC-32C is not the marker's) is removed and reported in `warning`, and
    /// the partition counts as not done.
    public func donePartition(_ index: Int, verifyRuns: Bool, verifyRejects: Bool = false) -> (result: PartitionResult?, warning: String?) {
        let partition = plan.partitions[index]
        let taskDirectory = directory.partitionDirectory(index)
        let markerPath = directory.partitionMarker(index)
        func invalid(_ why: String) -> (PartitionResult?, String?) {
            FileIO.unlink(markerPath)
            return (nil, "partition \(index): \(why); it will be recomputed")
        }
        let marker: PartitionMarker
        switch MarkerIO.read(PartitionMarker.self, path: markerPath) {
        case .missing: return (nil, nil)
        case .invalid(let why): return invalid(why)
        case .valid(let read): marker = read
        }
        guard marker.partition == index, marker.file == partition.fileIndex, marker.byteStart == partition.byteStart,
              marker.byteEnd == partition.byteEnd else { return invalid("marker describes another byte range") }
        let result: PartitionResult
        do {
            result = try marker.result(partition: partition, taskDirectory: taskDirectory)
        } catch {
            return invalid("marker is invalid: \(error)")
        }
        let files = marker.runs + (marker.referenceRuns ?? []) + (marker.rejects.map { [$0] } ?? [])
        guard MarkerIO.isPlainName(marker.attempt), files.allSatisfy({ MarkerIO.isPlainName($0.name) }) else {
            return invalid("marker names a file outside its attempt directory")
        }
        let attempt = taskDirectory + "/" + marker.attempt + "/"
        for entry in marker.runs + (marker.referenceRuns ?? []) {
            if let problem = MarkerIO.problem(entry, path: attempt + entry.name, what: "spill file", verify: verifyRuns) {
                return invalid(problem)
            }
        }
        if let rejects = marker.rejects,
           let problem = MarkerIO.problem(rejects, path: attempt + rejects.name, what: "rejects file", verify: verifyRejects) {
            return invalid(problem)
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
                if try MarkerIO.publishOnce(try MarkerIO.encodeChecked(marker), to: directory.partitionMarker(index)) {
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
