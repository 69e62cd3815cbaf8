import SettleEngine

/// The records of a generated Visa CTF file, as `visa-ctf.yaml` reads them: one 168-byte record at
/// a time in `bytes` (Latin-1 text), then `encoded` into the file's code page with its line end.
/// Positions in comments are 1-based, as in the layout.
struct VisaRecords {
    static let recordLength = 168
    private(set) var bytes = [UInt8](repeating: 0x20, count: VisaRecords.recordLength)
    let codePage: CodePage
    let lineEnd: [UInt8]
    private var line: [UInt8] = []

    init(codePage: CodePage, lineEnd: [UInt8]) {
        self.codePage = codePage
        self.lineEnd = lineEnd
    }

    /// The record as the file holds it: through the code page, then the line end.
    mutating func encoded() -> [UInt8] {
        line.removeAll(keepingCapacity: true)
        if codePage == .ascii {
            line += bytes
        } else {
            let table = codePage.fromLatin1
            for byte in bytes { line.append(table[Int(byte)]) }
        }
        line += lineEnd
        return line
    }

    private mutating func clear() {
        for index in bytes.indices { bytes[index] = 0x20 }
    }

    private mutating func text(_ value: String, at start: Int, length: Int) {
        let utf8 = Array(value.utf8.prefix(length))
        for (index, byte) in utf8.enumerated() { bytes[start - 1 + index] = byte }
    }

    private mutating func digits(_ value: UInt64, at start: Int, length: Int) {
        DecimalDigits.write(value, into: &bytes, at: start - 1, width: length)
    }

    /// TC 90: processing BIN 3-8, processing date 9-13 (YYDDD).
    mutating func header(bin: UInt64, date: UInt64) {
        clear()
        text("90", at: 1, length: 2)
        digits(bin, at: 3, length: 6)
        digits(date, at: 9, length: 5)
    }

    /// The figures of a TC 91 or 92.
    struct TrailerFigures {
        var destinationAmount: UInt64 = 0
        var monetary = 0
        var tcrs = 0
        var transactions = 0
        var sourceAmount: UInt64 = 0
    }

    /// TC 91 (batch) or 92 (file): BIN 5-10, date 11-15, destination amount 16-30, monetary
    /// transactions 31-42, batch number 43-48, TCRs 49-60, transactions 75-83, source amount 102-116.
    mutating func trailer(code: String, bin: UInt64, date: UInt64, figures: TrailerFigures, batchNumber: Int) {
        clear()
        text(code, at: 1, length: 2)
        text("00", at: 3, length: 2)
        digits(bin, at: 5, length: 6)
        digits(date, at: 11, length: 5)
        digits(figures.destinationAmount, at: 16, length: 15)
        digits(UInt64(figures.monetary), at: 31, length: 12)
        digits(UInt64(batchNumber), at: 43, length: 6)
        digits(UInt64(figures.tcrs), at: 49, length: 12)
        digits(0, at: 61, length: 6)
        digits(UInt64(figures.transactions), at: 75, length: 9)
        digits(0, at: 84, length: 18)
        digits(figures.sourceAmount, at: 102, length: 15)
    }

    /// A draft's TCR 0. `arn` is 23 digits; amounts in the currency's minor units.
    mutating func tcr0(code: String, pan: UInt64, arn: [UInt8], amountMinor: UInt64, currency: Int, name: String,
                       purchase: UInt64, processing: UInt64) {
        clear()
        text(code, at: 1, length: 2)
        text("00", at: 3, length: 2)
        digits(pan, at: 5, length: 16)
        text("000000", at: 21, length: 6)
        for (index, byte) in arn.enumerated() { bytes[26 + index] = byte }
        digits(40_000_000 + pan % 1000, at: 50, length: 8)
        digits(purchase, at: 58, length: 4)
        digits(amountMinor, at: 62, length: 12)
        digits(UInt64(currency), at: 74, length: 3)
        digits(amountMinor, at: 77, length: 12)
        digits(UInt64(currency), at: 89, length: 3)
        text(name, at: 92, length: 25)
        text("SPRINGFIELD", at: 117, length: 13)
        text("US ", at: 130, length: 3)
        text("5999", at: 133, length: 4)
        digits(processing, at: 164, length: 4)
    }

    /// A transaction outside the totals (member settlement data, text): its TCR 0 only.
    mutating func other(code: String, pan: UInt64) {
        clear()
        text(code, at: 1, length: 2)
        text("00", at: 3, length: 2)
        text("SETTLE GENERATED MESSAGE", at: 5, length: 24)
        digits(pan % 1_000_000, at: 40, length: 6)
    }

    /// TCR 1: card acceptor id 81-95, terminal id 96-103.
    mutating func tcr1(code: String, cardAcceptor: String, terminal: UInt64) {
        clear()
        text(code, at: 1, length: 2)
        text("01", at: 3, length: 2)
        text(cardAcceptor, at: 81, length: 15)
        digits(terminal, at: 96, length: 8)
    }

    /// TCR 5: interchange fee 92-106 (6 decimals) and its sign 107; `nil` leaves both blank.
    mutating func tcr5(code: String, feeMicro: Int64?, authorized: UInt64) {
        clear()
        text(code, at: 1, length: 2)
        text("05", at: 3, length: 2)
        digits(authorized, at: 20, length: 12)
        if let feeMicro {
            digits(feeMicro.magnitude, at: 92, length: 15)
            text(feeMicro < 0 ? "C" : "D", at: 107, length: 1)
        }
    }

    /// TCR 7: chip data (transaction type 5-6, a cryptogram 49-64).
    mutating func tcr7(code: String, cryptogram: UInt64) {
        clear()
        text(code, at: 1, length: 2)
        text("07", at: 3, length: 2)
        text("00", at: 5, length: 2)
        digits(cryptogram, at: 49, length: 16)
    }

    /// Spoils the record as the fault asks (positions 1-based).
    mutating func put(_ value: String, at start: Int) {
        text(value, at: start, length: value.utf8.count)
    }
}
