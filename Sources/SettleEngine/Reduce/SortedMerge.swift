import HeapModule

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

/// The one k-way merge of the reduce stage: sorted runs of any codec come out in key order, each
/// entry once or, with a combining policy, one entry per distinct key (the totals' partials).
///
/// Fan-in is bounded (each open cursor costs `cursorBytes` of the memory share); with more inputs
/// than that, groups are merged into intermediate runs first, as many passes as needed. Equal keys
/// come out in the order of their inputs (the earlier input first), so the result depends only on
/// the inputs and their order.
public enum SortedMerge<Codec: SpillCodec> {
    /// How entries of equal keys become one: `combine(&pending, next, key)` folds `next` into
    /// `pending` (and throws when it cannot, e.g. on overflow). nil: every entry comes out.
    public typealias Combine = (inout Codec.Value, Codec.Value, Codec.Key) throws -> Void

    /// Merges `inputs` and calls `emit` in ascending key order. `scratch(pass, group)` names an
    /// intermediate run file; they are removed at the end.
    public static func merge(_ inputs: [MergeInput], fanIn: Int, encoder: LZ4FrameEncoder, scratch: (Int, Int) -> String,
                             combine: Combine? = nil, emit: (Codec.Key, Codec.Value) throws -> Void) throws {
        var current = inputs.filter { $0.entries > 0 }
        var intermediates: [String] = []
        defer { for path in intermediates { FileIO.unlink(path) } }
        var pass = 0
        while current.count > fanIn {
            var next: [MergeInput] = []
            for (group, start) in stride(from: 0, to: current.count, by: fanIn).enumerated() {
                let slice = Array(current[start..<min(start + fanIn, current.count)])
                if slice.count == 1 {
                    next.append(slice[0])
                    continue
                }
                let path = scratch(pass, group)
                var writer = try SpillWriter<Codec>(path: path, bucketCount: 1, encoder: encoder)
                intermediates.append(path)
                var count = 0
                do {
                    try mergeOnce(slice, combine: combine) { key, value in
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
        try mergeOnce(current, combine: combine, emit: emit)
    }

    /// The current key of one input; the heap orders by key, then by input.
    struct Head: Comparable {
        var key: Codec.Key
        var source: Int

        static func < (a: Head, b: Head) -> Bool { a.key < b.key || (a.key == b.key && a.source < b.source) }
        static func == (a: Head, b: Head) -> Bool { a.key == b.key && a.source == b.source }
    }

    /// One pass over at most `fanIn` inputs: a heap of (current key, input) values, so that sifting
    /// moves plain values and never touches the cursors' reference counts.
    static func mergeOnce(_ inputs: [MergeInput], combine: Combine?, emit: (Codec.Key, Codec.Value) throws -> Void) throws {
        var cursors: [SpillCursor<Codec>] = []
        var heads: [Head] = []
        for input in inputs {
            let cursor = try RunReader(path: input.path).cursor(bucket: input.bucket, codec: Codec.self)
            if try cursor.advance() {
                heads.append(Head(key: cursor.key, source: cursors.count))
                cursors.append(cursor)
            }
        }
        var heap = Heap(heads)
        // `cursors` keeps them alive: the loop uses unretained references, no counting per entry.
        let unretained = cursors.map { Unmanaged.passUnretained($0) }
        var pending: (key: Codec.Key, value: Codec.Value)?
        try withExtendedLifetime(cursors) {
            while let head = heap.min {
                let more = try unretained[head.source]._withUnsafeGuaranteedRef { cursor in
                    if let combine {
                        if pending != nil && pending!.key == cursor.key {
                            try combine(&pending!.value, cursor.value, cursor.key)
                        } else {
                            if let (key, value) = pending { try emit(key, value) }
                            pending = (cursor.key, cursor.value)
                        }
                    } else {
                        try emit(cursor.key, cursor.value)
                    }
                    return try cursor.advance() ? cursor.key : nil
                }
                if let more {
                    heap.replaceMin(with: Head(key: more, source: head.source))
                } else {
                    heap.removeMin()
                }
            }
        }
        if let (key, value) = pending { try emit(key, value) }
    }
}
