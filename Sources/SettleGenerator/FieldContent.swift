import SettleEngine

/// The fixed material records are filled from: the file and transaction dates, the ARN writer, the
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
    /// The references: ARNs of the run's acquirer and file date.
    let arns: ARNWriter

    /// Digits of an ARN; the last is a Luhn check digit.
    static let arnLength = ARNWriter.length

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

        arns = ARNWriter(fileDate: date, random: &random)

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
            arns.write(sequence: random.below(100_000_000_000), into: &bytes, at: field.offset, length: field.length)
        case .merchant, .currency, .amount, .direction, .fee,
             .controlCount, .controlDebit, .controlCredit, .controlFee:
            // Role fields are written by the record formatter from the transaction or the totals.
            break
        }
    }

    /// Copies `count` bytes of `source` from `start` into `bytes` at `offset`.
    static func copy(_ source: [UInt8], from start: Int, count: Int, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<count {
            bytes[offset + index] = source[start + index]
        }
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
