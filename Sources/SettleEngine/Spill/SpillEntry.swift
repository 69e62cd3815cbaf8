/// The on-disk form of one partial aggregate in a run: compact and variable-length, since most of a
/// fixed-width entry would be zero bytes (a partial is spilled for nearly every key of every
/// partition, so every byte saved is one LZ4 does not compress, write, read and decompress):
///
///     u8 merchant length n, n bytes    u8 currency length m, m bytes
///     LEB128 debit count, LEB128 credit count
///     zigzag LEB128 debit amount, credit amount, fee amount (128-bit)
///
/// At most `maxSize` bytes.
enum SpillEntry {
    static let maxSize = 1 + MerchantKey.capacity + 1 + CurrencyCode.capacity + 2 * 10 + 3 * 19

    /// Writes the entry at `pointer` (at least `maxSize` bytes free); returns its size.
    @inline(__always)
    static func store(_ key: AggregateKey, _ value: PartialAggregate, to pointer: UnsafeMutableRawPointer) -> Int {
        var at = 0
        let length = key.merchant.byteCount
        pointer.storeBytes(of: UInt8(length), toByteOffset: at, as: UInt8.self)
        at += 1
        // All 32 bytes go down; the bytes past `length` are overwritten by what follows.
        key.merchant.storeAll(to: pointer + at)
        at += length
        let currencyLength = key.currency.byteCount
        pointer.storeBytes(of: UInt8(currencyLength), toByteOffset: at, as: UInt8.self)
        at += 1
        for index in 0..<currencyLength {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: key.currency.raw >> UInt32(24 - 8 * index)), toByteOffset: at + index, as: UInt8.self)
        }
        at += currencyLength
        at += writeVarint(UInt128(UInt64(bitPattern: value.debitCount)), pointer + at)
        at += writeVarint(UInt128(UInt64(bitPattern: value.creditCount)), pointer + at)
        at += writeVarint(zigzag(value.debitAmount), pointer + at)
        at += writeVarint(zigzag(value.creditAmount), pointer + at)
        at += writeVarint(zigzag(value.feeAmount), pointer + at)
        return at
    }

    /// Reads the entry at `pointer`, which has `available` bytes; returns nil if it is malformed or
    /// runs past them.
    @inline(__always)
    static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: AggregateKey, value: PartialAggregate, size: Int)? {
        var at = 0
        guard available >= 2 else { return nil }
        let length = Int(pointer.load(fromByteOffset: 0, as: UInt8.self))
        at = 1
        guard length <= MerchantKey.capacity, at + length + 1 <= available else { return nil }
        let merchant = MerchantKey.load(pointer, offset: at, length: length)
        at += length
        let currencyLength = Int(pointer.load(fromByteOffset: at, as: UInt8.self))
        at += 1
        guard currencyLength <= CurrencyCode.capacity, at + currencyLength <= available else { return nil }
        var currency: UInt32 = 0
        for index in 0..<currencyLength {
            currency |= UInt32(pointer.load(fromByteOffset: at + index, as: UInt8.self)) << UInt32(24 - 8 * index)
        }
        at += currencyLength
        guard let debitCount = readVarint(pointer, &at, available), let creditCount = readVarint(pointer, &at, available),
              let debit = readVarint(pointer, &at, available), let credit = readVarint(pointer, &at, available),
              let fee = readVarint(pointer, &at, available),
              let debitCount64 = Int64(exactly: debitCount), let creditCount64 = Int64(exactly: creditCount) else { return nil }
        let value = PartialAggregate(debitCount: debitCount64, creditCount: creditCount64, debitAmount: unzigzag(debit),
                                     creditAmount: unzigzag(credit), feeAmount: unzigzag(fee))
        return (AggregateKey(merchant: merchant, currency: CurrencyCode(raw: currency)), value, at)
    }

    /// Reads `u8 n, n bytes` (n at most `capacity`) at `at` into a packed key; nil if it runs past
    /// `available` or is too long.
    @inline(__always)
    static func readKey(_ pointer: UnsafeRawPointer, _ at: inout Int, _ available: Int, capacity: Int) -> MerchantKey? {
        guard at < available else { return nil }
        let length = Int(pointer.load(fromByteOffset: at, as: UInt8.self))
        guard length <= capacity, at + 1 + length <= available else { return nil }
        let key = MerchantKey.load(pointer, offset: at + 1, length: length)
        at += 1 + length
        return key
    }

    @inline(__always)
    static func zigzag(_ value: Int128) -> UInt128 {
        UInt128(bitPattern: (value &<< 1) ^ (value &>> 127))
    }

    @inline(__always)
    static func unzigzag(_ value: UInt128) -> Int128 {
        Int128(bitPattern: value &>> 1) ^ -Int128(bitPattern: value & 1)
    }

    @inline(__always)
    static func writeVarint(_ value: UInt128, _ pointer: UnsafeMutableRawPointer) -> Int {
        var remaining = value
        var at = 0
        while remaining >= 0x80 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: remaining) | 0x80, toByteOffset: at, as: UInt8.self)
            remaining &>>= 7
            at += 1
        }
        pointer.storeBytes(of: UInt8(truncatingIfNeeded: remaining), toByteOffset: at, as: UInt8.self)
        return at + 1
    }

    @inline(__always)
    static func readVarint(_ pointer: UnsafeRawPointer, _ at: inout Int, _ available: Int) -> UInt128? {
        var value: UInt128 = 0
        var shift: UInt128 = 0
        while at < available && shift < 133 {
            let byte = pointer.load(fromByteOffset: at, as: UInt8.self)
            at += 1
            value |= UInt128(byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}

extension MerchantKey {
    /// Bytes before the zero padding (text never holds a zero byte).
    @inline(__always)
    var byteCount: Int {
        if w3 != 0 { return 32 - w3.trailingZeroBitCount / 8 }
        if w2 != 0 { return 24 - w2.trailingZeroBitCount / 8 }
        if w1 != 0 { return 16 - w1.trailingZeroBitCount / 8 }
        if w0 != 0 { return 8 - w0.trailingZeroBitCount / 8 }
        return 0
    }

    /// Writes all 32 bytes of the key (big-endian words) at `pointer`, which must have room.
    @inline(__always)
    func storeAll(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }
}

extension CurrencyCode {
    @inline(__always)
    var byteCount: Int { raw == 0 ? 0 : 4 - raw.trailingZeroBitCount / 8 }
}
