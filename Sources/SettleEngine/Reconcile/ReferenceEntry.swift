/// One occurrence of a reference (an ARN) on either side of a reconciliation, as the map stage
/// emits it and the join reads it back, sorted by `ReferenceKey`.
///
/// The key orders occurrences the way the matching rules pair them: by reference, then by position,
/// where a position is the file's index in the job (settlement files come before ledger files) and
/// the byte offset in it. So for one reference the settled occurrences arrive first, in command-line
/// file order then offset, then the ledger's, in ledger file order then line.
public struct ReferenceKey: Comparable, Sendable {
    /// The normalised reference, packed like a merchant key (32 bytes, zero-padded, bytewise order).
    public var reference: MerchantKey
    /// `file index << 48 | byte offset`.
    public var position: UInt64

    public init(reference: MerchantKey, position: UInt64) {
        self.reference = reference
        self.position = position
    }

    public static func position(file: Int, offset: Int) -> UInt64 { UInt64(file) << 48 | UInt64(offset) }
    public var fileIndex: Int { Int(position >> 48) }
    public var byteOffset: Int { Int(position & (1 << 48 - 1)) }

    public static func < (a: ReferenceKey, b: ReferenceKey) -> Bool {
        if a.reference != b.reference { return a.reference < b.reference }
        return a.position < b.position
    }

    /// The reduce bucket of a reference: a fixed integer mix (stable across processes).
    @inline(__always)
    public static func bucket(of reference: MerchantKey, count: Int) -> Int {
        var h = reference.w0 &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w1) &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w2) &* 0xD6E8_FEB8_6659_FD93
        h = (h ^ (h >> 32) ^ reference.w3) &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 29
        return Int(truncatingIfNeeded: (h >> 16) % UInt64(count))
    }
}

/// What one occurrence says: merchant, currency, direction and amount, and where it was read.
public struct Occurrence: Sendable, Equatable {
    public static let credit: UInt8 = 1
    public static let ledger: UInt8 = 2
    /// A rejected settlement record whose reference could still be read (it matches nothing, but
    /// turns a ledger row's `missing_in_settlement` into `settlement_rejected`).
    public static let rejected: UInt8 = 4

    public var merchant: MerchantKey
    /// Big-endian bytes, as `CurrencyCode.raw`.
    public var currency: UInt32
    public var amount: Int64
    public var flags: UInt8
    /// The partition the occurrence was read in, and its record (settlement) or line (ledger)
    /// index within it: the record number or line is resolved once all partitions are counted.
    public var partition: UInt32
    public var local: UInt64

    public init(merchant: MerchantKey, currency: UInt32, amount: Int64, flags: UInt8, partition: UInt32, local: UInt64) {
        self.merchant = merchant
        self.currency = currency
        self.amount = amount
        self.flags = flags
        self.partition = partition
        self.local = local
    }

    public var isCredit: Bool { flags & Self.credit != 0 }
    public var isLedger: Bool { flags & Self.ledger != 0 }
    public var isRejected: Bool { flags & Self.rejected != 0 }
    /// Debit positive, credit negative.
    public var signedAmount: Int128 { isCredit ? -Int128(amount) : Int128(amount) }
}

/// The on-disk form of an occurrence in a run, compact and variable-length:
///
///     u8 reference length n, n bytes   LEB128 position
///     u8 merchant length m, m bytes    u8 currency length c, c bytes
///     u8 flags   LEB128 amount   LEB128 partition   LEB128 local index
public enum ReferenceCodec: SpillCodec {
    public static let maxSize = 1 + 32 + 10 + 1 + 32 + 1 + 4 + 1 + 10 + 5 + 10
    public static var emptyKey: ReferenceKey { ReferenceKey(reference: MerchantKey(), position: 0) }
    public static var emptyValue: Occurrence {
        Occurrence(merchant: MerchantKey(), currency: 0, amount: 0, flags: 0, partition: 0, local: 0)
    }

    @inline(__always)
    public static func store(_ key: ReferenceKey, _ value: Occurrence, to pointer: UnsafeMutableRawPointer) -> Int {
        var at = 0
        let referenceLength = key.reference.byteCount
        pointer.storeBytes(of: UInt8(referenceLength), toByteOffset: at, as: UInt8.self)
        key.reference.storeAll(to: pointer + 1)
        at += 1 + referenceLength
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
        pointer.storeBytes(of: value.flags, toByteOffset: at, as: UInt8.self)
        at += 1
        at += SpillEntry.writeVarint(UInt128(UInt64(bitPattern: value.amount)), pointer + at)
        at += SpillEntry.writeVarint(UInt128(value.partition), pointer + at)
        at += SpillEntry.writeVarint(UInt128(value.local), pointer + at)
        return at
    }

    @inline(__always)
    public static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: ReferenceKey, value: Occurrence, size: Int)? {
        var at = 0
        func bytes(capacity: Int) -> MerchantKey? {
            guard at < available else { return nil }
            let length = Int(pointer.load(fromByteOffset: at, as: UInt8.self))
            guard length <= capacity, at + 1 + length <= available else { return nil }
            let key = MerchantKey.load(pointer, offset: at + 1, length: length)
            at += 1 + length
            return key
        }
        guard let reference = bytes(capacity: MerchantKey.capacity),
              let position = SpillEntry.readVarint(pointer, &at, available), let position64 = UInt64(exactly: position),
              let merchant = bytes(capacity: MerchantKey.capacity),
              let currencyKey = bytes(capacity: CurrencyCode.capacity),
              at < available else { return nil }
        let flags = pointer.load(fromByteOffset: at, as: UInt8.self)
        at += 1
        guard let amount = SpillEntry.readVarint(pointer, &at, available), let amount64 = UInt64(exactly: amount),
              let partition = SpillEntry.readVarint(pointer, &at, available), let partition32 = UInt32(exactly: partition),
              let local = SpillEntry.readVarint(pointer, &at, available), let local64 = UInt64(exactly: local) else { return nil }
        let value = Occurrence(merchant: merchant, currency: UInt32(truncatingIfNeeded: currencyKey.w0 >> 32),
                               amount: Int64(bitPattern: amount64), flags: flags, partition: partition32, local: local64)
        return (ReferenceKey(reference: reference, position: position64), value, at)
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
