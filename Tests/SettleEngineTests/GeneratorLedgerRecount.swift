import Foundation
import SettleEngine
import SettleGenerator
import Testing

/// An independent reading of the ledger files a generator run wrote, in any style: its own RFC 4180
/// reader (BOM, CRLF or LF, quotes, doubled quotes, line breaks inside quotes) that counts physical
/// lines, and the ledger spec's rules (columns by name, minor or decimal amounts, direction words or a
/// sign, references trimmed and padded back to the reference field's width).
struct LedgerReading {
    /// A row as the CSV reader sees it.
    struct RawRow {
        var file: Int
        /// 1-based physical line where the row starts (the header is line 1).
        var line: Int
        var fields: [String]
        /// Whether each field was quoted.
        var quoted: [Bool]
    }

    /// A readable ledger row.
    struct Row {
        var file: Int
        var line: Int
        /// 0-based over the data rows of all files, unreadable ones included.
        var rowIndex: Int
        var reference: String
        var merchant: String
        var currency: String
        var amount: Int64
        var isCredit: Bool
        var signedAmount: Int64 { isCredit ? -amount : amount }
    }

    struct Reject {
        var file: String
        var line: Int
        var reason: String
        var field: String
    }

    var rawRows: [RawRow] = []
    var rows: [Row] = []
    var rejects: [Reject] = []
    var rowsPerFile: [Int] = []
    var rejectsPerFile: [Int] = []
    var problems: [String] = []
    var files: [String]
    var rowCount: Int { rowsPerFile.reduce(0, +) }

    static let debitWords: Set = ["D", "DEBIT", "DR", "SALE"]
    static let creditWords: Set = ["C", "CREDIT", "CR", "REFUND"]

    init(directory: String, files: [String], style: LedgerStyle, layout: LayoutSpec) throws {
        let referenceWidth = layout.record(.detail)?.fields.first { $0.role == .reference }?.position.length ?? 23
        try self.init(directory: directory, files: files, style: style, referenceWidth: referenceWidth)
    }

    /// References of digits are padded back to `referenceWidth` (15 for a NACHA trace number).
    init(directory: String, files: [String], style: LedgerStyle, referenceWidth: Int) throws {
        self.files = files
        let names: (reference: String, merchant: String, currency: String, amount: String, direction: String?) =
            switch style {
            case .plain: ("arn", "merchant_id", "currency", "amount", "direction")
            case .messy: ("reference_number", "merchant", "ccy", "value", "dc")
            case .signed: ("reference_number", "merchant", "ccy", "value", nil)
            }
        var rowIndex = 0
        for (fileIndex, name) in files.enumerated() {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            if style == .plain {
                #expect(!bytes.starts(with: [0xEF, 0xBB, 0xBF]), "\(name): no BOM in a plain ledger")
            } else {
                #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "\(name): BOM")
                bytes.removeFirst(3)
            }
            let table = Self.parse(bytes, file: fileIndex, problems: &problems)
            guard let header = table.first else {
                problems.append("\(name): no header")
                continue
            }
            func column(_ name: String) -> Int? { header.fields.firstIndex(of: name) }
            guard let referenceColumn = column(names.reference), let merchantColumn = column(names.merchant),
                  let currencyColumn = column(names.currency), let amountColumn = column(names.amount) else {
                problems.append("\(name): header \(header.fields)")
                continue
            }
            let directionColumn = names.direction.flatMap(column)
            rowsPerFile.append(table.count - 1)
            rejectsPerFile.append(0)
            for raw in table.dropFirst() {
                defer { rowIndex += 1 }
                rawRows.append(raw)
                func reject(_ reason: String, _ field: String) {
                    rejects.append(Reject(file: name, line: raw.line, reason: reason, field: field))
                    rejectsPerFile[fileIndex] += 1
                }
                guard raw.fields.count >= header.fields.count else {
                    reject("bad_row", "")
                    continue
                }
                let trim = { (value: String) in value.trimmingCharacters(in: .whitespaces) }
                var reference = trim(raw.fields[referenceColumn])
                guard !reference.isEmpty else {
                    reject("blank_field", names.reference)
                    continue
                }
                if reference.count < referenceWidth && reference.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    reference = String(repeating: "0", count: referenceWidth - reference.count) + reference
                }
                let currency = trim(raw.fields[currencyColumn])
                let amountText = trim(raw.fields[amountColumn])
                let amount: (value: Int64, negative: Bool)? = style == .plain
                    ? Int64(amountText).flatMap { amountText.allSatisfy(\.isNumber) ? ($0, false) : nil }
                    : Self.decimal(amountText, minorUnits: currency == "JPY" ? 0 : 2, signed: style == .signed)
                guard let amount else {
                    reject("bad_amount", names.amount)
                    continue
                }
                var isCredit = amount.negative
                if let directionColumn {
                    let word = trim(raw.fields[directionColumn]).uppercased()
                    if Self.debitWords.contains(word) {
                        isCredit = false
                    } else if Self.creditWords.contains(word) {
                        isCredit = true
                    } else {
                        reject("bad_code", names.direction!)
                        continue
                    }
                }
                rows.append(Row(file: fileIndex, line: raw.line, rowIndex: rowIndex, reference: reference,
                                merchant: trim(raw.fields[merchantColumn]), currency: currency, amount: amount.value,
                                isCredit: isCredit))
            }
        }
    }

    /// `12.34`, `12` (12.00), `1234` for a currency without minor units; with `signed`, a leading `-`
    /// or `+`. Nil for anything else.
    static func decimal(_ text: String, minorUnits: Int, signed: Bool) -> (value: Int64, negative: Bool)? {
        var rest = Substring(text)
        var negative = false
        if signed, let first = rest.first, first == "-" || first == "+" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              var value = Int64(whole) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.count <= minorUnits,
              parts.count == 1 || !fraction.isEmpty else { return nil }
        fraction += String(repeating: "0", count: minorUnits - fraction.count)
        for _ in 0..<minorUnits { value *= 10 }
        return (value + (Int64(fraction) ?? 0), negative)
    }

    /// RFC 4180 rows with the physical line each starts on.
    static func parse(_ bytes: [UInt8], file: Int, problems: inout [String]) -> [RawRow] {
        var rows: [RawRow] = []
        var fields: [String] = []
        var quoted: [Bool] = []
        var field: [UInt8] = []
        var fieldQuoted = false
        var line = 1
        var rowLine = 1
        var index = 0
        var atFieldStart = true
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            quoted.append(fieldQuoted)
            field = []
            fieldQuoted = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if atFieldStart && byte == UInt8(ascii: "\"") {
                fieldQuoted = true
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if bytes[index] == 0x0A { line += 1 }
                    field.append(bytes[index])
                    index += 1
                }
                atFieldStart = false
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
                atFieldStart = true
            case 0x0D where index + 1 < bytes.count && bytes[index + 1] == 0x0A:
                break
            case 0x0A:
                endField()
                rows.append(RawRow(file: file, line: rowLine, fields: fields, quoted: quoted))
                fields = []
                quoted = []
                line += 1
                rowLine = line
                atFieldStart = true
            default:
                field.append(byte)
                atFieldStart = false
            }
            index += 1
        }
        if !fields.isEmpty || !field.isEmpty { problems.append("file \(file): the last row has no line break") }
        return rows
    }

    func rejectsCSV() -> String {
        "file,line,reason,field\n" + rejects.map { "\($0.file),\($0.line),\($0.reason),\($0.field)\n" }.joined()
    }
}

/// The reconciliation the engine must produce, recomputed from the settlement recount and the ledger
/// reading by the contract's rules, in the test's own plain code.
struct ReconciliationRecount {
    static let kinds = ["amount_mismatch", "currency_mismatch", "direction_mismatch", "duplicate_in_ledger",
                        "duplicate_in_settlement", "merchant_mismatch", "missing_in_ledger", "missing_in_settlement",
                        "settlement_rejected"]

    struct Sum {
        var count = 0
        var gross: Int64 = 0
        mutating func add(_ amount: Int64) {
            count += 1
            gross += amount
        }
    }

    struct MismatchRow {
        var kind: String
        var arn: String
        var settled: Recount.Occurrence?
        var record: Recount.Occurrence?
        var ledger: LedgerReading.Row?
    }

    /// A merchant and a currency, as reconciliation.csv's rows.
    struct FigureKey: Hashable {
        var merchant: String
        var currency: String
    }

    var rows: [MismatchRow] = []
    var countsByKind: [String: Int] = Dictionary(uniqueKeysWithValues: kinds.map { ($0, 0) })
    var settled = Sum()
    var ledgerSum = Sum()
    var matched = Sum()
    /// Merchant and currency → settled, ledger, matched sums and mismatch count.
    var figures: [FigureKey: (settled: Sum, ledger: Sum, matched: Sum, mismatches: Int)] = [:]
    let ledgerFiles: [String]
    let settlementFile: String

    init(settlement: Recount, ledger: LedgerReading) {
        self.init(occurrences: settlement.occurrences, order: settlement.occurrenceOrder, settlementFile: "settlement.dat",
                  ledger: ledger)
    }

    /// `occurrences`: reference → its records in file order; `order`: the references in file order.
    init(occurrences: [String: [Recount.Occurrence]], order settlementOrder: [String], settlementFile: String,
         ledger: LedgerReading) {
        ledgerFiles = ledger.files
        self.settlementFile = settlementFile
        var ledgerByReference: [String: [LedgerReading.Row]] = [:]
        var order = settlementOrder
        for row in ledger.rows {
            if ledgerByReference[row.reference] == nil && occurrences[row.reference] == nil { order.append(row.reference) }
            ledgerByReference[row.reference, default: []].append(row)
        }
        func key(_ merchant: String, _ currency: String) -> FigureKey { FigureKey(merchant: merchant, currency: currency) }
        func signed(_ occurrence: Recount.Occurrence) -> Int64 { occurrence.isCredit ? -occurrence.amount : occurrence.amount }
        for reference in order {
            let records = occurrences[reference] ?? []
            let valid = records.filter(\.valid)
            let rejected = records.filter { !$0.valid }
            let shown = ledgerByReference[reference] ?? []
            for record in valid {
                settled.add(signed(record))
                figures[key(record.merchant, record.currency), default: (Sum(), Sum(), Sum(), 0)].settled.add(signed(record))
            }
            for row in shown {
                ledgerSum.add(row.signedAmount)
                figures[key(row.merchant, row.currency), default: (Sum(), Sum(), Sum(), 0)].ledger.add(row.signedAmount)
            }
            let pairs = min(valid.count, shown.count)
            for index in 0..<pairs {
                let record = valid[index]
                let row = shown[index]
                let kind: String? = record.currency != row.currency ? "currency_mismatch"
                    : record.merchant != row.merchant ? "merchant_mismatch"
                    : record.isCredit != row.isCredit ? "direction_mismatch"
                    : record.amount != row.amount ? "amount_mismatch" : nil
                if let kind {
                    add(MismatchRow(kind: kind, arn: reference, settled: record, record: record, ledger: row))
                } else {
                    matched.add(signed(record))
                    figures[key(record.merchant, record.currency)]!.matched.add(signed(record))
                }
            }
            for record in valid.dropFirst(pairs) {
                add(MismatchRow(kind: shown.isEmpty ? "missing_in_ledger" : "duplicate_in_settlement", arn: reference,
                                settled: record, record: record, ledger: nil))
            }
            for (index, row) in shown.dropFirst(pairs).enumerated() {
                if index < rejected.count {
                    add(MismatchRow(kind: "settlement_rejected", arn: reference, settled: nil, record: rejected[index], ledger: row))
                } else {
                    add(MismatchRow(kind: valid.isEmpty ? "missing_in_settlement" : "duplicate_in_ledger", arn: reference,
                                    settled: nil, record: nil, ledger: row))
                }
            }
        }
    }

    private mutating func add(_ row: MismatchRow) {
        let owner = row.settled.map { FigureKey(merchant: $0.merchant, currency: $0.currency) }
            ?? FigureKey(merchant: row.ledger!.merchant, currency: row.ledger!.currency)
        figures[owner, default: (Sum(), Sum(), Sum(), 0)].mismatches += 1
        countsByKind[row.kind, default: 0] += 1
        rows.append(row)
    }

    func mismatchesCSV() -> String {
        let sorted = rows.sorted { a, b in
            if a.kind != b.kind { return Array(a.kind.utf8).lexicographicallyPrecedes(Array(b.kind.utf8)) }
            if a.arn != b.arn { return Array(a.arn.utf8).lexicographicallyPrecedes(Array(b.arn.utf8)) }
            if let first = a.record, let second = b.record { return first.byteOffset < second.byteOffset }
            if (a.record == nil) != (b.record == nil) { return a.record != nil }
            return (a.ledger!.file, a.ledger!.line) < (b.ledger!.file, b.ledger!.line)
        }
        var text = "kind,arn,merchant_id,currency,direction,settled_amount,ledger_merchant_id,ledger_currency,ledger_direction,"
            + "ledger_amount,difference,file,record_number,ledger_file,ledger_line\n"
        for row in sorted {
            var fields = [row.kind, row.arn]
            if let settled = row.settled {
                fields += [Self.csv(settled.merchant), settled.currency, settled.isCredit ? "credit" : "debit", String(settled.amount)]
            } else {
                fields += ["", "", "", ""]
            }
            if let ledger = row.ledger {
                fields += [Self.csv(ledger.merchant), ledger.currency, ledger.isCredit ? "credit" : "debit", String(ledger.amount)]
            } else {
                fields += ["", "", "", ""]
            }
            let settledAmount = row.settled.map { $0.isCredit ? -$0.amount : $0.amount } ?? 0
            fields.append(String(settledAmount - (row.ledger?.signedAmount ?? 0)))
            fields += [row.record == nil ? "" : settlementFile, row.record.map { String($0.recordNumber) } ?? ""]
            fields += [row.ledger.map { ledgerFiles[$0.file] } ?? "", row.ledger.map { String($0.line) } ?? ""]
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    func reconciliationCSV() -> String {
        var text = "merchant_id,currency,settled_count,settled_gross,ledger_count,ledger_gross,matched_count,matched_gross,"
            + "mismatch_count,difference\n"
        let keys = figures.keys.sorted { a, b in
            a.merchant != b.merchant ? Array(a.merchant.utf8).lexicographicallyPrecedes(Array(b.merchant.utf8))
                : Array(a.currency.utf8).lexicographicallyPrecedes(Array(b.currency.utf8))
        }
        for key in keys {
            let value = figures[key]!
            text += "\(Self.csv(key.merchant)),\(key.currency),\(value.settled.count),\(value.settled.gross),\(value.ledger.count),\(value.ledger.gross),"
                + "\(value.matched.count),\(value.matched.gross),\(value.mismatches),\(value.settled.gross - value.ledger.gross)\n"
        }
        return text
    }

    /// A merchant id as a CSV field: quoted when it holds a comma or a quote (NACHA keys such as
    /// `8497026141|APEX AUTO, INC`).
    static func csv(_ field: String) -> String {
        field.contains(",") || field.contains("\"") ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// Checks the ground truth a generator run wrote into `directory` against this recount:
    /// `ledger_rejects.csv`, `reconciliation.csv` and `mismatches.csv` (showing the first differing
    /// line), and the summary's `reconciliation` object.
    func expectGroundTruth(in directory: String, ledger: LedgerReading,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try GeneratorTests.text(directory, "expected/ledger_rejects.csv") == ledger.rejectsCSV(),
                sourceLocation: sourceLocation)
        #expect(try GeneratorTests.text(directory, "expected/reconciliation.csv") == reconciliationCSV(),
                sourceLocation: sourceLocation)
        let mismatches = try GeneratorTests.text(directory, "expected/mismatches.csv")
        let expected = mismatchesCSV()
        if mismatches != expected {
            let got = mismatches.split(separator: "\n")
            let want = expected.split(separator: "\n")
            let index = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            Issue.record("mismatches.csv: \(got.count) lines, recount \(want.count); first difference at line \(index + 1):\n  got      \(index < got.count ? got[index] : "")\n  recount  \(index < want.count ? want[index] : "")",
                         sourceLocation: sourceLocation)
        }

        let summary = try #require(try JSONSerialization.jsonObject(with: GeneratorTests.bytes(directory, "expected/summary.json"))
            as? [String: Any], sourceLocation: sourceLocation)
        let result = try #require(summary["reconciliation"] as? [String: Any], sourceLocation: sourceLocation)
        for (name, sum) in [("settled", settled), ("ledger", ledgerSum), ("matched", matched)] {
            let object = try #require(result[name] as? [String: Any], sourceLocation: sourceLocation)
            #expect(object["count"] as? Int == sum.count, "\(name)", sourceLocation: sourceLocation)
            #expect(object["gross"] as? String == String(sum.gross), "\(name)", sourceLocation: sourceLocation)
        }
        #expect(result["mismatches"] as? Int == rows.count, sourceLocation: sourceLocation)
        #expect(result["mismatches_by_kind"] as? [String: Int] == countsByKind, sourceLocation: sourceLocation)
        #expect(result["rows"] as? Int == figures.count, sourceLocation: sourceLocation)
        let fileFacts = try #require(result["ledger_files"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(fileFacts.map { $0["path"] as? String } == ledgerFiles, sourceLocation: sourceLocation)
        #expect(fileFacts.map { $0["rows"] as? Int } == ledger.rowsPerFile, sourceLocation: sourceLocation)
        #expect(fileFacts.map { $0["rejected"] as? Int } == ledger.rejectsPerFile, sourceLocation: sourceLocation)
        #expect(fileFacts.map { $0["valid"] as? Int } == zip(ledger.rowsPerFile, ledger.rejectsPerFile).map { $0 - $1 },
                sourceLocation: sourceLocation)
    }
}
