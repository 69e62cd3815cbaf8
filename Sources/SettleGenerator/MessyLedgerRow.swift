import SettleEngine

/// Formats one row of a messy or signed ledger, the ways real exports differ, into a reusable byte
/// array: other column names in another order, extra columns (a posting id, a booking date, a quoted
/// free-text note with commas, doubled quotes and sometimes a line break), decimal amounts scaled by
/// the currency's minor units, direction words varying row by row (or, signed, a minus sign for a
/// credit), references with spaces around them, in quotes, or without their leading zeros. Rows end in
/// CRLF; the file starts with a UTF-8 BOM. Every choice comes from the seed's own stream.
struct MessyLedgerRow {
    /// A column of the messy ledger.
    enum Column {
        case postingID, amount, currency, note, reference, bookedOn, direction, merchant
    }

    /// Columns in file order with their header names; the signed style has no direction column.
    static func columns(signed: Bool) -> [(column: Column, name: String)] {
        let all: [(Column, String)] = [
            (.postingID, "posting_id"), (.amount, "value"), (.currency, "ccy"), (.note, "note"),
            (.reference, "reference_number"), (.bookedOn, "booked_on"), (.direction, "dc"), (.merchant, "merchant"),
        ]
        return all.filter { !signed || $0.0 != .direction }
    }

    static let referenceName = "reference_number"
    static let merchantName = "merchant"
    static let currencyName = "ccy"
    static let amountName = "value"
    static let directionName = "dc"
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    let signed: Bool
    private let columns: [Column]
    private let content: LedgerContent
    private let merchants: MerchantIDs
    private let currencyKeys: [[UInt8]]
    private let minorUnits: [Int]
    private let referenceLength: Int
    private var random: GeneratorRandom
    private var reference: [UInt8]
    private(set) var bytes: [UInt8] = []
    /// Line breaks inside quoted notes of the row last formatted (each is a physical line).
    private(set) var embeddedLineBreaks = 0

    private static let debitWords = ["D", "DEBIT", "DR", "SALE"].map { Array($0.utf8) }
    private static let creditWords = ["C", "CREDIT", "CR", "REFUND"].map { Array($0.utf8) }
    private static let unknownDirections = ["VOID", "X", "REV", "N/A"].map { Array($0.utf8) }
    private static let words = ["order", "refund", "partial", "customer", "chargeback", "promo", "gift card",
                                "terminal", "online", "store", "manual", "batch"].map { Array($0.utf8) }
    /// Letters put into an amount for `bad_amount` (no `E`, which a lax reader might take for an
    /// exponent).
    private static let amountLetters = Array("OXZQK".utf8)
    private static let commaSpace = Array(", ".utf8)
    private static let customerSaid = Array("\"customer said \"\"".utf8)
    private static let see = Array("\"\", see ".utf8)
    private static let ref = Array(", ref ".utf8)

    init(signed: Bool, content: LedgerContent, merchants: MerchantIDs, currencies: CurrencyTable, seed: UInt64) {
        self.signed = signed
        columns = Self.columns(signed: signed).map(\.column)
        self.content = content
        self.merchants = merchants
        currencyKeys = currencies.currencies.map { Array($0.key.utf8) }
        minorUnits = currencies.currencies.map(\.minorUnits)
        referenceLength = content.referenceLength
        random = GeneratorRandom(seed: seed, stream: .ledgerStyle)
        reference = [UInt8](repeating: 0x30, count: referenceLength)
        bytes.reserveCapacity(256)
    }

    /// The header line, CRLF included (the BOM is written before it, at the start of each file).
    var header: [UInt8] {
        Array(Self.columns(signed: signed).map(\.name).joined(separator: ",").utf8) + [0x0D, 0x0A]
    }

    /// The header name of the column a reject of `reason` names (empty for a row of too few columns).
    static func fieldName(_ reason: LedgerRejectReason) -> String {
        switch reason {
        case .badAmount: amountName
        case .badCode: directionName
        case .badRow: ""
        case .blankField: referenceName
        }
    }

    /// Formats the row of `transaction` showing `values`, or an unreadable row for `reject`.
    mutating func format(_ transaction: Transaction, _ values: LedgerValues, postingID: Int,
                         reject: LedgerRejectReason? = nil) {
        bytes.removeAll(keepingCapacity: true)
        embeddedLineBreaks = 0
        for (index, column) in columns.enumerated() {
            if reject == .badRow && index == 3 { break }  // too few columns: posting id, amount, currency
            if index > 0 { bytes.append(0x2C) }
            switch column {
            case .postingID:
                DecimalDigits.append(UInt64(postingID), to: &bytes)
            case .amount:
                appendAmount(values, letter: reject == .badAmount)
            case .currency:
                bytes.append(contentsOf: currencyKeys[values.currency])
            case .note:
                appendNote(postingID: postingID)
            case .reference:
                if reject == .blankField {
                    appendBlank()
                } else {
                    appendReference(transaction)
                }
            case .bookedOn:
                let start = transaction.daysBeforeFileDate * 8
                let date = content.bookingDates[start..<(start + 8)]
                bytes.append(contentsOf: date.prefix(4))
                bytes.append(0x2D)
                bytes.append(contentsOf: date.dropFirst(4).prefix(2))
                bytes.append(0x2D)
                bytes.append(contentsOf: date.suffix(2))
            case .direction:
                if reject == .badCode {
                    bytes.append(contentsOf: Self.unknownDirections[random.index(Self.unknownDirections.count)])
                } else {
                    appendDirectionWord(isCredit: values.isCredit)
                }
            case .merchant:
                let idStart = merchants.csvStarts[values.merchant]
                bytes.append(contentsOf: merchants.csvBytes[idStart..<merchants.csvStarts[values.merchant + 1]])
            }
        }
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    /// A decimal amount: no decimal point for a currency without minor units, `12` for `12.00` now and
    /// then; signed, a `-` for a credit and sometimes a `+` for a debit. With `letter`, one digit
    /// becomes a letter.
    private mutating func appendAmount(_ values: LedgerValues, letter: Bool) {
        if signed {
            if values.isCredit {
                bytes.append(0x2D)
            } else if random.index(4) == 0 {
                bytes.append(0x2B)
            }
        }
        let start = bytes.count
        let units = minorUnits[values.currency]
        var scale: Int64 = 1
        for _ in 0..<units { scale *= 10 }
        let fraction = values.amountMinor % scale
        DecimalDigits.append(values.amountMinor / scale, to: &bytes)
        if units > 0 && (fraction != 0 || random.index(2) == 0) {
            bytes.append(0x2E)
            let at = bytes.count
            for _ in 0..<units { bytes.append(0x30) }
            DecimalDigits.write(UInt64(fraction), into: &bytes, at: at, width: units)
        }
        if letter {
            let digits = (start..<bytes.count).filter { bytes[$0] != 0x2E }
            bytes[digits[random.index(digits.count)]] = Self.amountLetters[random.index(Self.amountLetters.count)]
        }
    }

    /// A debit or credit word of one of the four pairs, upper, lower or capitalised.
    private mutating func appendDirectionWord(isCredit: Bool) {
        let words = isCredit ? Self.creditWords : Self.debitWords
        let word = words[random.index(words.count)]
        let style = random.index(3)
        for (index, byte) in word.enumerated() {
            bytes.append(style == 1 || (style == 2 && index > 0) ? byte | 0x20 : byte)
        }
    }

    /// The reference: without its leading zeros three times in four when it has some; plain, with
    /// spaces around it, in quotes, or in quotes with spaces inside.
    private mutating func appendReference(_ transaction: Transaction) {
        content.writeReference(of: transaction, into: &reference, at: 0)
        var first = 0
        if reference[0] == 0x30 && random.index(4) != 0 {
            while first < referenceLength - 1 && reference[first] == 0x30 { first += 1 }
        }
        let digits = reference[first...]
        switch random.index(20) {
        case 0..<11:
            bytes.append(contentsOf: digits)
        case 11..<14:
            bytes.append(0x20)
            bytes.append(contentsOf: digits)
            bytes.append(contentsOf: [0x20, 0x20])
        case 14..<18:
            bytes.append(0x22)
            bytes.append(contentsOf: digits)
            bytes.append(0x22)
        default:
            bytes.append(contentsOf: [0x22, 0x20])
            bytes.append(contentsOf: digits)
            bytes.append(contentsOf: [0x20, 0x22])
        }
    }

    /// An empty reference: nothing, empty quotes, or spaces.
    private mutating func appendBlank() {
        switch random.index(3) {
        case 0: break
        case 1: bytes.append(contentsOf: [0x22, 0x22])
        default: bytes.append(contentsOf: [0x20, 0x20, 0x20])
        }
    }

    /// Free text: mostly a plain phrase or nothing; sometimes quoted with a comma, with doubled quotes,
    /// or over two lines.
    private mutating func appendNote(postingID: Int) {
        let first = Self.words[random.index(Self.words.count)]
        let second = Self.words[random.index(Self.words.count)]
        switch random.index(20) {
        case 0..<10:
            bytes.append(contentsOf: first)
            bytes.append(0x20)
            DecimalDigits.append(UInt64(postingID), to: &bytes)
        case 10..<14:
            bytes.append(0x22)
            bytes.append(contentsOf: first)
            bytes.append(contentsOf: Self.commaSpace)
            bytes.append(contentsOf: second)
            bytes.append(0x22)
        case 14..<17:
            bytes.append(contentsOf: Self.customerSaid)
            bytes.append(contentsOf: first)
            bytes.append(contentsOf: Self.see)
            bytes.append(contentsOf: second)
            bytes.append(0x22)
        case 17:
            bytes.append(0x22)
            bytes.append(contentsOf: first)
            bytes.append(0x0A)
            bytes.append(contentsOf: second)
            bytes.append(contentsOf: Self.ref)
            DecimalDigits.append(UInt64(postingID), to: &bytes)
            bytes.append(0x22)
            embeddedLineBreaks += 1
        default:
            break
        }
    }
}
