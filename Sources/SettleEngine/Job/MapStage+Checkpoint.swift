/// A map worker that folds partition after partition into its one table and checkpoints: spills
/// the table into the directory of the checkpoint's first partition, then publishes the markers of
/// every partition the spill covers (`CheckpointGroup`). Used by `aggregate`, `resume` and `watch`;
/// `settle map --partition` maps and marks one partition alone (`Job.mapPartition`).
final class CheckpointingWorker {
    /// A partition folded into the open checkpoint, in its own attempt directory (rejects; the
    /// first one's also holds the checkpoint's runs).
    struct Member {
        var index: Int
        var attemptDirectory: String
        var result: PartitionResult
    }

    let worker: MapWorker
    let policy: CheckpointPolicy
    let intervalBytes: Int?
    /// The runs of the open checkpoint, in its first member's attempt directory.
    var sink: SpillSink?
    var members: [Member] = []
    var inputBytes = 0
    var openedNanoseconds: UInt64 = 0
    /// A failure left the table holding part of the checkpoint: its members are mapped again first.
    var needsReplay = false

    init(worker: MapWorker, policy: CheckpointPolicy, intervalBytes: Int?) {
        self.worker = worker
        self.policy = policy
        self.intervalBytes = intervalBytes
    }

    var isDue: Bool {
        let seconds = Double(Syscalls.monotonicNanoseconds() - openedNanoseconds) / 1e9
        return policy.isDue(bytes: inputBytes, seconds: seconds, intervalBytes: intervalBytes)
    }

    /// Forgets the open checkpoint: its files, the table's contents; keeps the members to replay.
    func abandon() {
        for member in members { FileIO.removeTree(member.attemptDirectory) }
        worker.discardAccumulated()
        sink = nil
        inputBytes = 0
        needsReplay = !members.isEmpty
    }

    func reset() {
        sink = nil
        members = []
        inputBytes = 0
        needsReplay = false
    }
}

extension Job {
    /// Folds partition `index` into the worker's open checkpoint, with retries (a failure redoes
    /// the whole checkpoint: the table cannot take a partition back). Returns the results of the
    /// partitions it published when the checkpoint became due, else nothing.
    func mapAccumulating(_ index: Int, into state: CheckpointingWorker, retry: RetryPolicy,
                         onRetry: (Int, SettleError) -> Void) throws -> [PartitionResult] {
        let partition = plan.partitions[index]
        return try retry.run("map of partition \(index) (\(plan.files[partition.fileIndex].path) bytes \(partition.byteStart)-\(partition.byteEnd))",
                             onRetry: onRetry) { attempt in
            do {
                if state.needsReplay { try replay(state) }
                if let done = state.members.firstIndex(where: { $0.index == index }) {
                    state.members[done].result.attempts = attempt
                } else {
                    try mapMember(index, attempts: attempt, into: state)
                }
                return state.isDue ? try publishCheckpoint(state) : []
            } catch {
                state.abandon()
                throw error
            }
        }
    }

    /// Publishes the worker's open checkpoint (when it runs out of partitions or is stopped), with retries.
    func finishCheckpoint(_ state: CheckpointingWorker, retry: RetryPolicy,
                          onRetry: (Int, SettleError) -> Void) throws -> [PartitionResult] {
        guard !state.members.isEmpty else { return [] }
        return try retry.run("checkpoint of partitions \(Self.list(state.members.map(\.index)))", onRetry: onRetry) { _ in
            do {
                if state.needsReplay { try replay(state) }
                return try publishCheckpoint(state)
            } catch {
                state.abandon()
                throw error
            }
        }
    }

    private func mapMember(_ index: Int, attempts: Int, into state: CheckpointingWorker) throws {
        let partition = plan.partitions[index]
        let attemptDirectory = try directory.newAttempt(in: directory.partitionDirectory(index))
        if state.sink == nil {
            state.sink = SpillSink(directory: attemptDirectory)
            state.openedNanoseconds = Syscalls.monotonicNanoseconds()
        }
        // Listed before mapping, so that a failure removes its directory too.
        state.members.append(.init(index: index, attemptDirectory: attemptDirectory, result: PartitionResult(partition: partition)))
        var result = try state.worker.map(partition, file: plan.files[partition.fileIndex], mapped: mapped[partition.fileIndex],
                                          directory: attemptDirectory, accumulating: state.sink)
        result.attempts = attempts
        state.members[state.members.count - 1].result = result
        state.inputBytes += partition.sizeBytes
    }

    /// Maps the open checkpoint's members again, in order, after a failure discarded the table.
    private func replay(_ state: CheckpointingWorker) throws {
        let members = state.members.filter { $0.result.endNanoseconds != 0 }
        state.reset()
        for member in members { try mapMember(member.index, attempts: member.result.attempts, into: state) }
    }

    /// Spills the table, then publishes every member's marker (the first lists the runs). A failure
    /// withdraws the markers already published, so no partial checkpoint stays behind this run.
    private func publishCheckpoint(_ state: CheckpointingWorker) throws -> [PartitionResult] {
        guard let sink = state.sink, let owner = state.members.first else { return [] }
        try state.worker.flush(sink)
        let group = CheckpointGroup(id: AtomicFile.split(owner.attemptDirectory).name, owner: owner.index,
                                    partitions: state.members.map(\.index))
        var published: [Int] = []
        var results: [PartitionResult] = []
        do {
            for member in state.members {
                var result = member.result
                result.checkpoint = group
                if member.index == owner.index {
                    result.runs = sink.runs
                    result.referenceRuns = sink.referenceRuns
                }
                let marker = PartitionMarker(result: result, attemptDirectory: member.attemptDirectory, attempts: result.attempts)
                guard try MarkerIO.publishOnce(try MarkerIO.encodeChecked(marker), to: directory.partitionMarker(member.index)) else {
                    throw SettleError(.locked, "partition \(member.index) was mapped by another process while this run held it: run `settle resume \(directory.root)`")
                }
                published.append(member.index)
                results.append(result)
            }
        } catch {
            for index in published { FileIO.unlink(directory.partitionMarker(index)) }
            throw error
        }
        state.reset()
        return results
    }
}
