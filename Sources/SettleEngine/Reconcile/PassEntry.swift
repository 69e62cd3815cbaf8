/// The sort key of a leftover in the second shuffle of a pass (`LeftoverPasses`): the pass's key
/// (the fields the pass is `on`, zero where it is not), its hash first so the bucket is a monotonic
/// function of the key, then the occurrence's position, so within one key the settled leftovers
/// come first, in file order, then the ledger's, in file order: the join's order rules.
struct PassKey: Comparable, Sendable {
    var hash: UInt64
    var merchant: MerchantKey
    var currency: UInt32
    var direction: UInt8
    /// The amount, signed (debit positive) when direction is not a key; 0 when amount is not a key.
    var amount: Int64
    /// Days since 1970-01-01 when `date` is a key (`Occurrence.noDate` when the side has none), else 0.
    var date: Int32 = 0
    var position: UInt64

    /// The key of `occurrence` (one side of a leftover row) under `pass`.
    init(_ occurrence: Occurrence, position: UInt64, pass: MatchSpec.Pass) {
        let keys = pass.keys
        merchant = keys.contains(.merchant) ? occurrence.merchant : MerchantKey()
        currency = keys.contains(.currency) ? occurrence.currency : 0
        direction = keys.contains(.direction) ? (occurrence.isCredit ? 1 : 0) : 0
        if keys.contains(.amount) {
            amount = keys.contains(.direction) ? occurrence.amount : (occurrence.isCredit ? 0 &- occurrence.amount : occurrence.amount)
        } else {
            amount = 0
        }
        date = keys.contains(.date) ? occurrence.date : 0
        self.position = position
        var h = ReferenceKey.hash(merchant)
        h = (h ^ UInt64(currency) ^ (UInt64(direction) << 32)) &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ UInt64(bitPattern: amount)) &* 0xD6E8_FEB8_6659_FD93
        // Without a date key the hash is as it was (date 0 mixes nothing in).
        if date != 0 { h = (h ^ (h >> 32) ^ UInt64(UInt32(bitPattern: date))) &* 0xD6E8_FEB8_6659_FD93 }
        hash = h ^ (h >> 29)
    }

    init(hash: UInt64, merchant: MerchantKey, currency: UInt32, direction: UInt8, amount: Int64, date: Int32, position: UInt64) {
        self.hash = hash
        self.merchant = merchant
        self.currency = currency
        self.direction = direction
        self.amount = amount
        self.date = date
        self.position = position
    }

    /// Same pass key, whatever the position: one group of the pass.
    func sameGroup(_ other: PassKey) -> Bool {
        hash == other.hash && merchant == other.merchant && currency == other.currency && direction == other.direction && amount == other.amount
            && date == other.date
    }

    static func < (a: PassKey, b: PassKey) -> Bool {
        if a.hash != b.hash { return a.hash < b.hash }
        if a.merchant != b.merchant { return a.merchant < b.merchant }
        if a.currency != b.currency { return a.currency < b.currency }
        if a.direction != b.direction { return a.direction < b.direction }
        if a.amount != b.amount { return a.amount < b.amount }
        if a.date != b.date { return a.date < b.date }
        return a.position < b.position
    }
}

/// A leftover as the second shuffle spills it: its pass key, then the mismatch row it was
/// (reference, position and sides, `MismatchCodec`'s encoding).
///
///     u64 hash, u8 merchant length m, m bytes, u32 currency, u8 direction, u64 amount, u32 date,
///     then the `MismatchCodec` entry (which carries the position)
enum PassEntryCodec: SpillCodec {
    static let maxSize = 8 + 1 + 32 + 4 + 1 + 8 + 4 + MismatchCodec.maxSize
    static var emptyKey: PassKey { PassKey(hash: 0, merchant: MerchantKey(), currency: 0, direction: 0, amount: 0, date: 0, position: 0) }
    static var emptyValue: (MismatchKey, MismatchRow) { (MismatchCodec.emptyKey, MismatchCodec.emptyValue) }

    static func store(_ key: PassKey, _ value: (MismatchKey, MismatchRow), to pointer: UnsafeMutableRawPointer) -> Int {
        pointer.storeBytes(of: key.hash, as: UInt64.self)
        let length = key.merchant.byteCount
        pointer.storeBytes(of: UInt8(length), toByteOffset: 8, as: UInt8.self)
        key.merchant.storeAll(to: pointer + 9)
        var at = 9 + length
        pointer.storeBytes(of: key.currency, toByteOffset: at, as: UInt32.self)
        pointer.storeBytes(of: key.direction, toByteOffset: at + 4, as: UInt8.self)
        pointer.storeBytes(of: key.amount, toByteOffset: at + 5, as: Int64.self)
        pointer.storeBytes(of: key.date, toByteOffset: at + 13, as: Int32.self)
        at += 17
        return at + MismatchCodec.store(value.0, value.1, to: pointer + at)
    }

    static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: PassKey, value: (MismatchKey, MismatchRow), size: Int)? {
        guard available >= 9 else { return nil }
        let hash = pointer.loadUnaligned(as: UInt64.self)
        var at = 8
        guard let merchant = SpillEntry.readKey(pointer, &at, available, capacity: MerchantKey.capacity), at + 17 <= available else { return nil }
        let currency = pointer.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        let direction = pointer.load(fromByteOffset: at + 4, as: UInt8.self)
        let amount = pointer.loadUnaligned(fromByteOffset: at + 5, as: Int64.self)
        let date = pointer.loadUnaligned(fromByteOffset: at + 13, as: Int32.self)
        at += 17
        guard let row = MismatchCodec.load(from: pointer + at, available: available - at) else { return nil }
        let key = PassKey(hash: hash, merchant: merchant, currency: currency, direction: direction, amount: amount, date: date,
                          position: row.key.position)
        return (key, (row.key, row.value), at + row.size)
    }
}

/// Entries of any codec gathered up to `limit`, then sorted and written as a run of `bucketCount`
/// buckets: a spill that takes entries in any order and gives sorted runs back, to be merged.
struct SortedSpill<Codec: SpillCodec> {
    let directory: String
    let name: String
    let bucketCount: Int
    let limit: Int
    private var pending: [(bucket: Int, key: Codec.Key, value: Codec.Value)] = []
    /// Each run's path and its entries per bucket.
    private(set) var runs: [(path: String, entries: [Int])] = []

    init(directory: String, name: String, bucketCount: Int, limit: Int) {
        self.directory = directory
        self.name = name
        self.bucketCount = bucketCount
        self.limit = max(1, limit)
    }

    mutating func append(bucket: Int, key: Codec.Key, value: Codec.Value, encoder: LZ4FrameEncoder) throws {
        pending.append((bucket, key, value))
        if pending.count >= limit { try flush(encoder: encoder) }
    }

    mutating func flush(encoder: LZ4FrameEncoder) throws {
        guard !pending.isEmpty else { return }
        pending.sort { $0.bucket != $1.bucket ? $0.bucket < $1.bucket : $0.key < $1.key }
        let path = "\(directory)/\(name)-\(pad(runs.count, 4)).run"
        var writer = try SpillWriter<Codec>(path: path, bucketCount: bucketCount, encoder: encoder)
        var entries = [Int](repeating: 0, count: bucketCount)
        do {
            for entry in pending {
                try writer.append(bucket: entry.bucket, key: entry.key, value: entry.value)
                entries[entry.bucket] += 1
            }
        } catch {
            writer.abandon()
            throw error
        }
        _ = try writer.finish()
        runs.append((path, entries))
        pending.removeAll(keepingCapacity: true)
    }

    /// The runs' slices of `bucket`, to merge (after `flush`).
    func inputs(bucket: Int) -> [MergeInput] {
        runs.filter { $0.entries[bucket] > 0 }.map { MergeInput(path: $0.path, bucket: bucket, entries: $0.entries[bucket]) }
    }

    func entries(bucket: Int) -> Int { runs.reduce(0) { $0 + $1.entries[bucket] } }

    func remove() { for run in runs { FileIO.unlink(run.path) } }
}
