/// The fixed material records are filled from: the file and transaction dates, the ARN prefix, the
/// pools of printable texts, the impossible dates used for `bad_date` faults. Drawn once per run from
/// the seed, then only copied, so the hot loop formats no strings.
struct FieldContent {
    /// Variants in each text pool; a power of two.
    static let poolVariants = 64

    let layout: GeneratorLayout
    /// `YYYYMMDD` of the file (settlement) date.
    let fileDate: [UInt8]
    /// `YYYYMMDD` of the file date and each day before it, 8 bytes apiece: index `n` is `n` days before.
    let transactionDates: [UInt8]
    /// Four impossible `YYYYMMDD` values, 8 bytes apiece (30 February, month 13, 31 April, day 32).
    let impossibleDates: [UInt8]
    /// Every text pool's variants back to back; pool `p` starts at `poolStarts[p]`.
    let textBytes: [UInt8]
    let poolStarts: [Int]
    /// The ARN's first 11 digits: a 7, the acquirer BIN, the last digit of the year and day of year.
    private let arnPrefix: [UInt8]
    /// The Luhn sum of `arnPrefix` in its place in a 23-digit ARN.
    private let arnPrefixLuhn: Int

    /// Digits of an ARN; the last is a Luhn check digit.
    static let arnLength = 23

    init(layout: GeneratorLayout, fileDate date: CalendarDate, random: inout GeneratorRandom) {
        self.layout = layout
        fileDate = date.digits
        var dates: [UInt8] = []
        for daysBefore in 0..<TransactionSource.dayWindow {
            dates += CalendarDate(daysSinceEpoch: date.daysSinceEpoch - daysBefore).digits
        }
        transactionDates = dates
        impossibleDates = CalendarDate.digits(year: date.year, month: 2, day: 30)
            + CalendarDate.digits(year: date.year, month: 13, day: 1)
            + CalendarDate.digits(year: date.year, month: 4, day: 31)
            + CalendarDate.digits(year: date.year, month: 12, day: 32)

        var prefix = [UInt8](repeating: 0x30, count: 11)
        prefix[0] = 0x37
        DecimalDigits.write(400_000 + random.below(100_000), into: &prefix, at: 1, width: 6)
        DecimalDigits.write(UInt64(date.year % 10), into: &prefix, at: 7, width: 1)
        DecimalDigits.write(UInt64(date.dayOfYear), into: &prefix, at: 8, width: 3)
        arnPrefix = prefix
        var luhn = 0
        for (index, byte) in prefix.enumerated() {
            luhn += Self.luhnTerm(Int(byte - 0x30), position: index + 1)
        }
        arnPrefixLuhn = luhn

        var text: [UInt8] = []
        var starts: [Int] = []
        for pool in layout.textPools {
            starts.append(text.count)
            for variant in 0..<Self.poolVariants {
                text += Self.printableText(length: pool.length, blank: pool.optional && variant % 4 == 0, random: &random)
            }
        }
        textBytes = text
        poolStarts = starts
    }

    /// Fills a field that has no role, by its type.
    func fill(_ field: GeneratorLayout.Field, into bytes: inout [UInt8], random: inout GeneratorRandom) {
        switch field.fill {
        case .digits:
            DecimalDigits.writeRandom(into: &bytes, at: field.offset, length: field.length, random: &random)
        case .smallAmount:
            let value = random.below(UInt64(min(DecimalDigits.maxValue(width: field.length), 99_999)) + 1)
            DecimalDigits.write(value, into: &bytes, at: field.offset, width: field.length)
        case .fileDate:
            Self.copy(fileDate, from: 0, count: 8, into: &bytes, at: field.offset)
        case .transactionDate:
            Self.copy(transactionDates, from: 0, count: 8, into: &bytes, at: field.offset)
        case .text(let pool):
            let variant = Int(random.next() >> 58)  // 6 bits: one of 64 variants
            Self.copy(textBytes, from: poolStarts[pool] + variant * field.length, count: field.length,
                      into: &bytes, at: field.offset)
        case .code(let start, let count):
            Self.copy(layout.codeBytes, from: start + random.index(count) * field.length, count: field.length,
                      into: &bytes, at: field.offset)
        case .reference:
            writeReference(sequence: random.below(100_000_000_000), into: &bytes, at: field.offset, length: field.length)
        case .merchant, .currency, .amount, .direction, .fee,
             .controlCount, .controlDebit, .controlCredit, .controlFee:
            // Role fields are written by the record formatter from the transaction or the totals.
            break
        }
    }

    /// Writes the ARN for `sequence` (below 10^11), right-aligned in `length` bytes: left-padded with
    /// zeros if the field is longer than 23 digits, keeping the last digits if it is shorter.
    func writeReference(sequence: UInt64, into bytes: inout [UInt8], at offset: Int, length: Int) {
        // Luhn over the sequence digits, which sit at 1-based positions 12...22 of the ARN.
        var luhn = arnPrefixLuhn
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
            let index = end - (Self.arnLength - position)
            if index >= offset { bytes[index] = 0x30 | UInt8(truncatingIfNeeded: remaining % 10) }
            remaining /= 10
        }
        for position in stride(from: 11, through: 1, by: -1) {
            let index = end - (Self.arnLength - position)
            if index >= offset { bytes[index] = arnPrefix[position - 1] }
        }
        var index = end - Self.arnLength
        while index >= offset {
            bytes[index] = 0x30
            index -= 1
        }
    }

    /// Writes the reference of `transaction` (its ARN, with its leading zeros if it has any) into
    /// `length` bytes. At most `length - 12` leading digits become zeros: the last 12 digits (sequence
    /// and check digit) stay, so references stay unique.
    func writeReference(of transaction: Transaction, into bytes: inout [UInt8], at offset: Int, length: Int) {
        writeReference(sequence: transaction.sequence, into: &bytes, at: offset, length: length)
        let zeros = min(transaction.referenceLeadingZeros, length - 12)
        if zeros > 0 {
            for index in offset..<(offset + zeros) { bytes[index] = 0x30 }
        }
    }

    /// Copies `count` bytes of `source` from `start` into `bytes` at `offset`.
    static func copy(_ source: [UInt8], from start: Int, count: Int, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<count {
            bytes[offset + index] = source[start + index]
        }
    }

    /// A digit's contribution to the Luhn sum at 1-based `position` of a 23-digit number whose last
    /// digit is the check digit: positions an even distance from position 22 are doubled.
    private static func luhnTerm(_ digit: Int, position: Int) -> Int {
        guard (22 - position) % 2 == 0 else { return digit }
        let doubled = digit * 2
        return doubled > 9 ? doubled - 9 : doubled
    }

    /// Printable ASCII, left-aligned and space-padded: words of letters and digits, never starting with
    /// a space, or all blank for an optional field's blank variants.
    private static func printableText(length: Int, blank: Bool, random: inout GeneratorRandom) -> [UInt8] {
        var text = [UInt8](repeating: 0x20, count: length)
        if blank { return text }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let separators = Array(" -./#".utf8)
        let used = 1 + random.index(length)
        for index in 0..<used {
            let separator = index > 0 && index < used - 1 && random.index(6) == 0
            text[index] = separator ? separators[random.index(separators.count)] : alphabet[random.index(alphabet.count)]
        }
        return text
    }
}
