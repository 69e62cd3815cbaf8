/// One worker's hash table of partial aggregates: open addressing, linear probing, power-of-two
/// capacity sized from the worker's memory share. Owned by one worker, reused across partitions.
///
/// When it reaches its load limit the worker spills it (`drainSorted`) and carries on; memory never
/// grows past the share it was given.
public final class AggregateTable {
    /// One slot. `bucket` is scratch space filled only while draining (the sort key's first part).
    struct Slot {
        var merchant: MerchantKey
        var currency: UInt32
        var bucket: UInt32
        var debitCount: Int64
        var creditCount: Int64
        var debitAmount: Int128
        var creditAmount: Int128
        var feeAmount: Int128
    }

    /// The mutable state, behind a pointer so the hot loop pays no dynamic exclusivity checks
    /// (which class `var`s would cost on every record).
    struct State {
        var storage: UnsafeMutablePointer<Slot>
        var capacity: Int
        var mask: Int
        /// Keys held before the table grows or, at its largest, spills (75% load).
        var limit: Int
        var count: Int
    }

    static var slotBytes: Int { MemoryLayout<Slot>.stride }

    private let state: UnsafeMutablePointer<State>
    /// The largest capacity the memory share allows.
    public let maxCapacity: Int

    /// A table using at most `memoryBytes` (at least 1,024 slots). It starts small and doubles as
    /// keys arrive, so clearing it after a spill costs what was used, not the whole share.
    public init(memoryBytes: Int, initialCapacity: Int = 4096) {
        var maxCapacity = 1024
        // Growing briefly holds the old and the new storage (1.5x the final size): stay within the share.
        while maxCapacity * 3 * Self.slotBytes <= memoryBytes { maxCapacity *= 2 }
        self.maxCapacity = maxCapacity
        let capacity = min(maxCapacity, max(1024, initialCapacity))
        let storage = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        storage.initialize(repeating: Slot.empty, count: capacity)
        state = .allocate(capacity: 1)
        state.initialize(to: State(storage: storage, capacity: capacity, mask: capacity - 1, limit: capacity / 4 * 3, count: 0))
    }

    deinit {
        state.pointee.storage.deallocate()
        state.deallocate()
    }

    public var capacity: Int { state.pointee.capacity }
    public var count: Int { state.pointee.count }
    public var isEmpty: Bool { state.pointee.count == 0 }
    public var memoryBytes: Int { state.pointee.capacity * Self.slotBytes }

    /// True when the table is at its largest and its load limit: the caller must spill.
    /// Below its largest size it grows instead.
    @inline(__always)
    public var isFull: Bool {
        if state.pointee.count < state.pointee.limit { return false }
        if state.pointee.capacity < maxCapacity {
            grow()
            return false
        }
        return true
    }

    private func grow() {
        let old = state.pointee
        let capacity = old.capacity * 2
        let storage = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        storage.initialize(repeating: Slot.empty, count: capacity)
        let mask = capacity - 1
        for index in 0..<old.capacity where old.storage[index].currency != 0 {
            let slot = old.storage[index]
            let key = AggregateKey(merchant: slot.merchant, currency: CurrencyCode(raw: slot.currency))
            var target = Int(truncatingIfNeeded: key.hashValue64) & mask
            while storage[target].currency != 0 { target = (target + 1) & mask }
            storage[target] = slot
        }
        old.storage.deallocate()
        state.pointee = State(storage: storage, capacity: capacity, mask: mask, limit: capacity / 4 * 3, count: old.count)
    }

    /// Where the slot for `hash` starts: the map stage prefetches it one record ahead.
    @inline(__always)
    public func slotAddress(hash: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(state.pointee.storage + (Int(truncatingIfNeeded: hash) & state.pointee.mask))
    }

    /// The slot of a key, created empty if new. The caller checks `isFull` first.
    @inline(__always)
    private func slot(merchant: MerchantKey, currency: UInt32, hash: UInt64) -> UnsafeMutablePointer<Slot> {
        let storage = state.pointee.storage
        let mask = state.pointee.mask
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = storage + index
            if slot.pointee.currency == 0 {
                slot.pointee = Slot(merchant: merchant, currency: currency, bucket: 0, debitCount: 0, creditCount: 0,
                                    debitAmount: 0, creditAmount: 0, feeAmount: 0)
                state.pointee.count += 1
                return slot
            }
            if slot.pointee.currency == currency && slot.pointee.merchant == merchant { return slot }
            index = (index + 1) & mask
        }
    }

    /// Adds one valid detail record. The caller spills first when `isFull`.
    ///
    /// Amounts are below 10^18 (at most 18 digits, checked by the layout) and a slot takes at most
    /// 2^63 records, so the 128-bit sums stay below 2^123: the wrapping adds cannot overflow.
    @inline(__always)
    public func add(merchant: MerchantKey, currency: UInt32, hash: UInt64, isDebit: Bool, amountMinor: Int64, feeMinor: Int64) {
        let slot = slot(merchant: merchant, currency: currency, hash: hash)
        if isDebit {
            slot.pointee.debitCount &+= 1
            slot.pointee.debitAmount &+= Int128(amountMinor)
        } else {
            slot.pointee.creditCount &+= 1
            slot.pointee.creditAmount &+= Int128(amountMinor)
        }
        slot.pointee.feeAmount &+= Int128(feeMinor)
    }

    public func add(merchant: MerchantKey, currency: UInt32, isDebit: Bool, amountMinor: Int64, feeMinor: Int64) {
        let hash = AggregateKey(merchant: merchant, currency: CurrencyCode(raw: currency)).hashValue64
        add(merchant: merchant, currency: currency, hash: hash, isDebit: isDebit, amountMinor: amountMinor, feeMinor: feeMinor)
    }

    /// Combines a partial aggregate into its key's slot with checked arithmetic (the reduce
    /// stage); false on overflow. The caller checks `isFull` first.
    @inline(__always)
    public func combine(_ key: AggregateKey, _ value: PartialAggregate) -> Bool {
        let slot = slot(merchant: key.merchant, currency: key.currency.raw, hash: key.hashValue64)
        var total = PartialAggregate(debitCount: slot.pointee.debitCount, creditCount: slot.pointee.creditCount,
                                     debitAmount: slot.pointee.debitAmount, creditAmount: slot.pointee.creditAmount,
                                     feeAmount: slot.pointee.feeAmount)
        guard total.combine(value) else { return false }
        slot.pointee.debitCount = total.debitCount
        slot.pointee.creditCount = total.creditCount
        slot.pointee.debitAmount = total.debitAmount
        slot.pointee.creditAmount = total.creditAmount
        slot.pointee.feeAmount = total.feeAmount
        return true
    }

    /// Calls `body` with every entry in (bucket, key) order, then empties the table.
    public func drainSorted(buckets: Int, _ body: (Int, AggregateKey, PartialAggregate) throws -> Void) rethrows {
        // Compact the occupied slots to the front, tag each with its bucket, sort in place.
        let storage = state.pointee.storage
        var filled = 0
        for index in 0..<state.pointee.capacity where storage[index].currency != 0 {
            var slot = storage[index]
            let key = AggregateKey(merchant: slot.merchant, currency: CurrencyCode(raw: slot.currency))
            slot.bucket = UInt32(key.bucket(of: buckets))
            storage[filled] = slot
            filled += 1
        }
        precondition(filled == state.pointee.count)
        let entries = UnsafeMutableBufferPointer(start: storage, count: filled)
        InPlaceSort.sort(entries)
        defer { clear() }
        for slot in entries {
            let key = AggregateKey(merchant: slot.merchant, currency: CurrencyCode(raw: slot.currency))
            try body(Int(slot.bucket), key, PartialAggregate(debitCount: slot.debitCount, creditCount: slot.creditCount,
                                                            debitAmount: slot.debitAmount, creditAmount: slot.creditAmount,
                                                            feeAmount: slot.feeAmount))
        }
    }

    /// Writes the table as one sorted run at `path` (entries by bucket, then key) and empties it.
    public func spillSorted(to path: String, buckets: Int, encoder: LZ4FrameEncoder) throws -> SpillRunInfo {
        var writer = try RunWriter(path: path, bucketCount: buckets, encoder: encoder)
        do {
            try drainSorted(buckets: buckets) { bucket, key, value in try writer.append(bucket: bucket, key: key, value: value) }
        } catch {
            writer.abandon()
            throw error
        }
        return try writer.finish()
    }

    public func clear() {
        state.pointee.storage.update(repeating: Slot.empty, count: state.pointee.capacity)
        state.pointee.count = 0
    }
}

extension AggregateTable.Slot: InPlaceSortable {
    static let empty = AggregateTable.Slot(merchant: MerchantKey(), currency: 0, bucket: 0, debitCount: 0, creditCount: 0,
                                           debitAmount: 0, creditAmount: 0, feeAmount: 0)

    @inline(__always)
    static func precedes(_ a: Self, _ b: Self) -> Bool {
        if a.bucket != b.bucket { return a.bucket < b.bucket }
        if a.merchant != b.merchant { return a.merchant < b.merchant }
        return a.currency < b.currency
    }
}

/// An element `InPlaceSort` can order: a static comparison, specialised (no closure per compare).
protocol InPlaceSortable {
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

/// An in-place introsort-style quicksort (no scratch memory, unlike the standard library's sort,
/// whose buffer would double a spill's memory).
enum InPlaceSort {
    static func sort<Item: InPlaceSortable>(_ items: UnsafeMutableBufferPointer<Item>) {
        quicksort(items, 0, items.count - 1, depth: 2 * (Int.bitWidth - items.count.leadingZeroBitCount))
    }

    private static func quicksort<Item: InPlaceSortable>(_ a: UnsafeMutableBufferPointer<Item>, _ low: Int, _ high: Int, depth: Int) {
        var low = low, high = high, depth = depth
        while high - low > 16 {
            if depth == 0 {
                heapsort(a, low, high)
                return
            }
            depth -= 1
            // Median of three as pivot.
            let mid = low + (high - low) / 2
            if Item.precedes(a[mid], a[low]) { a.swapAt(mid, low) }
            if Item.precedes(a[high], a[low]) { a.swapAt(high, low) }
            if Item.precedes(a[high], a[mid]) { a.swapAt(high, mid) }
            let pivot = a[mid]
            var i = low, j = high
            while i <= j {
                while Item.precedes(a[i], pivot) { i += 1 }
                while Item.precedes(pivot, a[j]) { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Recurse into the smaller side, loop on the larger.
            if j - low < high - i {
                quicksort(a, low, j, depth: depth)
                low = i
            } else {
                quicksort(a, i, high, depth: depth)
                high = j
            }
        }
        // Insertion sort for short ranges.
        if high <= low { return }
        for index in (low + 1)...high {
            let item = a[index]
            var position = index - 1
            while position >= low && Item.precedes(item, a[position]) {
                a[position + 1] = a[position]
                position -= 1
            }
            a[position + 1] = item
        }
    }

    private static func heapsort<Item: InPlaceSortable>(_ a: UnsafeMutableBufferPointer<Item>, _ low: Int, _ high: Int) {
        let count = high - low + 1
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && Item.precedes(a[low + child], a[low + child + 1]) { child += 1 }
                if Item.precedes(a[low + root], a[low + child]) {
                    a.swapAt(low + root, low + child)
                    root = child
                } else {
                    return
                }
            }
        }
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start, count) }
        for end in stride(from: count - 1, to: 0, by: -1) {
            a.swapAt(low, low + end)
            siftDown(0, end)
        }
    }
}

extension MerchantKey {
    /// Packs `length` bytes at `offset` (at most 32), eight at a time.
    @inline(__always)
    public static func load(_ base: UnsafeRawPointer, offset: Int, length: Int) -> MerchantKey {
        var key = MerchantKey()
        var index = 0
        var wordIndex = 0
        while index + 8 <= length {
            let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset + index, as: UInt64.self))
            key.setWord(wordIndex, word)
            index += 8
            wordIndex += 1
        }
        if index < length {
            var tail: UInt64 = 0
            var shift: UInt64 = 56
            while index < length {
                tail |= UInt64(base.load(fromByteOffset: offset + index, as: UInt8.self)) << shift
                shift &-= 8
                index += 1
            }
            key.setWord(wordIndex, tail)
        }
        return key
    }

    @inline(__always)
    mutating func setWord(_ index: Int, _ word: UInt64) {
        switch index {
        case 0: w0 = word
        case 1: w1 = word
        case 2: w2 = word
        default: w3 = word
        }
    }
}
