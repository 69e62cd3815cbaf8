/// The merge of the totals' sorted runs: `SortedMerge` combining the partials of equal keys with
/// checked arithmetic.
public enum RunMerger {
    /// Buffers of one open cursor: 64 KiB compressed input, 64 KiB output, the LZ4 context.
    public static let cursorBytes = 320 * 1024

    /// How many runs one pass may merge within `memoryBytes`.
    public static func fanIn(memoryBytes: Int) -> Int {
        max(2, min(1024, memoryBytes / cursorBytes))
    }

    /// Merges `inputs` and calls `emit` once per distinct key in ascending order.
    /// `scratch(pass, group)` names an intermediate run file; they are removed once merged.
    public static func merge(_ inputs: [MergeInput], fanIn: Int, encoder: LZ4FrameEncoder,
                             scratch: (Int, Int) -> String,
                             emit: (AggregateKey, PartialAggregate) throws -> Void) throws {
        try SortedMerge<AggregateCodec>.merge(inputs, fanIn: fanIn, encoder: encoder, scratch: scratch, combine: { pending, next, key in
            if !pending.combine(next) {
                throw SettleError(.overflow, "sum overflow for merchant '\(key.merchant.string)' currency '\(key.currency.string)': the totals do not fit 128 bits")
            }
        }, emit: emit)
    }
}
