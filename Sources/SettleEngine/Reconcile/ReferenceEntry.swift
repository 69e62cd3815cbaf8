/// One occurrence of a reference (an ARN) on either side of a reconciliation, as the map stage
/// emits it and the join reads it back, sorted by `ReferenceKey`.
///
/// Occurrences sort by a 64-bit hash of the reference first (a sort on one word is several times
/// faster than on 32-byte references, and the reduce bucket is a monotonic function of the hash),
/// then by reference (so equal references are adjacent even if two hashes collide), then by position:
/// the partition (partitions are numbered in file order, then byte order, and settlement files come
/// before ledger files) and the record's (or line's) index in it. So
/// for one reference the settled occurrences arrive first, in command-line file order then offset,
/// then the ledger's, in ledger file order then line. Mismatch rows are re-sorted by reference.
public struct ReferenceKey: Comparable, Sendable {
    public var hash: UInt64
    /// The normalised reference, packed like a merchant key (32 bytes, zero-padded, bytewise order).
    public var reference: MerchantKey
    /// `partition << 40 | record (or line) index within the partition`.
    public var position: UInt64

    @inline(__always)
    public init(reference: MerchantKey, position: UInt64) {
        self.hash = Self.hash(reference)
        self.reference = reference
        self.position = position
    }

    public static func position(partition: Int, local: Int) -> UInt64 { UInt64(partition) << 40 | UInt64(local) }
    public var partition: Int { Int(position >> 40) }
    public var local: Int { Int(position & (1 << 40 - 1)) }

    @inline(__always)
    public static func < (a: ReferenceKey, b: ReferenceKey) -> Bool {
        if a.hash != b.hash { return a.hash < b.hash }
        if a.reference != b.reference { return a.reference < b.reference }
        return a.position < b.position
    }

    /// A fixed integer mix of the reference's words (stable across processes and runs).
    @inline(__always)
    public static func hash(_ reference: MerchantKey) -> UInt64 {
        var h = reference.w0 &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w1) &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w2) &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w3) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 29)
    }

    /// The reduce bucket of a hash: monotonic, so occurrences sorted by hash are sorted by bucket.
    @inline(__always)
    public static func bucket(hash: UInt64, count: Int) -> Int {
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(count)) >> 32)
    }
}

/// The sort key of a mismatch row: its reference, bytewise, then its position.
public struct MismatchKey: Comparable, Sendable {
    public var reference: MerchantKey
    public var position: UInt64

    public static func < (a: MismatchKey, b: MismatchKey) -> Bool {
        if a.reference != b.reference { return a.reference < b.reference }
        return a.position < b.position
    }
}

/// What one occurrence says: merchant, currency, direction and amount, and where it was read.
public struct Occurrence: Sendable, Equatable {
    public static let credit: UInt8 = 1
    public static let ledger: UInt8 = 2
    /// A rejected settlement record whose reference could still be read (it matches nothing, but
    /// turns a ledger row's `missing_in_settlement` into `settlement_rejected`).
    public static let rejected: UInt8 = 4
    /// In a run only: a date follows the amount (set by the codecs when `date` is not `noDate`).
    static let dated: UInt8 = 8
    /// `date` of an occurrence whose date is not read (no `--match` pass needs dates) or not readable.
    public static let noDate = Int32.min

    public var merchant: MerchantKey
    /// Big-endian bytes, as `CurrencyCode.raw`.
    public var currency: UInt32
    /// The transaction date (the layout's `date` role, the ledger's date column) as days since
    /// 1970-01-01, or `noDate`. Declared here it fills padding: the stride stays 56 bytes.
    public var date: Int32
    public var amount: Int64
    public var flags: UInt8
    public init(merchant: MerchantKey, currency: UInt32, amount: Int64, flags: UInt8, date: Int32 = Occurrence.noDate) {
        self.merchant = merchant
        self.currency = currency
        self.date = date
        self.amount = amount
        self.flags = flags
    }

    public var hasDate: Bool { date != Self.noDate }

    public var isCredit: Bool { flags & Self.credit != 0 }
    public var isLedger: Bool { flags & Self.ledger != 0 }
    public var isRejected: Bool { flags & Self.rejected != 0 }
    /// Debit positive, credit negative.
    public var signedAmount: Int128 { isCredit ? -Int128(amount) : Int128(amount) }
}

/// The on-disk form of an occurrence in a run, compact and variable-length:
///
///     reference (`ReferencePacking`)   LEB128 position
///     u8 merchant length m, m bytes    u8 currency length c, c bytes
///     u8 flags   LEB128 amount
public enum ReferenceCodec: SpillCodec {
    public static let maxSize = 1 + 32 + 10 + 1 + 32 + 1 + 4 + 1 + 10 + 5
    public static var emptyKey: ReferenceKey { ReferenceKey(reference: MerchantKey(), position: 0) }
    public static var emptyValue: Occurrence {
        Occurrence(merchant: MerchantKey(), currency: 0, amount: 0, flags: 0)
    }

    @inline(__always)
    public static func store(_ key: ReferenceKey, _ value: Occurrence, to pointer: UnsafeMutableRawPointer) -> Int {
        var at = ReferencePacking.store(key.reference, to: pointer)
        at += SpillEntry.writeVarint(UInt128(key.position), pointer + at)
        let merchantLength = value.merchant.byteCount
        pointer.storeBytes(of: UInt8(merchantLength), toByteOffset: at, as: UInt8.self)
        value.merchant.storeAll(to: pointer + at + 1)
        at += 1 + merchantLength
        let currency = CurrencyCode(raw: value.currency)
        let currencyLength = currency.byteCount
        pointer.storeBytes(of: UInt8(currencyLength), toByteOffset: at, as: UInt8.self)
        pointer.storeBytes(of: value.currency.bigEndian, toByteOffset: at + 1, as: UInt32.self)
        at += 1 + currencyLength
        pointer.storeBytes(of: value.flags | (value.hasDate ? Occurrence.dated : 0), toByteOffset: at, as: UInt8.self)
        at += 1
        at += SpillEntry.writeVarint(UInt128(UInt64(bitPattern: value.amount)), pointer + at)
        if value.hasDate { at += OccurrenceDate.store(value.date, to: pointer + at) }
        return at
    }

    @inline(__always)
    public static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: ReferenceKey, value: Occurrence, size: Int)? {
        var at = 0
        func bytes(capacity: Int) -> MerchantKey? { SpillEntry.readKey(pointer, &at, available, capacity: capacity) }
        guard let reference = ReferencePacking.load(pointer, at: &at, available: available),
              let position = SpillEntry.readVarint(pointer, &at, available), let position64 = UInt64(exactly: position),
              let merchant = bytes(capacity: MerchantKey.capacity),
              let currencyKey = bytes(capacity: CurrencyCode.capacity),
              at < available else { return nil }
        let flags = pointer.load(fromByteOffset: at, as: UInt8.self)
        at += 1
        guard let amount = SpillEntry.readVarint(pointer, &at, available), let amount64 = UInt64(exactly: amount) else { return nil }
        var date = Occurrence.noDate
        if flags & Occurrence.dated != 0 {
            guard let read = OccurrenceDate.load(pointer, &at, available) else { return nil }
            date = read
        }
        let value = Occurrence(merchant: merchant, currency: UInt32(truncatingIfNeeded: currencyKey.w0 >> 32),
                               amount: Int64(bitPattern: amount64), flags: flags & ~Occurrence.dated, date: date)
        return (ReferenceKey(reference: reference, position: position64), value, at)
    }
}

/// A reference on disk: `u8 n, n bytes`, or for a reference of digits only (an ARN),
/// `u8 0x80 | n, (n + 1) / 2 bytes` of two digits per byte, so runs are smaller to compress and read.
extension MerchantKey {
    /// The key's word `index` (0 to 3), without building an array.
    @inline(__always)
    func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: w0
        case 1: w1
        case 2: w2
        default: w3
        }
    }
}

enum ReferencePacking {
    static let lowNibbles: UInt64 = 0x0F0F_0F0F_0F0F_0F0F

    @inline(__always)
    static func store(_ reference: MerchantKey, to pointer: UnsafeMutableRawPointer) -> Int {
        let length = reference.byteCount
        guard length > 0, isDigits(reference, length: length) else {
            pointer.storeBytes(of: UInt8(length), as: UInt8.self)
            reference.storeAll(to: pointer + 1)
            return 1 + length
        }
        pointer.storeBytes(of: UInt8(length) | 0x80, as: UInt8.self)
        // Each word of eight ASCII digits becomes four bytes of two digits.
        var at = 1
        for index in 0..<(length + 7) / 8 {
            let x = reference.word(index) & lowNibbles
            var y = ((x >> 4) | x) & 0x00FF_00FF_00FF_00FF
            y = (y | (y >> 8)) & 0x0000_FFFF_0000_FFFF
            y = (y | (y >> 16)) & 0x0000_0000_FFFF_FFFF
            pointer.storeBytes(of: UInt32(truncatingIfNeeded: y).bigEndian, toByteOffset: at, as: UInt32.self)
            at += 4
        }
        return 1 + (length + 1) / 2
    }

    /// Whether the first `length` bytes of the key are ASCII digits.
    @inline(__always)
    static func isDigits(_ reference: MerchantKey, length: Int) -> Bool {
        var remaining = length
        var index = 0
        while remaining > 0 {
            let word = reference.word(index)
            index += 1
            let count = min(8, remaining)
            let mask: UInt64 = count == 8 ? .max : ~(UInt64.max >> UInt64(8 * count))
            // Digits are 0x30-0x39: the high nibble is 3 and the low nibble plus 6 does not carry.
            if (word & 0xF0F0_F0F0_F0F0_F0F0 & mask) != (0x3030_3030_3030_3030 & mask) { return false }
            if ((word & lowNibbles) &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 & mask != 0 { return false }
            remaining -= count
        }
        return true
    }

    @inline(__always)
    static func load(_ pointer: UnsafeRawPointer, at: inout Int, available: Int) -> MerchantKey? {
        guard at < available else { return nil }
        let head = pointer.load(fromByteOffset: at, as: UInt8.self)
        let length = Int(head & 0x7F)
        guard length <= MerchantKey.capacity else { return nil }
        if head & 0x80 == 0 {
            guard at + 1 + length <= available else { return nil }
            let key = MerchantKey.load(pointer, offset: at + 1, length: length)
            at += 1 + length
            return key
        }
        let packed = (length + 1) / 2
        guard at + 1 + packed <= available else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var remaining = length
        var index = 0
        while remaining > 0 {
            let count = min(8, remaining)
            var bytes: UInt32 = 0
            for byte in 0..<(count + 1) / 2 {
                bytes |= UInt32(pointer.load(fromByteOffset: at + 1 + 4 * index + byte, as: UInt8.self)) << UInt32(24 - 8 * byte)
            }
            var z = UInt64(bytes)
            z = (z | (z << 16)) & 0x0000_FFFF_0000_FFFF
            z = (z | (z << 8)) & 0x00FF_00FF_00FF_00FF
            let digits = (((z >> 4) & 0x000F_000F_000F_000F) << 8) | (z & 0x000F_000F_000F_000F)
            let mask: UInt64 = count == 8 ? .max : ~(UInt64.max >> UInt64(8 * count))
            if (digits &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 != 0 || digits & ~mask != 0 { return nil }
            let word = (digits | 0x3030_3030_3030_3030) & mask
            switch index {
            case 0: words.0 = word
            case 1: words.1 = word
            case 2: words.2 = word
            default: words.3 = word
            }
            remaining -= count
            index += 1
        }
        at += 1 + packed
        return MerchantKey(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }
}

/// How a reference is normalised, the same way on both sides: surrounding spaces trimmed, and a
/// reference of digits only that is shorter than the settlement layout's reference field is
/// left-padded with zeros to its width (a spreadsheet drops leading zeros).
public enum ReferenceNormalizer {
    /// The normalised reference of `length` bytes at `offset`, or nil when it is blank or longer
    /// than 32 bytes once trimmed.
    @inline(__always)
    public static func normalize(_ base: UnsafeRawPointer, offset: Int, length: Int, width: Int) -> MerchantKey? {
        var start = offset, end = offset + length
        while start < end && base.load(fromByteOffset: start, as: UInt8.self) == 0x20 { start += 1 }
        while end > start && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x20 { end -= 1 }
        let count = end - start
        guard count > 0, count <= MerchantKey.capacity else { return nil }
        if count < width && width <= MerchantKey.capacity && FieldDecoder.isDigits(base, offset: start, length: count) {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: MerchantKey.capacity) { buffer in
                let padding = width - count
                for index in 0..<padding { buffer[index] = 0x30 }
                for index in 0..<count { buffer[padding + index] = base.load(fromByteOffset: start + index, as: UInt8.self) }
                return MerchantKey.load(UnsafeRawPointer(buffer.baseAddress!), offset: 0, length: width)
            }
        }
        return MerchantKey.load(base, offset: start, length: count)
    }
}
