/// Reduces one bucket: merges the bucket's slices of every spill run into one sorted run of final
/// per-key totals, published by rename once complete.
public struct BucketReducer {
    public let bucket: Int
    public let outputPath: String

    public init(bucket: Int, outputPath: String) {
        self.bucket = bucket
        self.outputPath = outputPath
    }

    /// Merges `inputs` (this bucket of each run) with at most `fanIn` open at once.
    public func reduce(_ inputs: [MergeInput], fanIn: Int, encoder: LZ4FrameEncoder, scratchDirectory: String) throws -> (keys: Int, info: SpillRunInfo) {
        var writer = try RunWriter(path: outputPath, bucketCount: 1, encoder: encoder)
        var keys = 0
        do {
            try RunMerger.merge(inputs, fanIn: fanIn, encoder: encoder,
                                scratch: { pass, group in "\(scratchDirectory)/b\(pad(bucket, 5))-pass\(pass)-\(pad(group, 4)).run" },
                                emit: { key, value in
                                    try writer.append(bucket: 0, key: key, value: value)
                                    keys += 1
                                })
        } catch {
            writer.abandon()
            throw error
        }
        return (keys, try writer.finish())
    }
}
