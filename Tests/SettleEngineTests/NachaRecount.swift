import Foundation

/// An independent reading of a generated NACHA file, for `NachaGeneratorTests`: plain Swift over
/// the lines, cut at the positions of /work/shared/realworld/README.md section 1, sharing no code
/// with the generator or the engine. It recomputes every batch control and the file control and the
/// per-merchant totals, and lists every way the file breaks the format in `problems`.
struct NachaRecount {
    struct Totals: Equatable {
        var debitCount = 0
        var debitAmount = 0
        var creditCount = 0
        var creditAmount = 0
    }

    private(set) var problems: [String] = []
    private(set) var lines = 0
    private(set) var fillerLines = 0
    private(set) var entries = 0
    private(set) var addenda = 0
    private(set) var batches = 0
    private(set) var batchesBySEC: [String: Int] = [:]
    private(set) var transactionCodes: [String: Int] = [:]
    private(set) var addendaTypes: [String: Int] = [:]
    private(set) var totals: [String: Totals] = [:]
    /// The file control's figures as declared, and as computed here.
    private(set) var declared: [String: Int] = [:]
    private(set) var computed: [String: Int] = [:]
    private(set) var lastSEC = ""
    private(set) var endsWithLF = false
    /// 98 and 99 addenda whose trace number (80-94) is not their entry's. Generated files have none;
    /// a third-party sample (moov-io's cor-example.ach) has one.
    private(set) var addendaTraceMismatches = 0
    /// Company identifications (41-50, untrimmed) of the batch headers.
    private(set) var companyIds: Set<String> = []
    /// Trace number (80-94) → its entries as the reconciliation sees them (merchant key, USD, cents,
    /// direction; record number and byte offset of the line), and the traces in file order.
    private(set) var occurrences: [String: [Recount.Occurrence]] = [:]
    private(set) var occurrenceOrder: [String] = []

    /// Codes of nacha.yaml, standard and IAT entries; ADV entries use 81-88.
    static let creditCodes: Set = ["21", "22", "23", "24", "31", "32", "33", "34", "41", "42", "43", "44", "51", "52", "53", "54"]
    static let debitCodes: Set = ["26", "27", "28", "29", "36", "37", "38", "39", "46", "47", "48", "49", "55", "56"]

    /// Positions are 1-based and inclusive, as in the README.
    static func field(_ line: [UInt8], _ start: Int, _ end: Int) -> String {
        String(decoding: line[(start - 1)...(end - 1)], as: UTF8.self)
    }

    static func trim(_ text: String) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    static func number(_ text: String) -> Int? {
        text.isEmpty || !text.allSatisfy({ $0.isASCII && $0.isNumber }) ? nil : Int(text)
    }

    init(file: [UInt8]) {
        // Some third-party files lack the last LF; generated files must have it (the tests check).
        endsWithLF = file.last == 0x0A
        if file.contains(0x0D) { problems.append("the file holds a CR") }
        var split = file.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if endsWithLF { split.removeLast() }
        lines = split.count
        for (index, line) in split.enumerated() where line.count != 94 {
            problems.append("line \(index + 1) is \(line.count) bytes")
        }
        if lines % 10 != 0 { problems.append("\(lines) lines, not a multiple of 10") }
        guard problems.isEmpty else { return }
        read(split)
    }

    /// Where the reading stands inside a batch.
    private struct Batch {
        var header: [UInt8]
        var sec: String
        var key: String
        var count = 0
        var hash = 0
        var debit = 0
        var credit = 0
    }

    private mutating func read(_ split: [[UInt8]]) {
        if split.first?.first != UInt8(ascii: "1") { problems.append("line 1 is not a file header") }
        var batch: Batch?
        var fileCount = 0, fileHash = 0, fileDebit = 0, fileCredit = 0
        var traces = Set<String>()
        var entryTrace = ""
        var expectedAddenda = 0
        var addendaSeen = 0
        var controlLine: Int?
        for (index, line) in split.enumerated().dropFirst() {
            let where_ = "line \(index + 1)"
            if let controlLine, index > controlLine {
                if line.allSatisfy({ $0 == UInt8(ascii: "9") }) { fillerLines += 1 } else { problems.append("\(where_) after the file control is not filler") }
                continue
            }
            let type = Self.field(line, 1, 1)
            if type != "7" && addendaSeen != expectedAddenda {
                problems.append("\(where_): the entry before has \(addendaSeen) addenda, its indicator or count says \(expectedAddenda)")
            }
            if type != "7" { (addendaSeen, expectedAddenda) = (0, 0) }
            switch type {
            case "5":
                if batch != nil { problems.append("\(where_): a batch header inside a batch") }
                let sec = Self.field(line, 51, 53)
                let id = Self.trim(Self.field(line, 41, 50))
                let name = sec == "IAT" ? "" : Self.trim(Self.field(line, 5, 20))
                batch = Batch(header: line, sec: sec, key: [id, name].filter { !$0.isEmpty }.joined(separator: "|"))
                batches += 1
                batchesBySEC[sec, default: 0] += 1
                lastSEC = sec
                companyIds.insert(Self.field(line, 41, 50))
                if Self.number(Self.field(line, 88, 94)) != batches { problems.append("\(where_): batch number") }
                if sec == "ADV" && Self.field(line, 2, 4) != "280" { problems.append("\(where_): ADV batch without SCC 280") }
            case "6":
                guard var current = batch else { problems.append("\(where_): an entry outside a batch"); continue }
                let code = Self.field(line, 2, 3)
                transactionCodes[code, default: 0] += 1
                let isADV = current.sec == "ADV"
                let amountText = isADV ? Self.field(line, 28, 39) : Self.field(line, 30, 39)
                guard let amount = Self.number(amountText), let rdfi = Self.number(Self.field(line, 4, 11)) else {
                    problems.append("\(where_): amount or RDFI not digits")
                    continue
                }
                let isCredit: Bool
                if isADV {
                    guard let value = Int(code), (81...88).contains(value) else { problems.append("\(where_): ADV code \(code)"); continue }
                    isCredit = value % 2 == 1
                } else if Self.creditCodes.contains(code) {
                    isCredit = true
                } else if Self.debitCodes.contains(code) {
                    isCredit = false
                } else {
                    problems.append("\(where_): transaction code \(code) is not in nacha.yaml")
                    continue
                }
                if code.last == "3" || code.last == "8" || code.last == "4" || code.last == "9", !isADV, amount != 0 {
                    problems.append("\(where_): prenote or zero-dollar entry with amount \(amount)")
                }
                if !Self.checkDigitHolds(Self.field(line, 4, 12)) { problems.append("\(where_): RDFI check digit") }
                entries += 1
                current.count += 1
                current.hash += rdfi
                if isCredit { current.credit += amount } else { current.debit += amount }
                var merchant = totals[current.key] ?? Totals()
                if isCredit {
                    merchant.creditCount += 1
                    merchant.creditAmount += amount
                } else {
                    merchant.debitCount += 1
                    merchant.debitAmount += amount
                }
                totals[current.key] = merchant
                batch = current
                entryTrace = Self.field(line, 80, 94)
                if !traces.insert(entryTrace).inserted { problems.append("\(where_): trace \(entryTrace) used twice") }
                if occurrences[entryTrace] == nil { occurrenceOrder.append(entryTrace) }
                occurrences[entryTrace, default: []].append(Recount.Occurrence(
                    recordNumber: index + 1, byteOffset: index * 95, valid: true, merchant: current.key, currency: "USD",
                    isCredit: isCredit, amount: Int64(amount)))
                if !isADV && Self.field(line, 80, 87) != Self.field(current.header, 80, 87) {
                    problems.append("\(where_): the trace does not start with the batch's ODFI")
                }
                let indicator = Self.field(line, 79, 79)
                addendaSeen = 0
                expectedAddenda = indicator == "1" ? 1 : 0
                if current.sec == "IAT" {
                    expectedAddenda = Self.number(Self.field(line, 13, 16)) ?? -1
                    if indicator != "1" || expectedAddenda < 7 { problems.append("\(where_): IAT entry with \(expectedAddenda) addenda") }
                }
            case "7":
                guard var current = batch else { problems.append("\(where_): an addenda outside a batch"); continue }
                let addendaType = Self.field(line, 2, 3)
                addendaTypes[addendaType, default: 0] += 1
                addenda += 1
                addendaSeen += 1
                current.count += 1
                batch = current
                switch addendaType {
                case "98", "99":
                    if Self.field(line, 80, 94) != entryTrace { addendaTraceMismatches += 1 }
                default:
                    if Self.field(line, 88, 94) != String(entryTrace.suffix(7)) { problems.append("\(where_): entry sequence") }
                }
                let allowed: Set = current.sec == "IAT" ? ["10", "11", "12", "13", "14", "15", "16", "17", "18"] : ["05", "98", "99"]
                if !allowed.contains(addendaType) { problems.append("\(where_): addenda \(addendaType) in a \(current.sec) batch") }
            case "8":
                guard let current = batch else { problems.append("\(where_): a batch control outside a batch"); continue }
                checkBatchControl(line, current, where_)
                fileCount += current.count
                fileHash += current.hash
                fileDebit += current.debit
                fileCredit += current.credit
                batch = nil
            case "9":
                if batch != nil { problems.append("\(where_): the file control inside a batch") }
                controlLine = index
                // After an ADV batch the file control has 20-digit totals (README: SEC ADV).
                let isADV = lastSEC == "ADV"
                declared = ["batch_count": Self.number(Self.field(line, 2, 7)) ?? -1,
                            "block_count": Self.number(Self.field(line, 8, 13)) ?? -1,
                            "entry_addenda_count": Self.number(Self.field(line, 14, 21)) ?? -1,
                            "entry_hash": Self.number(Self.field(line, 22, 31)) ?? -1,
                            "total_debit": Self.number(isADV ? Self.field(line, 32, 51) : Self.field(line, 32, 43)) ?? -1,
                            "total_credit": Self.number(isADV ? Self.field(line, 52, 71) : Self.field(line, 44, 55)) ?? -1]
                if Self.trim(isADV ? Self.field(line, 72, 94) : Self.field(line, 56, 94)) != "" {
                    problems.append("\(where_): file control reserved positions not blank")
                }
            default:
                problems.append("\(where_): record type \(type)")
            }
        }
        if controlLine == nil { problems.append("no file control") }
        computed = ["batch_count": batches, "block_count": (lines + 9) / 10, "entry_addenda_count": fileCount,
                    "entry_hash": fileHash % 10_000_000_000, "total_debit": fileDebit, "total_credit": fileCredit]
    }

    private mutating func checkBatchControl(_ line: [UInt8], _ batch: Batch, _ where_: String) {
        let isADV = batch.sec == "ADV"
        let header = batch.header
        // -1: not digits.
        let found: [String: Int] = [
            "count": Self.number(Self.field(line, 5, 10)) ?? -1,
            "hash": Self.number(Self.field(line, 11, 20)) ?? -1,
            "debit": Self.number(isADV ? Self.field(line, 21, 40) : Self.field(line, 21, 32)) ?? -1,
            "credit": Self.number(isADV ? Self.field(line, 41, 60) : Self.field(line, 33, 44)) ?? -1,
        ]
        let expected = ["count": batch.count, "hash": batch.hash % 10_000_000_000, "debit": batch.debit, "credit": batch.credit]
        for (name, value) in expected where found[name] != value {
            problems.append("\(where_): batch control \(name) \(found[name] ?? -1), computed \(value)")
        }
        if Self.field(line, 2, 4) != Self.field(header, 2, 4) { problems.append("\(where_): SCC differs from the header's") }
        if Self.field(line, 88, 94) != Self.field(header, 88, 94) { problems.append("\(where_): batch number") }
        if batch.sec == "IAT" {
            if Self.field(line, 45, 54) != String(repeating: " ", count: 10) { problems.append("\(where_): IAT control 45-54 not blank") }
        } else if !isADV && Self.field(line, 45, 54) != Self.field(header, 41, 50) {
            problems.append("\(where_): company id \(Self.field(line, 45, 54)) vs header \(Self.field(header, 41, 50))")
        }
        if batch.count > 0, Self.field(header, 2, 4) == "220", batch.debit > 0 { problems.append("\(where_): debits in a credits-only batch") }
        if batch.count > 0, Self.field(header, 2, 4) == "225", batch.credit > 0 { problems.append("\(where_): credits in a debits-only batch") }
    }

    /// ABA: 3, 7, 1 weights over the 9 digits sum to a multiple of 10.
    static func checkDigitHolds(_ routing: String) -> Bool {
        let digits = routing.compactMap { $0.wholeNumberValue }
        guard digits.count == 9 else { return false }
        let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
        return zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 10 == 0
    }

    /// totals.csv as the engine documents it, built from the recount.
    func totalsCSV() -> String {
        var text = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n"
        for key in totals.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let sums = totals[key]!
            let field = key.contains(",") || key.contains("\"") ? "\"" + key.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : key
            text += "\(field),USD,\(sums.debitCount),\(sums.debitAmount),\(sums.creditCount),\(sums.creditAmount),0,"
            text += "\(sums.debitAmount - sums.creditAmount)\n"
        }
        return text
    }
}
