/// Where a map worker's spill runs go and which it has written there: one partition's attempt
/// directory, or, when the worker accumulates partitions between checkpoints, the directory of the
/// checkpoint's first partition (its owner). Owned by one worker.
public final class SpillSink {
    public let directory: String
    /// Runs of partial aggregates, in the order written (`sNNNN.run`).
    public private(set) var runs: [SpillRunInfo] = []
    /// Runs of occurrences by reference (`rNNNN.run`, reconciliation).
    public private(set) var referenceRuns: [SpillRunInfo] = []

    public init(directory: String) { self.directory = directory }

    func append(run: SpillRunInfo) { runs.append(run) }
    func append(referenceRun: SpillRunInfo) { referenceRuns.append(referenceRun) }
}

extension MapWorker {
    /// Spills the table, if it holds anything, as the sink's next sorted run and empties it.
    func spillTable(into sink: SpillSink) throws {
        guard !table.isEmpty else { return }
        let path = Self.runPath(directory: sink.directory, sequence: sink.runs.count)
        sink.append(run: try table.spillSorted(to: path, buckets: bucketCount, encoder: encoder))
    }

    /// Spills the occurrences by reference, if any, as the sink's next reference run.
    func spillReferences(into sink: SpillSink) throws {
        guard let references, !references.isEmpty else { return }
        let path = Self.referenceRunPath(directory: sink.directory, sequence: sink.referenceRuns.count)
        sink.append(referenceRun: try references.spill(path: path, encoder: encoder))
    }

    /// A checkpoint: spills what the worker has accumulated into `sink` and makes the sink's
    /// directory durable. The runs themselves are fsynced as they are written.
    public func flush(_ sink: SpillSink) throws {
        try spillTable(into: sink)
        try spillReferences(into: sink)
        do {
            try Syscalls.fsyncDirectory(sink.directory)
        } catch {
            throw SettleError(.io, "cannot fsync \(sink.directory): \(error)")
        }
    }

    /// Forgets what the table and the reference buffer hold (a checkpoint that failed is redone).
    public func discardAccumulated() {
        table.clear()
        references?.clear()
    }
}
