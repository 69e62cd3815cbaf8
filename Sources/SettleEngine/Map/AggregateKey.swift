/// A merchant identifier as a fixed-size value: up to 32 bytes in four big-endian words, zero-padded.
///
/// Big-endian packing makes comparing the words compare the bytes, so sorting keys sorts merchant ids
/// bytewise; zero padding sorts a prefix before its extensions (text fields never hold a zero byte).
public struct MerchantKey: Hashable, Comparable, Sendable {
    public static let capacity = 32
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init(w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Packs `bytes` (at most 32).
    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(bytes.count <= Self.capacity, "merchant key longer than \(Self.capacity) bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            let shift = UInt64(56 - 8 * (index & 7))
            switch index >> 3 {
            case 0: words.0 |= UInt64(byte) << shift
            case 1: words.1 |= UInt64(byte) << shift
            case 2: words.2 |= UInt64(byte) << shift
            default: words.3 |= UInt64(byte) << shift
            }
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    /// The bytes of the key, without the zero padding.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.capacity)
        for word in [w0, w1, w2, w3] {
            for index in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * index))
                if byte == 0 { return out }
                out.append(byte)
            }
        }
        return out
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (a: MerchantKey, b: MerchantKey) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }
}

/// A currency code (ISO 4217 alphabetic or numeric) as up to 4 big-endian bytes.
public struct CurrencyCode: Hashable, Comparable, Sendable {
    public static let capacity = 4
    public var raw: UInt32

    public init(raw: UInt32) { self.raw = raw }

    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(bytes.count <= Self.capacity)
        var value: UInt32 = 0
        for (index, byte) in bytes.enumerated() { value |= UInt32(byte) << UInt32(24 - 8 * index) }
        self.raw = value
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for index in 0..<4 {
            let byte = UInt8(truncatingIfNeeded: raw >> UInt32(24 - 8 * index))
            if byte == 0 { break }
            out.append(byte)
        }
        return out
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (a: CurrencyCode, b: CurrencyCode) -> Bool { a.raw < b.raw }
}

/// The grouping key of the aggregation: merchant, then currency.
public struct AggregateKey: Hashable, Comparable, Sendable {
    public var merchant: MerchantKey
    public var currency: CurrencyCode

    public init(merchant: MerchantKey, currency: CurrencyCode) {
        self.merchant = merchant
        self.currency = currency
    }

    public static func < (a: AggregateKey, b: AggregateKey) -> Bool {
        if a.merchant != b.merchant { return a.merchant < b.merchant }
        return a.currency < b.currency
    }

    /// A fast integer mix of the key's words (not `Hasher`: no per-process seed, so buckets are
    /// stable across runs and processes, which resume and scheduled tasks rely on).
    @inline(__always)
    public var hashValue64: UInt64 {
        var h = merchant.w0 &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ merchant.w1) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31) ^ merchant.w2) &* 0x94D0_49BB_1331_11EB
        h = (h ^ (h >> 29) ^ merchant.w3 ^ (UInt64(currency.raw) << 17)) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 32)
    }

    /// The reduce bucket of this key.
    @inline(__always)
    public func bucket(of count: Int) -> Int {
        Int(truncatingIfNeeded: (hashValue64 >> 40) % UInt64(count))
    }
}

/// Partial sums for one key; exact, in minor units. Sums are 128-bit so no realistic input overflows
/// them, and adding two partials is still checked.
public struct PartialAggregate: Equatable, Sendable {
    public var debitCount: Int64 = 0
    public var creditCount: Int64 = 0
    public var debitAmount: Int128 = 0
    public var creditAmount: Int128 = 0
    public var feeAmount: Int128 = 0

    public init(debitCount: Int64 = 0, creditCount: Int64 = 0, debitAmount: Int128 = 0,
                creditAmount: Int128 = 0, feeAmount: Int128 = 0) {
        self.debitCount = debitCount
        self.creditCount = creditCount
        self.debitAmount = debitAmount
        self.creditAmount = creditAmount
        self.feeAmount = feeAmount
    }

    public var netAmount: Int128 { debitAmount - creditAmount - feeAmount }

    /// Adds `other`; returns false (and leaves self unchanged) on overflow.
    public mutating func combine(_ other: PartialAggregate) -> Bool {
        let dc = debitCount.addingReportingOverflow(other.debitCount)
        let cc = creditCount.addingReportingOverflow(other.creditCount)
        let da = debitAmount.addingReportingOverflow(other.debitAmount)
        let ca = creditAmount.addingReportingOverflow(other.creditAmount)
        let fa = feeAmount.addingReportingOverflow(other.feeAmount)
        if dc.overflow || cc.overflow || da.overflow || ca.overflow || fa.overflow { return false }
        let net = da.partialValue.subtractingReportingOverflow(ca.partialValue)
        if net.overflow || net.partialValue.subtractingReportingOverflow(fa.partialValue).overflow { return false }
        self = PartialAggregate(debitCount: dc.partialValue, creditCount: cc.partialValue, debitAmount: da.partialValue,
                                creditAmount: ca.partialValue, feeAmount: fa.partialValue)
        return true
    }
}
