import CSettleShims

/// A map worker's occurrences awaiting a spill: fixed-size entries in one allocation made up front,
/// so appending is a store, never an allocation. When full (or at the end of a partition) they are
/// sorted by (bucket, reference, position) and written as one run.
public final class ReferenceBuffer {
    /// What one occurrence costs here: the entry and its sort item, twice (the radix sort's scatter).
    public static let bytesPerEntry = MemoryLayout<Entry>.stride + 2 * MemoryLayout<SortItem>.stride
    /// The radix sort's first pass takes the top bits of the hash.
    static let radixBits = 16

    struct Entry {
        var key: ReferenceKey
        var value: Occurrence
    }

    /// What is sorted: the reference's hash and the entry's index (entries themselves stay put).
    /// Entries are appended in position order, so for equal hashes the index orders positions; the
    /// rare hash shared by two references is put right after the sort.
    struct SortItem: InPlaceSortable {
        var hash: UInt64
        var index: Int

        @inline(__always)
        static func precedes(_ a: SortItem, _ b: SortItem) -> Bool {
            a.hash != b.hash ? a.hash < b.hash : a.index < b.index
        }
    }

    let capacity: Int
    private let entries: UnsafeMutablePointer<Entry>
    private let items: UnsafeMutablePointer<SortItem>
    private let scattered: UnsafeMutablePointer<SortItem>
    private let bins: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) public private(set) var count = 0

    public init(memoryBytes: Int) {
        capacity = max(1024, min(Int(UInt32.max), memoryBytes / Self.bytesPerEntry))
        entries = .allocate(capacity: capacity)
        items = .allocate(capacity: capacity)
        scattered = .allocate(capacity: capacity)
        bins = .allocate(capacity: (1 << Self.radixBits) + 1)
    }

    deinit {
        entries.deallocate()
        items.deallocate()
        scattered.deallocate()
        bins.deallocate()
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
        sortByHash()
        let sorted = UnsafeMutableBufferPointer(start: items, count: count)
        orderCollisions(sorted)
        var writer = try SpillWriter<ReferenceCodec>(path: path, bucketCount: bucketCount, encoder: encoder)
        do {
            // Entries are read in sorted order, at random: prefetch a few ahead.
            let ahead = 8
            for index in 0..<count {
                if index + ahead < count {
                    let next = entries + items[index + ahead].index
                    settle_prefetch_read(next)
                    settle_prefetch_read(UnsafeRawPointer(next) + 64)
                }
                let entry = entries[items[index].index]
                try writer.append(bucket: ReferenceKey.bucket(hash: entry.key.hash, count: bucketCount), key: entry.key, value: entry.value)
            }
        } catch {
            writer.abandon()
            throw error
        }
        count = 0
        return try writer.finish()
    }

    public func clear() { count = 0 }

    /// Sorts `items` by (hash, index): one stable counting scatter on the hash's top bits (hashes are
    /// uniform, so each bin holds a handful), then an insertion sort of each bin. Linear time.
    private func sortByHash() {
        let binCount = 1 << Self.radixBits
        let shift = UInt64(64 - Self.radixBits)
        bins.initialize(repeating: 0, count: binCount + 1)
        for index in 0..<count {
            bins[Int(entries[index].key.hash >> shift) + 1] += 1
        }
        for bin in 0..<binCount { bins[bin + 1] += bins[bin] }
        // bins[b] is now where bin b starts; scatter in index order (stable).
        for index in 0..<count {
            let hash = entries[index].key.hash
            let bin = Int(hash >> shift)
            scattered[bins[bin]] = SortItem(hash: hash, index: index)
            bins[bin] += 1
        }
        // bins[b] is now where bin b ends; sort each bin into `items`.
        var start = 0
        for bin in 0..<binCount {
            let end = bins[bin]
            var at = start
            while at < end {
                let item = scattered[at]
                var position = at - 1
                while position >= start && SortItem.precedes(item, items[position]) {
                    items[position + 1] = items[position]
                    position -= 1
                }
                items[position + 1] = item
                at += 1
            }
            start = end
        }
    }

    /// Within a run of equal hashes, orders by reference then position (index), so that two
    /// references sharing a hash stay apart and each stays in position order.
    private func orderCollisions(_ items: UnsafeMutableBufferPointer<SortItem>) {
        var start = 0
        while start < items.count {
            var end = start + 1
            while end < items.count && items[end].hash == items[start].hash { end += 1 }
            if end - start > 1 {
                let reference = entries[items[start].index].key.reference
                if (start + 1..<end).contains(where: { entries[items[$0].index].key.reference != reference }) {
                    let run = items[start..<end].sorted { a, b in
                        let ka = entries[a.index].key, kb = entries[b.index].key
                        return ka.reference != kb.reference ? ka.reference < kb.reference : a.index < b.index
                    }
                    for (offset, item) in run.enumerated() { items[start + offset] = item }
                }
            }
            start = end
        }
    }
}
