/// One sorted input of a merge: a bucket of a run file.
public struct MergeInput: Sendable, Equatable {
    public var path: String
    public var bucket: Int
    public var entries: Int

    public init(path: String, bucket: Int, entries: Int) {
        self.path = path
        self.bucket = bucket
        self.entries = entries
    }
}

/// The k-way merge of sorted runs, combining partials of equal keys with checked arithmetic.
///
/// Fan-in is bounded by the memory share (each open cursor costs `RunMerger.cursorBytes`); with
/// more inputs than that, groups are merged into intermediate runs first, as many passes as needed.
public enum RunMerger {
    /// Buffers of one open cursor: 64 KiB compressed input, 64 KiB output, the LZ4 context.
    public static let cursorBytes = 320 * 1024

    public static func fanIn(memoryBytes: Int) -> Int {
        max(2, min(1024, memoryBytes / cursorBytes))
    }

    /// Merges `inputs` and calls `emit` once per distinct key in ascending order.
    /// `scratch(pass, group)` names an intermediate run file; they are removed once merged.
    public static func merge(_ inputs: [MergeInput], fanIn: Int, encoder: LZ4FrameEncoder,
                             scratch: (Int, Int) -> String,
                             emit: (AggregateKey, PartialAggregate) throws -> Void) throws {
        try SortedMerge<AggregateCodec>.passes(inputs, fanIn: fanIn, encoder: encoder, scratch: scratch, mergeOnce: mergeOnce, emit: emit)
    }

    /// One pass: a binary heap of (current key, input index) values, so sifting moves plain values
    /// and never touches the cursors' reference counts.
    static func mergeOnce(_ inputs: [MergeInput], emit: (AggregateKey, PartialAggregate) throws -> Void) throws {
        var cursors: [RunCursor] = []
        var heap: [(key: AggregateKey, source: Int)] = []
        cursors.reserveCapacity(inputs.count)
        heap.reserveCapacity(inputs.count)
        for input in inputs {
            let cursor = try RunReader(path: input.path).cursor(bucket: input.bucket)
            if try cursor.advance() {
                heap.append((cursor.key, cursors.count))
                cursors.append(cursor)
            }
        }
        guard !heap.isEmpty else { return }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { SortedMerge<AggregateCodec>.siftDown(&heap, index) }
        var pendingKey = heap[0].key
        var pending = PartialAggregate()
        while !heap.isEmpty {
            let cursor = cursors[heap[0].source]
            if heap[0].key == pendingKey {
                if !pending.combine(cursor.value) {
                    throw SettleError(.overflow, "sum overflow for merchant '\(pendingKey.merchant.string)' currency '\(pendingKey.currency.string)': the totals do not fit 128 bits")
                }
            } else {
                try emit(pendingKey, pending)
                pendingKey = heap[0].key
                pending = cursor.value
            }
            if try cursor.advance() {
                heap[0].key = cursor.key
                SortedMerge<AggregateCodec>.siftDown(&heap, 0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { SortedMerge<AggregateCodec>.siftDown(&heap, 0) }
            }
        }
        try emit(pendingKey, pending)
    }
}
