import SettleEngine

/// Writes a card transaction's acquirer reference number (ARN), the reference of the flat layouts:
/// 23 digits, a 7, the acquirer BIN, the last digit of the year and the day of year (the first 11,
/// fixed for a run), an 11-digit sequence and a Luhn check digit. Small, so the record and ledger
/// formatters can hold and call it per row without copying anything larger.
struct ARNWriter {
    /// Digits of an ARN; the last is a Luhn check digit.
    static let length = 23

    /// The ARN's first 11 digits.
    private let prefix: [UInt8]
    /// The Luhn sum of `prefix` in its place in a 23-digit ARN.
    private let prefixLuhn: Int

    /// The acquirer BIN is drawn from `random` (one draw).
    init(fileDate date: CalendarDate, random: inout GeneratorRandom) {
        var prefix = [UInt8](repeating: 0x30, count: 11)
        prefix[0] = 0x37
        DecimalDigits.write(400_000 + random.below(100_000), into: &prefix, at: 1, width: 6)
        DecimalDigits.write(UInt64(date.year % 10), into: &prefix, at: 7, width: 1)
        DecimalDigits.write(UInt64(date.dayOfYear), into: &prefix, at: 8, width: 3)
        self.prefix = prefix
        var luhn = 0
        for (index, byte) in prefix.enumerated() {
            luhn += Self.luhnTerm(Int(byte - 0x30), position: index + 1)
        }
        prefixLuhn = luhn
    }

    /// Writes the ARN for `sequence` (below 10^11), right-aligned in `length` bytes: left-padded with
    /// zeros if the field is longer than 23 digits, keeping the last digits if it is shorter.
    func write(sequence: UInt64, into bytes: inout [UInt8], at offset: Int, length: Int) {
        // Luhn over the sequence digits, which sit at 1-based positions 12...22 of the ARN.
        var luhn = prefixLuhn
        var remaining = sequence
        for position in stride(from: 22, through: 12, by: -1) {
            luhn += Self.luhnTerm(Int(remaining % 10), position: position)
            remaining /= 10
        }
        let check = UInt8((10 - luhn % 10) % 10)
        // Right to left: ARN position p lands at `end - (23 - p)`; skip what falls before the field.
        let end = offset + length - 1
        bytes[end] = 0x30 | check
        remaining = sequence
        for position in stride(from: 22, through: 12, by: -1) {
            let index = end - (Self.length - position)
            if index >= offset { bytes[index] = 0x30 | UInt8(truncatingIfNeeded: remaining % 10) }
            remaining /= 10
        }
        for position in stride(from: 11, through: 1, by: -1) {
            let index = end - (Self.length - position)
            if index >= offset { bytes[index] = prefix[position - 1] }
        }
        var index = end - Self.length
        while index >= offset {
            bytes[index] = 0x30
            index -= 1
        }
    }

    /// Writes the reference of `transaction` (its ARN, with its leading zeros if it has any) into
    /// `length` bytes. At most `length - 12` leading digits become zeros: the last 12 digits (sequence
    /// and check digit) stay, so references stay unique.
    func write(of transaction: Transaction, into bytes: inout [UInt8], at offset: Int, length: Int) {
        write(sequence: transaction.sequence, into: &bytes, at: offset, length: length)
        let zeros = min(transaction.referenceLeadingZeros, length - 12)
        if zeros > 0 {
            for index in offset..<(offset + zeros) { bytes[index] = 0x30 }
        }
    }

    /// A digit's contribution to the Luhn sum at 1-based `position` of a 23-digit number whose last
    /// digit is the check digit: positions an even distance from position 22 are doubled.
    private static func luhnTerm(_ digit: Int, position: Int) -> Int {
        guard (22 - position) % 2 == 0 else { return digit }
        let doubled = digit * 2
        return doubled > 9 ? doubled - 9 : doubled
    }
}
