/// What a structured scanner needs to read a file's bytes as the layout means them, as plain
/// pointers allocated once per partition: the code page's table into Latin-1 (nil for ASCII, whose
/// records are read in place) with a buffer for one translated record, and the ISO 4217 numeric
/// codes' alpha codes and amount factors (nil when no detail has a numeric currency).
struct RecordReading {
    let toLatin1: UnsafeMutablePointer<UInt8>?
    /// One record translated through `toLatin1`; `capacity` bytes.
    let decoded: UnsafeMutableRawPointer
    let capacity: Int
    /// By numeric code 0-999: the alpha code packed as `CurrencyCode` (0: not a currency), and
    /// 10^(layout scale - the currency's minor units), which turns an amount into the layout's scale.
    let numericAlpha: UnsafeMutablePointer<UInt32>?
    let numericFactor: UnsafeMutablePointer<Int64>?

    init(layout: StructuredLayout, capacity: Int) {
        self.capacity = capacity
        decoded = .allocate(byteCount: capacity, alignment: 8)
        if layout.codePage == .ascii {
            toLatin1 = nil
        } else {
            let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
            table.initialize(from: layout.codePage.toLatin1, count: 256)
            toLatin1 = table
        }
        if layout.usesNumericCurrency {
            let alpha = UnsafeMutablePointer<UInt32>.allocate(capacity: 1000)
            let factor = UnsafeMutablePointer<Int64>.allocate(capacity: 1000)
            alpha.initialize(repeating: 0, count: 1000)
            factor.initialize(repeating: 1, count: 1000)
            for code in 0..<1000 {
                guard let currency = ISO4217.byNumeric(code) else { continue }
                alpha[code] = CurrencyCode(currency.alpha).raw
                var value: Int64 = 1
                for _ in 0..<max(0, layout.scale - (currency.minorUnits ?? 0)) { value *= 10 }
                factor[code] = value
            }
            numericAlpha = alpha
            numericFactor = factor
        } else {
            numericAlpha = nil
            numericFactor = nil
        }
    }

    func deallocate() {
        toLatin1?.deallocate()
        decoded.deallocate()
        numericAlpha?.deallocate()
        numericFactor?.deallocate()
    }

    /// Translates `length` bytes at `pointer + offset` into `decoded` (at most `capacity`).
    @inline(__always)
    func decode(_ table: UnsafeMutablePointer<UInt8>, _ pointer: UnsafeRawPointer, offset: Int, length: Int) {
        let count = min(length, capacity)
        for index in 0..<count {
            decoded.storeBytes(of: table[Int(pointer.load(fromByteOffset: offset + index, as: UInt8.self))], toByteOffset: index,
                               as: UInt8.self)
        }
    }

    /// Bytes of a reject or a report, decoded from the file's code page (masking comes after).
    func decoded(_ raw: [UInt8]) -> [UInt8] {
        guard let table = toLatin1 else { return raw }
        return raw.map { table[Int($0)] }
    }
}
