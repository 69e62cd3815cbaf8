/// A map worker's occurrences awaiting a spill: fixed-size entries in one allocation made up front,
/// so appending is a store, never an allocation. When full (or at the end of a partition) they are
/// sorted by (bucket, reference, position) and written as one run.
public final class ReferenceBuffer {
    /// What one occurrence costs here: the entry and its sort item.
    public static let bytesPerEntry = MemoryLayout<Entry>.stride + MemoryLayout<SortItem>.stride

    struct Entry {
        var key: ReferenceKey
        var value: Occurrence
    }

    /// What is sorted: the order fields and the entry's index (entries themselves stay put).
    struct SortItem: InPlaceSortable {
        var bucket: UInt32
        var index: UInt32
        var reference: MerchantKey
        var position: UInt64

        @inline(__always)
        static func precedes(_ a: SortItem, _ b: SortItem) -> Bool {
            if a.bucket != b.bucket { return a.bucket < b.bucket }
            if a.reference != b.reference { return a.reference < b.reference }
            return a.position < b.position
        }
    }

    let capacity: Int
    private let entries: UnsafeMutablePointer<Entry>
    private let items: UnsafeMutablePointer<SortItem>
    public private(set) var count = 0

    public init(memoryBytes: Int) {
        capacity = max(1024, min(Int(UInt32.max), memoryBytes / Self.bytesPerEntry))
        entries = .allocate(capacity: capacity)
        items = .allocate(capacity: capacity)
    }

    deinit {
        entries.deallocate()
        items.deallocate()
    }

    public var isFull: Bool { count == capacity }
    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    public func append(_ key: ReferenceKey, _ value: Occurrence) {
        (entries + count).initialize(to: Entry(key: key, value: value))
        count &+= 1
    }

    /// Sorts and writes the buffered occurrences as one run at `path`, then empties the buffer.
    public func spill(path: String, bucketCount: Int, encoder: LZ4FrameEncoder) throws -> SpillRunInfo {
        for index in 0..<count {
            let key = entries[index].key
            items[index] = SortItem(bucket: UInt32(ReferenceKey.bucket(of: key.reference, count: bucketCount)),
                                    index: UInt32(index), reference: key.reference, position: key.position)
        }
        InPlaceSort.sort(UnsafeMutableBufferPointer(start: items, count: count))
        var writer = try SpillWriter<ReferenceCodec>(path: path, bucketCount: bucketCount, encoder: encoder)
        do {
            for index in 0..<count {
                let item = items[index]
                let entry = entries[Int(item.index)]
                try writer.append(bucket: Int(item.bucket), key: entry.key, value: entry.value)
            }
        } catch {
            writer.abandon()
            throw error
        }
        count = 0
        return try writer.finish()
    }

    public func clear() { count = 0 }
}
