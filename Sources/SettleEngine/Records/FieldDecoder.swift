/// Byte-level decoding of field values straight from a record's bytes.
///
/// Every function takes the record's base pointer and a 0-based offset and length that the caller
/// has already checked against the record length (the compiled layout guarantees fields fit).
public enum FieldDecoder {
    /// Packs up to 8 bytes big-endian into an integer, for comparing short codes in one instruction.
    public static func pack(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0
        for byte in bytes.prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    @inline(__always)
    public static func pack(_ base: UnsafeRawPointer, offset: Int, length: Int) -> UInt64 {
        var value: UInt64 = 0
        var index = offset
        let end = offset + length
        while index < end {
            value = value << 8 | UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index += 1
        }
        return value
    }

    /// True when every byte is `0`-`9`.
    @inline(__always)
    public static func isDigits(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
        var index = offset
        let end = offset + length
        // Eight bytes at a time: a byte is a digit iff (b - 0x30) < 10, checked on all lanes at once.
        while index + 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let low = word &- 0x3030_3030_3030_3030
            let high = word &+ 0x4646_4646_4646_4646  // sets bit 7 of a lane when b > 0x39
            if (word | low | high) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte &- 0x30 > 9 { return false }
            index += 1
        }
        return true
    }

    /// The value of a digits-only field, or -1 if a byte is not a digit. At most 18 digits.
    @inline(__always)
    public static func amount(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int64 {
        var value: Int64 = 0
        var index = offset
        let end = offset + length
        // Eight digits at a time (SWAR): check them, then combine pairs, quads and octets.
        while index + 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let digits = word &- 0x3030_3030_3030_3030
            if (word | digits | (word &+ 0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080 != 0 { return -1 }
            // At most 18 digits (layout validation), so value < 10^18 and cannot overflow.
            value = value &* 100_000_000 &+ Int64(bitPattern: parseEightDigits(digits))
            index += 8
        }
        while index < end {
            let digit = base.load(fromByteOffset: index, as: UInt8.self) &- 0x30
            if digit > 9 { return -1 }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        return value
    }

    /// A zoned decimal whose last character is overpunched with the sign: `{` and `A`-`I` are +0..+9,
    /// `}` and `J`-`R` are -0..-9, a plain digit is positive. Nil if a byte is anything else. At most
    /// 18 digits.
    @inline(__always)
    public static func signedAmount(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int64? {
        guard length > 0 else { return nil }
        let head = length > 1 ? amount(base, offset: offset, length: length - 1) : 0
        guard head >= 0 else { return nil }
        let last = base.load(fromByteOffset: offset + length - 1, as: UInt8.self)
        let digit: Int64
        var negative = false
        switch last {
        case 0x30...0x39: digit = Int64(last - 0x30)
        case UInt8(ascii: "{"): digit = 0
        case UInt8(ascii: "A")...UInt8(ascii: "I"): digit = Int64(last - UInt8(ascii: "A") + 1)
        case UInt8(ascii: "}"): digit = 0; negative = true
        case UInt8(ascii: "J")...UInt8(ascii: "R"): digit = Int64(last - UInt8(ascii: "J") + 1); negative = true
        default: return nil
        }
        let value = head &* 10 &+ digit
        return negative ? -value : value
    }

    /// Digits followed by one sign byte (`D`, `+` or blank positive; `C` or `-` negative); an
    /// all-blank value is 0. Nil if a byte is anything else. At most 18 digits.
    @inline(__always)
    public static func signedTrailing(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int64? {
        guard length > 1 else { return nil }
        if isBlank(base, offset: offset, length: length) { return 0 }
        let value = amount(base, offset: offset, length: length - 1)
        guard value >= 0 else { return nil }
        switch base.load(fromByteOffset: offset + length - 1, as: UInt8.self) {
        case UInt8(ascii: "D"), UInt8(ascii: "+"), 0x20: return value
        case UInt8(ascii: "C"), UInt8(ascii: "-"): return -value
        default: return nil
        }
    }

    /// Eight digit values (0-9, one per byte, first digit in the lowest byte) as one number.
    @inline(__always)
    static func parseEightDigits(_ digits: UInt64) -> UInt64 {
        var v = digits
        v = (v &* 10 &+ (v >> 8)) & 0x00FF_00FF_00FF_00FF
        v = (v &* 100 &+ (v >> 16)) & 0x0000_FFFF_0000_FFFF
        v = (v &* 10000 &+ (v >> 32)) & 0x0000_0000_FFFF_FFFF
        return v
    }

    /// The index of the first byte that is not a digit, relative to `offset`, if any.
    public static func firstNonDigit(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int? {
        for index in 0..<length where base.load(fromByteOffset: offset + index, as: UInt8.self) &- 0x30 > 9 {
            return index
        }
        return nil
    }

    /// True when all bytes are spaces.
    @inline(__always)
    public static func isBlank(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
        var index = offset
        let end = offset + length
        while index < end {
            if base.load(fromByteOffset: index, as: UInt8.self) != 0x20 { return false }
            index += 1
        }
        return true
    }

    /// True when no byte is a control character (below 0x20, or 0x7F). Bytes above 0x7F (UTF-8,
    /// Latin-1) are accepted: names in real files carry accents.
    @inline(__always)
    public static func isText(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
        var index = offset
        let end = offset + length
        while index + 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // A lane below 0x20 (among lanes below 0x80), or equal to 0x7F.
            let below = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
            let delete = word ^ 0x7F7F_7F7F_7F7F_7F7F
            let hasDelete = (delete &- 0x0101_0101_0101_0101) & ~delete & 0x8080_8080_8080_8080
            if below | hasDelete != 0 { return false }
            index += 8
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte < 0x20 || byte == 0x7F { return false }
            index += 1
        }
        return true
    }

    /// Length after removing trailing spaces (eight bytes at a time from the end).
    @inline(__always)
    public static func trimmedLength(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int {
        var count = length
        while count >= 8 {
            // Little-endian: the field's last byte is the word's highest.
            let word = base.loadUnaligned(fromByteOffset: offset + count - 8, as: UInt64.self) ^ 0x2020_2020_2020_2020
            if word != 0 { return count - word.leadingZeroBitCount / 8 }
            count -= 8
        }
        while count > 0 && base.load(fromByteOffset: offset + count - 1, as: UInt8.self) == 0x20 { count -= 1 }
        return count
    }

    /// True when the 8 bytes at `offset` are a real `YYYYMMDD` date (year 0001-9999).
    @inline(__always)
    public static func isDate(_ base: UnsafeRawPointer, offset: Int) -> Bool {
        guard isDigits(base, offset: offset, length: 8) else { return false }
        func digit(_ index: Int) -> Int { Int(base.load(fromByteOffset: offset + index, as: UInt8.self) &- 0x30) }
        let year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
        let month = digit(4) * 10 + digit(5)
        let day = digit(6) * 10 + digit(7)
        guard year >= 1, month >= 1, month <= 12, day >= 1 else { return false }
        return day <= daysIn(month: month, year: year)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
