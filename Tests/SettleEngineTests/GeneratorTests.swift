import Foundation
import SettleEngine
import SettleGenerator
import Testing

/// Tests of `settle generate`: determinism, and an independent recount of what it wrote.
///
/// The recount below reads `settlement.dat` with deliberately plain Swift (split into lines, cut
/// substrings at the layout's positions, string dictionaries) and shares no code with the generator
/// or the engine's decoder, so a mistake in either shows up as a disagreement.
struct GeneratorTests {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let wideLayoutPath = packageRoot + "/datasets/layouts/wide.yaml"

    /// The reference layout with `terminator: none` (fixed blocks, no separators).
    static func fixedBlockLayout() throws -> LayoutSpec {
        let text = try #require(BuiltinLayouts.texts["reference"])
            .replacingOccurrences(of: "terminator: lf ", with: "terminator: none ")
        let spec = try LayoutParser.parse(yaml: text, source: "test:fixed")
        #expect(spec.terminator == .none)
        return spec
    }

    /// A layout with what the others lack: no header, no fee, no date, a digits merchant, a code
    /// currency, a short text ARN, one-byte direction codes that are not letters.
    static let minimalLayout = """
        name: minimal
        record_length: 60
        terminator: crlf
        record_type: {start: 60, length: 1}
        records:
          detail:
            code: "1"
            fields:
              - {name: merchant, start: 1, length: 10, type: digits, role: merchant}
              - {name: currency, start: 11, length: 3, type: code, role: currency, values: ["USD", "JPY", "EUR"]}
              - {name: amount, start: 14, length: 9, type: amount, role: amount}
              - {name: sign, start: 23, length: 1, type: code, role: direction, debit: "+", credit: "-"}
              - {name: ref, start: 30, length: 12, type: text, role: reference}
          trailer:
            code: "9"
            fields:
              - {name: count, start: 1, length: 8, type: digits, role: control_count}
              - {name: debits, start: 9, length: 15, type: amount, role: control_debit}
              - {name: credits, start: 24, length: 15, type: amount, role: control_credit}
        """

    static func layout(_ name: String) throws -> LayoutSpec {
        switch name {
        case "fixed": try fixedBlockLayout()
        case "minimal": try LayoutParser.parse(yaml: minimalLayout, source: "test:minimal")
        default: try LayoutLoader.load(name)
        }
    }

    static func temporaryDirectory(_ label: String) -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("settle-generator-\(label)-\(UUID().uuidString)").path
    }

    static func generate(layout: LayoutSpec, records: Int, merchants: Int, seed: UInt64, faults: Double,
                         label: String) throws -> (directory: String, report: GenerationReport) {
        let directory = temporaryDirectory(label)
        let options = try GeneratorOptions(records: records, merchants: merchants, seed: seed, faultRate: faults,
                                           layout: layout, outputDirectory: directory)
        return (directory, try Generator.run(options))
    }

    static let outputFiles = ["settlement.dat", "ledger.csv", "expected/totals.csv", "expected/rejects.csv",
                              "expected/ledger_faults.csv", "expected/summary.json", "expected/mismatches.csv",
                              "expected/reconciliation.csv", "expected/ledger_rejects.csv"]

    static func bytes(_ directory: String, _ file: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
    }

    static func text(_ directory: String, _ file: String) throws -> String {
        String(decoding: try bytes(directory, file), as: UTF8.self)
    }

    // MARK: - Determinism

    @Test(arguments: ["reference", wideLayoutPath])
    func sameSeedGivesIdenticalBytes(layoutName: String) throws {
        let layout = try Self.layout(layoutName)
        let first = try Self.generate(layout: layout, records: 5_000, merchants: 50, seed: 7, faults: 0.05, label: "a")
        let second = try Self.generate(layout: layout, records: 5_000, merchants: 50, seed: 7, faults: 0.05, label: "b")
        let other = try Self.generate(layout: layout, records: 5_000, merchants: 50, seed: 8, faults: 0.05, label: "c")
        defer { for run in [first, second, other] { try? FileManager.default.removeItem(atPath: run.directory) } }
        #expect(first.report.records == 5_000)
        for file in Self.outputFiles {
            let a = try Self.bytes(first.directory, file)
            #expect(!a.isEmpty, "\(file) is empty")
            #expect(a == (try Self.bytes(second.directory, file)), "\(file) differs between two runs with seed 7")
        }
        #expect(try Self.bytes(first.directory, "settlement.dat") != Self.bytes(other.directory, "settlement.dat"))
        #expect(try Self.bytes(first.directory, "ledger.csv") != Self.bytes(other.directory, "ledger.csv"))
        #expect(try Self.bytes(first.directory, "expected/totals.csv") != Self.bytes(other.directory, "expected/totals.csv"))
    }

    // MARK: - Independent recount

    @Test(arguments: [("reference", 0.0), ("reference", 0.05), (wideLayoutPath, 0.0), (wideLayoutPath, 0.05),
                      ("fixed", 0.05), ("minimal", 0.05)])
    func recountAgreesWithGroundTruth(layoutName: String, faults: Double) throws {
        let layout = try Self.layout(layoutName)
        let records = 10_000
        let run = try Self.generate(layout: layout, records: records, merchants: 300, seed: 42, faults: faults,
                                    label: "recount")
        defer { try? FileManager.default.removeItem(atPath: run.directory) }

        let recount = try Recount(layout: layout, file: Self.bytes(run.directory, "settlement.dat"))
        #expect(recount.problems.isEmpty, "invalid content outside the injected faults: \(recount.problems.prefix(5))")
        #expect(recount.detailCount == records)
        #expect(run.report.records == records)
        #expect(recount.sawHeader == (layout.record(.header) != nil))

        // expected/totals.csv and expected/rejects.csv, byte for byte.
        #expect(try Self.text(run.directory, "expected/totals.csv") == recount.totalsCSV())
        #expect(try Self.text(run.directory, "expected/rejects.csv") == recount.rejectsCSV())

        // The trailer: count and fees exact (faults never touch fees); amounts as meant, so at least
        // what the recount can read, and exactly that without faults.
        let trailer = try #require(recount.trailer)
        #expect(trailer["control_count"] == Int64(records))
        let hasFee = layout.record(.detail)!.fields.contains { $0.role == .fee }
        #expect(trailer["control_fee"] == (hasFee ? recount.allFee : nil))
        let controlDebit = try #require(trailer["control_debit"])
        let controlCredit = try #require(trailer["control_credit"])
        #expect(controlDebit >= recount.validDebit + recount.readableRejectedDebit)
        #expect(controlCredit >= recount.validCredit + recount.readableRejectedCredit)
        if faults == 0 {
            #expect(recount.rejects.isEmpty)
            #expect(controlDebit == recount.validDebit)
            #expect(controlCredit == recount.validCredit)
        } else {
            // About 5% of records get a fault, a quarter of them each kind, plus the partial record.
            #expect(recount.rejects.count > records * 5 / 100 * 3 / 4 / 2)
            #expect(recount.rejects.count < records * 5 / 100 * 3 / 4 * 2)
            #expect(recount.rejects.last?.reason == "short_record")
            let hasDate = layout.record(.detail)!.fields.contains { $0.type == .date }
            let reasons: Set = hasDate ? ["bad_amount", "bad_code", "bad_date", "short_record"] : ["bad_amount", "bad_code", "short_record"]
            #expect(Set(recount.rejects.map(\.reason)) == reasons)
            #expect(recount.duplicates > 0)
        }

        // summary.json
        let summary = try #require(try JSONSerialization.jsonObject(with: Self.bytes(run.directory, "expected/summary.json")) as? [String: Any])
        #expect(summary["records"] as? Int == records)
        #expect(summary["seed"] as? Int == 42)
        #expect(summary["merchants"] as? Int == 300)
        #expect(summary["rejected"] as? Int == recount.rejects.count)
        #expect(summary["valid"] as? Int == recount.validCount)
        #expect(summary["duplicates"] as? Int == recount.duplicates)
        #expect(summary["control_count"] as? Int == records)
        #expect(summary["control_debit"] as? String == String(controlDebit))
        #expect(summary["control_credit"] as? String == String(controlCredit))
        #expect(summary["control_fee"] as? String == String(recount.allFee))
        #expect(summary["valid_debit"] as? String == String(recount.validDebit))
        #expect(summary["valid_credit"] as? String == String(recount.validCredit))
        #expect(summary["valid_fee"] as? String == String(recount.validFee))
        let byReason = try #require(summary["rejected_by_reason"] as? [String: Int])
        for reason in ["bad_amount", "bad_code", "bad_date", "short_record"] {
            #expect(byReason[reason] == recount.rejects.filter { $0.reason == reason }.count, "\(reason)")
        }

        // ledger.csv against the settlement file.
        let ledger = try LedgerRecount(text: Self.text(run.directory, "ledger.csv"), settlement: recount)
        #expect(ledger.problems.isEmpty, "\(ledger.problems.prefix(5))")
        let ledgerSummary = try #require(summary["ledger"] as? [String: Any])
        #expect(ledgerSummary["rows"] as? Int == ledger.rows)
        #expect(ledgerSummary["rows_with_rejected_record"] as? Int == ledger.rowsWithRejectedRecord)
        #expect(ledgerSummary["style"] as? String == "plain")
        let faultRows = try Self.text(run.directory, "expected/ledger_faults.csv").split(separator: "\n").dropFirst()
        for (fault, summaryKey) in LedgerRecount.faults {
            let listed = faultRows.filter { $0.contains(",\(fault),") }.map { String($0.prefix { $0 != "," }) }
            let found = ledger.references(with: fault)
            #expect(Set(listed) == found, "\(fault)")
            #expect(listed.count == found.count, "\(fault) listed twice")
            #expect(ledgerSummary[summaryKey] as? Int == found.count, "\(summaryKey)")
            if faults > 0 && fault != "unreadable_row" {
                #expect(!found.isEmpty, "no \(fault) at fault rate \(faults)")
            }
        }
        if faults == 0 {
            #expect(ledger.rows == recount.distinctReferences.count)
            #expect(faultRows.isEmpty)
        }
    }

    // MARK: - Realistic traffic

    @Test func trafficLooksLikeCardTraffic() throws {
        let run = try Self.generate(layout: LayoutLoader.load("reference"), records: 20_000, merchants: 200, seed: 3,
                                    faults: 0, label: "traffic")
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let recount = try Recount(layout: LayoutLoader.load("reference"), file: Self.bytes(run.directory, "settlement.dat"))
        // A few merchants take most records.
        let perMerchant = recount.recordsPerMerchant.values.sorted(by: >)
        let busiest = perMerchant.prefix(40).reduce(0, +)
        #expect(Double(busiest) / 20_000 > 0.6, "the busiest 20% of merchants have only \(busiest) of 20000 records")
        // Several currencies, merchants mostly in one.
        #expect(Set(recount.amountsByCurrency.keys).isSuperset(of: ["USD", "EUR", "GBP", "JPY"]))
        // Whole yen: JPY amounts are smaller numbers; all amounts in the realistic range.
        let yen = try #require(recount.amountsByCurrency["JPY"])
        #expect(yen.allSatisfy { (100...50_000).contains($0) })
        #expect(recount.amountsByCurrency.values.joined().allSatisfy { (100...500_000).contains($0) })
        // About 5% refunds; some zero fees.
        let credits = Double(recount.creditCount) / 20_000
        #expect(credits > 0.03 && credits < 0.07, "credit share \(credits)")
        #expect(recount.zeroFeeCount > 0)
        // ARNs unique.
        #expect(recount.distinctReferences.count == 20_000)
    }

    @Test func optionsAreChecked() throws {
        let layout = try LayoutLoader.load("reference")
        for (records, merchants, faults) in [(0, 10, 0.0), (10, 0, 0.0), (10, 10, -0.1), (10, 10, 0.9), (10, 10, Double.nan)] {
            #expect(throws: SettleError.self) {
                _ = try GeneratorOptions(records: records, merchants: merchants, seed: 1, faultRate: faults,
                                         layout: layout, outputDirectory: "/tmp/x")
            }
        }
        #expect(GeneratorOptions.problem(records: 10, merchants: 10, seed: 1, faultRate: 0.01) == nil)
        #expect(GeneratorOptions.problem(records: 10, merchants: 10, seed: UInt64.max, faultRate: 0.01) != nil)
    }
}

/// An independent reading of a generated settlement file, written as plainly as possible.
struct Recount {
    struct Reject: Equatable {
        var recordNumber: Int
        var byteOffset: Int
        var reason: String
        var field: String
    }

    struct Sums {
        var debitCount: Int64 = 0, debitAmount: Int64 = 0, creditCount: Int64 = 0, creditAmount: Int64 = 0, fee: Int64 = 0
    }

    let layout: LayoutSpec
    var sawHeader = false
    var detailCount = 0
    var validCount = 0
    var duplicates = 0
    var rejects: [Reject] = []
    var problems: [String] = []
    var totals: [String: Sums] = [:]
    var trailer: [String: Int64]?
    var validDebit: Int64 = 0, validCredit: Int64 = 0, validFee: Int64 = 0
    var allFee: Int64 = 0
    var readableRejectedDebit: Int64 = 0, readableRejectedCredit: Int64 = 0
    /// Reference (ARN) → (amount, valid) of the settled records, duplicates once.
    var settled: [String: (amount: Int64, valid: Bool)] = [:]
    /// One detail record as the reconciliation sees it: valid, or rejected with a readable reference.
    struct Occurrence {
        var recordNumber: Int
        var byteOffset: Int
        var valid: Bool
        var merchant: String
        var currency: String
        var isCredit: Bool
        var amount: Int64
    }
    /// Reference → its records in file order (valid ones and rejected ones whose record type and
    /// reference are still readable, the partial record after the trailer included).
    var occurrences: [String: [Occurrence]] = [:]
    /// References in order of first appearance, for a deterministic walk.
    var occurrenceOrder: [String] = []
    var distinctReferences: Set<String> { Set(settled.keys) }
    var recordsPerMerchant: [String: Int] = [:]
    var amountsByCurrency: [String: [Int64]] = [:]
    var creditCount = 0
    var zeroFeeCount = 0

    init(layout: LayoutSpec, file: Data) throws {
        self.layout = layout
        let bytes = [UInt8](file)
        var records: [(bytes: [UInt8], offset: Int)] = []
        switch layout.terminator {
        case .none:
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + layout.recordLength, bytes.count)
                records.append((Array(bytes[offset..<end]), offset))
                offset = end
            }
        case .lf, .crlf, .auto:
            let terminator: [UInt8] = layout.terminator == .crlf ? [13, 10] : [10]
            var offset = 0
            var start = 0
            var index = 0
            while index < bytes.count {
                if bytes[index] == 10 {
                    var line = Array(bytes[start..<index])
                    if terminator.count == 2 {
                        if line.last == 13 { line.removeLast() } else { problems.append("line at \(start) ends without CR") }
                    }
                    records.append((line, offset))
                    offset = index + 1
                    start = index + 1
                }
                index += 1
            }
            if start != bytes.count { problems.append("the file does not end with a terminator") }
        }
        var previousDetail: [UInt8]?
        for (index, record) in records.enumerated() {
            try read(record.bytes, number: index + 1, offset: record.offset, previousDetail: &previousDetail)
        }
    }

    func string(_ record: [UInt8], _ field: FieldSpec) -> String {
        String(decoding: record[field.position.offset..<(field.position.offset + field.position.length)], as: UTF8.self)
    }

    static func isDate(_ text: String) -> Bool {
        guard text.count == 8, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
              let year = Int(text.prefix(4)), let month = Int(text.dropFirst(4).prefix(2)), let day = Int(text.suffix(2))
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && day >= 1 && day <= days[month - 1]
    }

    static func isDigits(_ text: String) -> Bool { !text.isEmpty && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }

    /// Problems of a field by its type (what the engine would reject).
    static func typeProblem(_ value: String, _ field: FieldSpec) -> String? {
        if field.optional && value.allSatisfy({ $0 == " " }) { return nil }
        switch field.type {
        case .digits, .amount: return isDigits(value) ? nil : "not digits"
        case .date: return isDate(value) ? nil : "not a date"
        case .signedAmount, .signedTrailing: return "the generator writes no signed amounts"
        case .code: return field.acceptedCodes.contains(value) ? nil : "unknown code"
        case .text:
            if value.allSatisfy({ $0 == " " }) { return "blank" }
            return value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? nil : "not printable"
        }
    }

    mutating func addOccurrence(_ reference: String, _ occurrence: Occurrence) {
        if occurrences[reference] == nil { occurrenceOrder.append(reference) }
        occurrences[reference, default: []].append(occurrence)
    }

    /// The reference of a rejected record, if it still has the detail record type and a valid reference.
    func readableReference(_ record: [UInt8]) -> String? {
        guard let detail = layout.record(.detail), let field = detail.fields.first(where: { $0.role == .reference }) else { return nil }
        let codeEnd = layout.recordType.map { $0.offset + $0.length }.max() ?? 0
        guard record.count >= codeEnd, record.count >= field.position.offset + field.position.length else { return nil }
        let code = String(decoding: layout.recordType.flatMap { record[$0.offset..<($0.offset + $0.length)] }, as: UTF8.self)
        guard code == detail.code else { return nil }
        let value = string(record, field)
        guard Self.typeProblem(value, field) == nil else { return nil }
        return value.trimmingCharacters(in: .whitespaces)
    }

    mutating func read(_ record: [UInt8], number: Int, offset: Int, previousDetail: inout [UInt8]?) throws {
        if record.count != layout.recordLength {
            rejects.append(Reject(recordNumber: number, byteOffset: offset, reason: "short_record", field: ""))
            if let reference = readableReference(record) {
                addOccurrence(reference, Occurrence(recordNumber: number, byteOffset: offset, valid: false, merchant: "",
                                                    currency: "", isCredit: false, amount: 0))
            }
            return
        }
        let code = String(decoding: layout.recordType.flatMap { record[$0.offset..<($0.offset + $0.length)] }, as: UTF8.self)
        guard let spec = layout.records.first(where: { $0.code == code }) else {
            problems.append("record \(number): unknown type '\(code)'")
            return
        }
        // Bytes outside every field and the record type are spaces.
        var covered = [Bool](repeating: false, count: record.count)
        for position in layout.recordType + spec.fields.map(\.position) {
            for index in position.offset..<(position.offset + position.length) { covered[index] = true }
        }
        for index in record.indices where !covered[index] && record[index] != 32 {
            problems.append("record \(number): byte \(index) outside the fields is \(record[index])")
        }
        var values: [String: String] = [:]
        for field in spec.fields { values[field.name] = string(record, field) }
        func role(_ role: FieldRole) -> FieldSpec? { spec.fields.first { $0.role == role } }

        switch spec.kind {
        case .header:
            if number != 1 { problems.append("header at record \(number)") }
            sawHeader = true
            for field in spec.fields {
                if let problem = Self.typeProblem(values[field.name]!, field) { problems.append("header \(field.name): \(problem)") }
            }
        case .trailer:
            var figures: [String: Int64] = [:]
            for field in spec.fields {
                let value = values[field.name]!
                if let problem = Self.typeProblem(value, field) { problems.append("trailer \(field.name): \(problem)") }
                if let role = field.role { figures[role.rawValue] = Int64(value) }
            }
            trailer = figures
        case .detail:
            detailCount += 1
            let isDuplicate = previousDetail == record
            if isDuplicate { duplicates += 1 }
            previousDetail = record
            let amountField = try #require(role(.amount))
            let directionField = try #require(role(.direction))
            let firstDate = spec.fields.first { $0.type == .date }
            var faults: [(reason: String, field: String)] = []
            for field in spec.fields {
                guard let problem = Self.typeProblem(values[field.name]!, field) else { continue }
                if field.name == amountField.name && values[field.name]!.contains(where: \.isLetter) {
                    faults.append(("bad_amount", field.name))
                } else if field.name == directionField.name {
                    faults.append(("bad_code", field.name))
                } else if field.name == firstDate?.name {
                    faults.append(("bad_date", field.name))
                } else {
                    problems.append("record \(number): \(field.name) '\(values[field.name]!)': \(problem)")
                }
            }
            if faults.count > 1 { problems.append("record \(number) has \(faults.count) faults") }
            let fee = role(.fee).flatMap { Int64(values[$0.name]!) } ?? 0
            allFee += fee
            let amount = Int64(values[amountField.name]!)
            let direction = values[directionField.name]!
            let isCredit = direction == directionField.credit
            let merchant = String(values[role(.merchant)!.name]!.reversed().drop { $0 == " " }.reversed())
            let currency = String(values[role(.currency)!.name]!.reversed().drop { $0 == " " }.reversed())
            let reference = role(.reference).map { values[$0.name]! } ?? ""
            if let fault = faults.first {
                rejects.append(Reject(recordNumber: number, byteOffset: offset, reason: fault.reason, field: fault.field))
                if let amount, fault.reason != "bad_code" {
                    if isCredit { readableRejectedCredit += amount } else { readableRejectedDebit += amount }
                }
                if !isDuplicate { settled[reference] = (amount ?? -1, false) }
                if let readable = readableReference(record) {
                    addOccurrence(readable, Occurrence(recordNumber: number, byteOffset: offset, valid: false, merchant: "",
                                                       currency: "", isCredit: false, amount: 0))
                }
                return
            }
            let value = try #require(amount)
            validCount += 1
            var sums = totals["\(merchant),\(currency)", default: Sums()]
            if isCredit {
                sums.creditCount += 1
                sums.creditAmount += value
                validCredit += value
                creditCount += 1
            } else {
                sums.debitCount += 1
                sums.debitAmount += value
                validDebit += value
            }
            sums.fee += fee
            validFee += fee
            if fee == 0 { zeroFeeCount += 1 }
            totals["\(merchant),\(currency)"] = sums
            recordsPerMerchant[merchant, default: 0] += 1
            amountsByCurrency[currency, default: []].append(value)
            if !isDuplicate {
                if settled[reference] != nil { problems.append("record \(number): ARN \(reference) seen before") }
                settled[reference] = (value, true)
            }
            addOccurrence(reference.trimmingCharacters(in: .whitespaces),
                          Occurrence(recordNumber: number, byteOffset: offset, valid: true, merchant: merchant, currency: currency,
                                     isCredit: isCredit, amount: value))
        }
    }

    func totalsCSV() -> String {
        var text = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n"
        for key in totals.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let sums = totals[key]!
            let net = sums.debitAmount - sums.creditAmount - sums.fee
            text += "\(key),\(sums.debitCount),\(sums.debitAmount),\(sums.creditCount),\(sums.creditAmount),\(sums.fee),\(net)\n"
        }
        return text
    }

    func rejectsCSV() -> String {
        "record_number,byte_offset,reason,field\n"
            + rejects.map { "\($0.recordNumber),\($0.byteOffset),\($0.reason),\($0.field)\n" }.joined()
    }
}

/// An independent reading of a plain `ledger.csv`, joined with the settlement file on the ARN, that
/// names the difference the generator must have meant for each reference.
struct LedgerRecount {
    /// Fault codes of `expected/ledger_faults.csv` and their keys in `summary.json`'s `ledger`.
    static let faults = [
        ("amount_difference", "amount_differences"), ("missing_in_ledger", "missing_in_ledger"),
        ("never_settled", "never_settled"), ("currency_difference", "currency_differences"),
        ("merchant_difference", "merchant_differences"), ("direction_difference", "direction_differences"),
        ("duplicate_row", "duplicate_rows"), ("duplicate_with_difference", "duplicates_with_difference"),
        ("unreadable_row", "unreadable_rows"),
    ]

    struct Row: Equatable {
        var merchant: String
        var currency: String
        var amount: Int64
        var isCredit: Bool
    }

    var rows = 0
    var rowsWithRejectedRecord = 0
    var problems: [String] = []
    private var byFault: [String: Set<String>] = [:]

    func references(with fault: String) -> Set<String> { byFault[fault] ?? [] }

    init(text: String, settlement: Recount) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "arn,merchant_id,currency,amount,direction")
        #expect(lines.last == "")
        var ledger: [String: [Row]] = [:]
        var order: [String] = []
        for line in lines.dropFirst().dropLast() {
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            try #require(columns.count == 5, "ledger row '\(line)'")
            let amount = try #require(Int64(columns[3]))
            #expect(["D", "C"].contains(columns[4]))
            if ledger[columns[0]] == nil { order.append(columns[0]) }
            ledger[columns[0], default: []].append(Row(merchant: columns[1], currency: columns[2], amount: amount, isCredit: columns[4] == "C"))
            rows += 1
        }
        for arn in order {
            let shown = ledger[arn]!
            guard let records = settlement.occurrences[arn] else {
                if shown.count != 1 { problems.append("\(arn): never settled, \(shown.count) rows") }
                byFault["never_settled", default: []].insert(arn)
                continue
            }
            guard let valid = records.first(where: \.valid) else {
                rowsWithRejectedRecord += shown.count
                continue
            }
            let settled = Row(merchant: valid.merchant, currency: valid.currency, amount: valid.amount, isCredit: valid.isCredit)
            var fault: String?
            switch shown.count {
            case 1:
                let row = shown[0]
                if row.currency != settled.currency {
                    fault = "currency_difference"
                } else if row.merchant != settled.merchant {
                    fault = "merchant_difference"
                } else if row.isCredit != settled.isCredit {
                    fault = row.amount == settled.amount ? "direction_difference" : nil
                } else if row.amount != settled.amount {
                    fault = "amount_difference"
                }
                if row != settled && fault == nil { problems.append("\(arn): unexpected difference \(row) vs \(settled)") }
            case 2:
                var firstWithSettledAmount = shown[0]
                firstWithSettledAmount.amount = settled.amount
                if shown[0] == settled && shown[1] == settled {
                    fault = "duplicate_row"
                } else if shown[1] == settled && firstWithSettledAmount == settled {
                    fault = "duplicate_with_difference"
                } else {
                    problems.append("\(arn): two rows \(shown) for \(settled)")
                }
            default:
                problems.append("\(arn): \(shown.count) rows")
            }
            if let fault { byFault[fault, default: []].insert(arn) }
        }
        for arn in settlement.occurrenceOrder where ledger[arn] == nil && settlement.occurrences[arn]!.contains(where: \.valid) {
            byFault["missing_in_ledger", default: []].insert(arn)
        }
    }
}
