/// Reduces one bucket: with at most `fanIn` inputs, one k-way merge of the sorted runs (checked
/// arithmetic); with more, folds the bucket's slice of every spill run into a hash table, then
/// writes the table sorted as one run of final per-key totals. When the bucket has
/// more distinct keys than the table holds, full tables are spilled as sorted scratch runs and
/// those are k-way merged, with a bounded fan-in: memory stays bounded whatever the bucket's size.
public struct BucketReducer {
    public let bucket: Int
    public let outputPath: String

    public init(bucket: Int, outputPath: String) {
        self.bucket = bucket
        self.outputPath = outputPath
    }

    /// Reduces `inputs` (this bucket of each run) using `table` (emptied first and after).
    public func reduce(_ inputs: [MergeInput], table: AggregateTable, fanIn: Int, encoder: LZ4FrameEncoder,
                       scratchDirectory: String) throws -> (keys: Int, info: SpillRunInfo) {
        let nonEmpty = inputs.filter { $0.entries > 0 }
        if nonEmpty.count <= fanIn { return try merge(nonEmpty, fanIn: fanIn, encoder: encoder, scratchDirectory: scratchDirectory) }
        table.clear()
        defer { table.clear() }
        var scratch: [MergeInput] = []
        defer { for input in scratch { FileIO.unlink(input.path) } }
        for input in inputs where input.entries > 0 {
            let cursor = try RunReader(path: input.path).cursor(bucket: input.bucket)
            while try cursor.advance() {
                if table.isFull { scratch.append(try spill(table, encoder: encoder, directory: scratchDirectory, sequence: scratch.count)) }
                if !table.combine(cursor.key, cursor.value) {
                    throw SettleError(.overflow, "sum overflow for merchant '\(cursor.key.merchant.string)' currency '\(cursor.key.currency.string)': the totals do not fit 128 bits")
                }
            }
        }
        if !scratch.isEmpty {
            if !table.isEmpty { scratch.append(try spill(table, encoder: encoder, directory: scratchDirectory, sequence: scratch.count)) }
            return try merge(scratch, fanIn: fanIn, encoder: encoder, scratchDirectory: scratchDirectory)
        }
        return try writeOutput(encoder: encoder) { emit in try table.drainSorted(buckets: 1) { _, key, value in try emit(key, value) } }
    }

    /// Few inputs (checkpointed map workers leave a few runs, not one per partition): the runs are
    /// sorted already, so one k-way merge writes the output with no table to fill and no sort (the
    /// profile of the 10M-record bench showed the table's inserts and the sort of its drain).
    private func merge(_ inputs: [MergeInput], fanIn: Int, encoder: LZ4FrameEncoder,
                       scratchDirectory: String) throws -> (keys: Int, info: SpillRunInfo) {
        try writeOutput(encoder: encoder) { emit in
            try RunMerger.merge(inputs, fanIn: fanIn, encoder: encoder,
                                scratch: { pass, group in "\(scratchDirectory)/merge-\(pass)-\(pad(group, 4)).run" },
                                emit: emit)
        }
    }

    /// Writes the bucket's output run from the ascending stream `produce` emits; counts its keys.
    private func writeOutput(encoder: LZ4FrameEncoder,
                             _ produce: ((AggregateKey, PartialAggregate) throws -> Void) throws -> Void) throws -> (keys: Int, info: SpillRunInfo) {
        var writer = try RunWriter(path: outputPath, bucketCount: 1, encoder: encoder)
        var keys = 0
        do {
            try produce { key, value in
                try writer.append(bucket: 0, key: key, value: value)
                keys += 1
            }
        } catch {
            writer.abandon()
            throw error
        }
        return (keys, try writer.finish())
    }

    private func spill(_ table: AggregateTable, encoder: LZ4FrameEncoder, directory: String, sequence: Int) throws -> MergeInput {
        let info = try table.spillSorted(to: "\(directory)/table-\(pad(sequence, 5)).run", buckets: 1, encoder: encoder)
        return MergeInput(path: info.path, bucket: 0, entries: info.entries)
    }
}
