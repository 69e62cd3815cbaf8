import SettleEngine

/// Decimal formatting straight into byte arrays, for the generator's hot loop: no `String`, no
/// allocation. Values are non-negative minor units, counts and random digits.
enum DecimalDigits {
    /// Writes `value` right-aligned and zero-padded into `bytes[offset..<offset + width]`. Digits
    /// beyond `width` are dropped (callers check `fits` first where that matters).
    static func write(_ value: UInt64, into bytes: inout [UInt8], at offset: Int, width: Int) {
        var remaining = value
        var index = offset + width
        while index > offset {
            index -= 1
            bytes[index] = 0x30 | UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
    }

    /// Appends `value` without padding (for CSV).
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        let width = count(value)
        let start = bytes.count
        for _ in 0..<width { bytes.append(0x30) }
        write(value, into: &bytes, at: start, width: width)
    }

    /// Appends a non-negative `value` without padding.
    static func append(_ value: Int64, to bytes: inout [UInt8]) {
        precondition(value >= 0, "negative value in a generated file")
        append(UInt64(value), to: &bytes)
    }

    /// Writes `length` uniformly random digits, 19 per random word.
    static func writeRandom(into bytes: inout [UInt8], at offset: Int, length: Int, random: inout GeneratorRandom) {
        var index = offset
        let end = offset + length
        while index < end {
            var word = random.next()
            let stop = min(end, index + 19)
            while index < stop {
                bytes[index] = 0x30 | UInt8(truncatingIfNeeded: word % 10)
                word /= 10
                index += 1
            }
        }
    }

    /// Number of decimal digits of `value` (1 for zero).
    static func count(_ value: UInt64) -> Int {
        var digits = 1
        var remaining = value
        while remaining >= 10 {
            remaining /= 10
            digits += 1
        }
        return digits
    }

    /// Whether `value` fits a zero-padded field of `width` digits.
    static func fits(_ value: UInt64, width: Int) -> Bool { count(value) <= width }

    /// The largest value of `width` digits, capped at `Int64.max` (amounts are `Int64`).
    static func maxValue(width: Int) -> Int64 {
        if width >= 19 { return Int64.max }
        var value: Int64 = 1
        for _ in 0..<width { value *= 10 }
        return value - 1
    }

    /// The ASCII digits of `value` as a string (for summary and CSV files, not the hot loop).
    static func string(_ value: Int64) -> String {
        var bytes: [UInt8] = []
        append(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
