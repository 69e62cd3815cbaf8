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
        var current = inputs.filter { $0.entries > 0 }
        var intermediates: [String] = []
        defer { for path in intermediates { FileIO.unlink(path) } }
        var pass = 0
        while current.count > fanIn {
            var next: [MergeInput] = []
            var group = 0
            for start in stride(from: 0, to: current.count, by: fanIn) {
                let slice = Array(current[start..<min(start + fanIn, current.count)])
                if slice.count == 1 {
                    next.append(slice[0])
                    continue
                }
                let path = scratch(pass, group)
                group += 1
                var writer = try RunWriter(path: path, bucketCount: 1, encoder: encoder)
                intermediates.append(path)
                var count = 0
                do {
                    try mergeOnce(slice) { key, value in
                        try writer.append(bucket: 0, key: key, value: value)
                        count += 1
                    }
                } catch {
                    writer.abandon()
                    throw error
                }
                _ = try writer.finish()
                next.append(MergeInput(path: path, bucket: 0, entries: count))
            }
            current = next
            pass += 1
        }
        try mergeOnce(current, emit: emit)
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
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(&heap, index) }
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
                siftDown(&heap, 0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(&heap, 0) }
            }
        }
        try emit(pendingKey, pending)
    }

    private static func siftDown(_ heap: inout [(key: AggregateKey, source: Int)], _ start: Int) {
        var root = start
        let count = heap.count
        while true {
            let left = 2 * root + 1
            if left >= count { return }
            var smallest = left
            if left + 1 < count && heap[left + 1].key < heap[left].key { smallest = left + 1 }
            if heap[smallest].key < heap[root].key {
                heap.swapAt(smallest, root)
                root = smallest
            } else {
                return
            }
        }
    }
}
