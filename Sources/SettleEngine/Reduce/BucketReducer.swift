/// Reduces one bucket: folds the bucket's slice of every spill run into a hash table (checked
/// arithmetic), then writes the table sorted as one run of final per-key totals. When the bucket has
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
        var writer = try RunWriter(path: outputPath, bucketCount: 1, encoder: encoder)
        var keys = 0
        do {
            if scratch.isEmpty {
                try table.drainSorted(buckets: 1) { _, key, value in
                    try writer.append(bucket: 0, key: key, value: value)
                    keys += 1
                }
            } else {
                if !table.isEmpty { scratch.append(try spill(table, encoder: encoder, directory: scratchDirectory, sequence: scratch.count)) }
                try RunMerger.merge(scratch, fanIn: fanIn, encoder: encoder,
                                    scratch: { pass, group in "\(scratchDirectory)/merge-\(pass)-\(pad(group, 4)).run" },
                                    emit: { key, value in
                                        try writer.append(bucket: 0, key: key, value: value)
                                        keys += 1
                                    })
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
