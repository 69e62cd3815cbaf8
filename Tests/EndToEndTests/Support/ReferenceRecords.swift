/// Hand-built records of the built-in `reference` layout (160 bytes + LF), for files the generator
/// cannot write: truncated, without header or trailer. Positions are the layout's, 1-based, copied
/// from datasets/layouts/reference.yaml by hand rather than read through the engine.
enum ReferenceRecords {
    static let recordLength = 160
    static let lineLength = 161

    /// A detail record's business content; everything else is filled with valid values.
    struct Detail {
        var arn: String
        var merchant: String
        var currency: String
        var amountMinor: Int
        var isCredit: Bool
        var feeMinor: Int
        /// `txn_date` (the layout's `date` role), YYYYMMDD.
        var txnDate = "20240107"
    }

    static func header(fileDate: String = "20240108", fileID: String = "HANDMADE01") -> [UInt8] {
        var record = blank()
        put("H", at: 1, length: 1, in: &record)
        put(fileDate, at: 2, length: 8, in: &record)
        put(fileID, at: 10, length: 10, in: &record)
        put("TESTNET", at: 20, length: 10, in: &record)
        return record + [0x0A]
    }

    static func detail(_ detail: Detail) -> [UInt8] {
        var record = blank()
        put("D", at: 1, length: 1, in: &record)
        put(detail.arn, at: 2, length: 23, in: &record)
        put(detail.merchant, at: 25, length: 15, in: &record)
        put("TERM0001", at: 40, length: 8, in: &record)
        put(detail.txnDate, at: 48, length: 8, in: &record)
        put("20240108", at: 56, length: 8, in: &record)
        put(detail.currency, at: 64, length: 3, in: &record)
        put(zeroPadded(detail.amountMinor, 12), at: 67, length: 12, in: &record)
        put(detail.isCredit ? "C" : "D", at: 79, length: 1, in: &record)
        put(zeroPadded(detail.feeMinor, 10), at: 80, length: 10, in: &record)
        put("5411", at: 90, length: 4, in: &record)
        put("A1B2C3", at: 94, length: 6, in: &record)
        put("05", at: 100, length: 2, in: &record)
        return record + [0x0A]
    }

    static func trailer(count: Int, debitMinor: Int, creditMinor: Int, feeMinor: Int) -> [UInt8] {
        var record = blank()
        put("T", at: 1, length: 1, in: &record)
        put(zeroPadded(count, 12), at: 2, length: 12, in: &record)
        put(zeroPadded(debitMinor, 18), at: 14, length: 18, in: &record)
        put(zeroPadded(creditMinor, 18), at: 32, length: 18, in: &record)
        put(zeroPadded(feeMinor, 18), at: 50, length: 18, in: &record)
        return record + [0x0A]
    }

    /// The trailer that declares exactly `details`.
    static func trailer(for details: [Detail]) -> [UInt8] {
        trailer(count: details.count,
                debitMinor: details.filter { !$0.isCredit }.reduce(0) { $0 + $1.amountMinor },
                creditMinor: details.filter(\.isCredit).reduce(0) { $0 + $1.amountMinor },
                feeMinor: details.reduce(0) { $0 + $1.feeMinor })
    }

    /// Three valid details: two merchants, one of them with a debit and a credit in EUR.
    static let sampleDetails = [
        Detail(arn: "74000000000000000000001", merchant: "MERHAND0001", currency: "EUR", amountMinor: 12_345, isCredit: false, feeMinor: 120),
        Detail(arn: "74000000000000000000002", merchant: "MERHAND0002", currency: "USD", amountMinor: 500, isCredit: false, feeMinor: 7),
        Detail(arn: "74000000000000000000003", merchant: "MERHAND0001", currency: "EUR", amountMinor: 2_000, isCredit: true, feeMinor: 0),
        Detail(arn: "74000000000000000000004", merchant: "MERHAND0002", currency: "USD", amountMinor: 9_999, isCredit: false, feeMinor: 99),
    ]

    /// totals.csv for `details`, computed here by hand: sorted by merchant id then currency.
    static func totalsCSV(_ details: [Detail]) -> String {
        var sums: [String: [Int]] = [:]
        for detail in details {
            let key = detail.merchant + "," + detail.currency
            var row = sums[key] ?? [0, 0, 0, 0, 0]
            if detail.isCredit {
                row[2] += 1
                row[3] += detail.amountMinor
            } else {
                row[0] += 1
                row[1] += detail.amountMinor
            }
            row[4] += detail.feeMinor
            sums[key] = row
        }
        var text = totalsHeaderLine + "\n"
        for key in sums.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let row = sums[key]!
            text += "\(key),\(row[0]),\(row[1]),\(row[2]),\(row[3]),\(row[4]),\(row[1] - row[3] - row[4])\n"
        }
        return text
    }

    private static func blank() -> [UInt8] { [UInt8](repeating: UInt8(ascii: " "), count: recordLength) }

    private static func put(_ text: String, at start: Int, length: Int, in record: inout [UInt8]) {
        let bytes = Array(text.utf8)
        precondition(bytes.count <= length, "'\(text)' does not fit in \(length) bytes")
        record.replaceSubrange((start - 1)..<(start - 1 + bytes.count), with: bytes)
    }

    private static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
