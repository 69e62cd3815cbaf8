/// The on-disk form of one partial aggregate in a run: 104 bytes, little-endian, fixed layout.
///
///     0  merchant words w0..w3 (4 x UInt64)   32  currency (UInt32)   36  reserved (UInt32)
///     40 debit count (Int64)   48 credit count (Int64)
///     56 debit amount (Int128)  72 credit amount (Int128)  88 fee amount (Int128)
enum SpillEntry {
    static let size = 104

    @inline(__always)
    static func store(_ key: AggregateKey, _ value: PartialAggregate, to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: key.merchant.w0.littleEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: key.merchant.w1.littleEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: key.merchant.w2.littleEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: key.merchant.w3.littleEndian, toByteOffset: 24, as: UInt64.self)
        pointer.storeBytes(of: key.currency.raw.littleEndian, toByteOffset: 32, as: UInt32.self)
        pointer.storeBytes(of: UInt32(0), toByteOffset: 36, as: UInt32.self)
        pointer.storeBytes(of: value.debitCount.littleEndian, toByteOffset: 40, as: Int64.self)
        pointer.storeBytes(of: value.creditCount.littleEndian, toByteOffset: 48, as: Int64.self)
        storeInt128(value.debitAmount, pointer, 56)
        storeInt128(value.creditAmount, pointer, 72)
        storeInt128(value.feeAmount, pointer, 88)
    }

    @inline(__always)
    static func load(from pointer: UnsafeRawPointer) -> (AggregateKey, PartialAggregate) {
        let merchant = MerchantKey(w0: UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                                   w1: UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                                   w2: UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                                   w3: UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        let currency = CurrencyCode(raw: UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 32, as: UInt32.self)))
        let value = PartialAggregate(
            debitCount: Int64(littleEndian: pointer.loadUnaligned(fromByteOffset: 40, as: Int64.self)),
            creditCount: Int64(littleEndian: pointer.loadUnaligned(fromByteOffset: 48, as: Int64.self)),
            debitAmount: loadInt128(pointer, 56),
            creditAmount: loadInt128(pointer, 72),
            feeAmount: loadInt128(pointer, 88))
        return (AggregateKey(merchant: merchant, currency: currency), value)
    }

    @inline(__always)
    private static func storeInt128(_ value: Int128, _ pointer: UnsafeMutableRawPointer, _ offset: Int) {
        let bits = UInt128(bitPattern: value)
        pointer.storeBytes(of: UInt64(truncatingIfNeeded: bits).littleEndian, toByteOffset: offset, as: UInt64.self)
        pointer.storeBytes(of: UInt64(truncatingIfNeeded: bits >> 64).littleEndian, toByteOffset: offset + 8, as: UInt64.self)
    }

    @inline(__always)
    private static func loadInt128(_ pointer: UnsafeRawPointer, _ offset: Int) -> Int128 {
        let low = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let high = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        return Int128(bitPattern: UInt128(high) << 64 | UInt128(low))
    }
}
