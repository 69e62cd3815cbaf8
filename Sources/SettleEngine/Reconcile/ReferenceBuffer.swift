import CSettleShims

/// A map worker's occurrences awaiting a spill: fixed-size entries in one allocation made up front,
/// so appending is a store, never an allocation. The allocation is cut into one segment per reduce
/// bucket, and each occurrence goes to its bucket's segment; a spill sorts one segment at a time
/// (by hash, see `ReferenceKey`) and writes the buckets in order as one run. Sorting and reading a
/// segment touches a few megabytes that stay in cache, not the whole buffer at random.
public final class ReferenceBuffer {
    /// What one occurrence costs here: the entry and its sort item, twice (the radix sort's scatter).
    public static let bytesPerEntry = MemoryLayout<Entry>.stride + 2 * MemoryLayout<SortItem>.stride
    /// The radix sort's pass takes the top bits of the hash.
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

    let bucketCount: Int
    /// Entries per bucket segment.
    let segmentCapacity: Int
    private let entries: UnsafeMutablePointer<Entry>
    private let items: UnsafeMutablePointer<SortItem>
    private let scattered: UnsafeMutablePointer<SortItem>
    private let bins: UnsafeMutablePointer<Int>
    /// Entries in each segment.
    private let counts: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) public private(set) var count = 0

    public init(memoryBytes: Int, bucketCount: Int) {
        self.bucketCount = bucketCount
        let capacity = max(1024 * bucketCount, min(Int(UInt32.max), memoryBytes / Self.bytesPerEntry))
        segmentCapacity = capacity / bucketCount
        entries = .allocate(capacity: segmentCapacity * bucketCount)
        items = .allocate(capacity: segmentCapacity)
        scattered = .allocate(capacity: segmentCapacity)
        bins = .allocate(capacity: (1 << Self.radixBits) + 1)
        counts = .allocate(capacity: bucketCount)
        counts.initialize(repeating: 0, count: bucketCount)
    }

    deinit {
        entries.deallocate()
        items.deallocate()
        scattered.deallocate()
        bins.deallocate()
        counts.deallocate()
    }

    public var isEmpty: Bool { count == 0 }

    /// Stores the occurrence in its bucket's segment; false (and nothing stored) when that segment
    /// is full: the caller spills and appends again.
    @inline(__always)
    public func append(_ key: ReferenceKey, _ value: Occurrence) -> Bool {
        let bucket = ReferenceKey.bucket(hash: key.hash, count: bucketCount)
        let used = counts[bucket]
        guard used < segmentCapacity else { return false }
        (entries + bucket * segmentCapacity + used).initialize(to: Entry(key: key, value: value))
        counts[bucket] = used &+ 1
        count &+= 1
        return true
    }

    /// Sorts and writes the buffered occurrences as one run at `path`, then empties the buffer.
    public func spill(path: String, encoder: LZ4FrameEncoder) throws -> SpillRunInfo {
        var writer = try SpillWriter<ReferenceCodec>(path: path, bucketCount: bucketCount, encoder: encoder)
        do {
            for bucket in 0..<bucketCount where counts[bucket] > 0 {
                let segment = entries + bucket * segmentCapacity
                let used = counts[bucket]
                sortByHash(segment, count: used)
                orderCollisions(segment, UnsafeMutableBufferPointer(start: items, count: used))
                let ahead = 8
                for index in 0..<used {
                    if index + ahead < used { settle_prefetch_read(segment + items[index + ahead].index) }
                    let entry = segment[items[index].index]
                    try writer.append(bucket: bucket, key: entry.key, value: entry.value)
                }
            }
        } catch {
            writer.abandon()
            throw error
        }
        clear()
        return try writer.finish()
    }

    public func clear() {
        counts.update(repeating: 0, count: bucketCount)
        count = 0
    }

    /// Sorts the segment's items by (hash, index) into `items`: one stable counting scatter on the
    /// hash's top bits (hashes are uniform, so each bin holds a handful), then an insertion sort of
    /// each bin. Linear time; only the bins the segment's hashes span are visited.
    private func sortByHash(_ segment: UnsafeMutablePointer<Entry>, count: Int) {
        let shift = UInt64(64 - Self.radixBits)
        var low = Int.max, high = 0
        for index in 0..<count {
            let bin = Int(segment[index].key.hash >> shift)
            low = min(low, bin)
            high = max(high, bin)
        }
        let binCount = high - low + 1
        bins.initialize(repeating: 0, count: binCount + 1)
        for index in 0..<count { bins[Int(segment[index].key.hash >> shift) - low + 1] += 1 }
        for bin in 0..<binCount { bins[bin + 1] += bins[bin] }
        // bins[b] is now where bin b starts; scatter in index order (stable).
        for index in 0..<count {
            let hash = segment[index].key.hash
            let bin = Int(hash >> shift) - low
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
    private func orderCollisions(_ segment: UnsafeMutablePointer<Entry>, _ items: UnsafeMutableBufferPointer<SortItem>) {
        var start = 0
        while start < items.count {
            var end = start + 1
            while end < items.count && items[end].hash == items[start].hash { end += 1 }
            if end - start > 1 {
                let reference = segment[items[start].index].key.reference
                if (start + 1..<end).contains(where: { segment[items[$0].index].key.reference != reference }) {
                    let run = items[start..<end].sorted { a, b in
                        let ka = segment[a.index].key, kb = segment[b.index].key
                        return ka.reference != kb.reference ? ka.reference < kb.reference : a.index < b.index
                    }
                    for (offset, item) in run.enumerated() { items[start + offset] = item }
                }
            }
            start = end
        }
    }
}
