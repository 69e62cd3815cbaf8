import Foundation
import Testing

/// A night of reconciliation with known truth, generated here from a fixed seed: which settled
/// record pairs with which ledger row, and by which pass, is decided by the generator (never read
/// back from Settle). Exact pairs, amounts off by a cent or two on the same ARN, ledger rows whose
/// ARN was mistyped (matched by merchant, currency, direction and amount), amounts far off, items
/// that never arrive on either side, and, for a ledger without ARNs, daily deposits (one ledger
/// row for a merchant's whole day).
struct MatchingScenario {
    typealias Detail = ReferenceRecords.Detail

    var details: [Detail] = []
    /// Ledger rows, in file order: `arn` empty when the ledger has no reference column.
    var ledger: [(arn: String, merchant: String, currency: String, amount: Int, credit: Bool)] = []
    /// matches.csv as it must be, rows per pass in pass order.
    var matches: [String: [[String]]] = [:]
    var counts: [String: Int] = [:]
    var mismatchKinds: [String: Int] = [:]

    static func arn(_ n: Int) -> String { "7440494404303693" + String(format: "%07d", n) }

    /// A deterministic generator (SplitMix64).
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// Amounts are unique across the night (`unique`), so a pass keyed on amount has one candidate.
    private var nextAmount = 10_000
    private mutating func unique(_ random: inout Random) -> Int {
        nextAmount += 1 + random.next(50)
        return nextAmount
    }

    private mutating func match(_ pass: String, settled: Int, ledgerRow: Int) {
        let s = details[settled], l = ledger[ledgerRow]
        let difference = (s.isCredit ? -s.amountMinor : s.amountMinor) - (l.credit ? -l.amount : l.amount)
        matches[pass, default: []].append([pass, s.arn, s.merchant, s.currency, s.isCredit ? "credit" : "debit", "\(s.amountMinor)",
                                            "\(l.amount)", "\(difference)", "settlement.dat", "\(settled + 2)", "ledger.csv",
                                            "\(ledgerRow + 2)", ""])
    }

    /// A ledger with ARNs: passes exact, near_amount (2 minor units or 5 basis points) and
    /// no_reference (merchant, currency, direction, amount).
    static func withReferences(seed: UInt64, size: Int) -> MatchingScenario {
        var scenario = MatchingScenario()
        var random = Random(state: seed)
        let merchants = ["MER01", "MER02", "MER03", "MER04"], currencies = ["EUR", "USD", "JPY"]
        var pending: [(settled: Int, ledger: Int, pass: String)] = []
        var ledgerOrder: [(arn: String, merchant: String, currency: String, amount: Int, credit: Bool)] = []
        for n in 0..<size {
            let merchant = merchants[random.next(merchants.count)], currency = currencies[random.next(currencies.count)]
            let credit = random.next(5) == 0
            let amount = scenario.unique(&random)
            let detail = Detail(arn: arn(n), merchant: merchant, currency: currency, amountMinor: amount, isCredit: credit, feeMinor: 7)
            let settledIndex = scenario.details.count
            scenario.details.append(detail)
            switch random.next(10) {
            case 0...4:
                ledgerOrder.append((arn(n), merchant, currency, amount, credit))
                scenario.counts["exact", default: 0] += 1
            case 5:
                let off = 1 + random.next(2)
                ledgerOrder.append((arn(n), merchant, currency, random.next(2) == 0 ? amount - off : amount + off, credit))
                pending.append((settledIndex, ledgerOrder.count - 1, "near_amount"))
            case 6:
                // The ledger mistyped the ARN (another number no settled record has).
                ledgerOrder.append((arn(900_000 + n), merchant, currency, amount, credit))
                pending.append((settledIndex, ledgerOrder.count - 1, "no_reference"))
            case 7:
                ledgerOrder.append((arn(n), merchant, currency, amount + 5_000, credit))
                scenario.mismatchKinds["amount_mismatch", default: 0] += 1
            case 8:
                scenario.mismatchKinds["missing_in_ledger", default: 0] += 1
            default:
                ledgerOrder.append((arn(800_000 + n), merchant, currency, scenario.unique(&random), credit))
                scenario.mismatchKinds["missing_in_settlement", default: 0] += 1
                scenario.mismatchKinds["missing_in_ledger", default: 0] += 1
            }
        }
        scenario.ledger = ledgerOrder
        for (settled, ledgerRow, pass) in pending { scenario.match(pass, settled: settled, ledgerRow: ledgerRow) }
        for pass in ["near_amount", "no_reference"] {
            scenario.matches[pass]?.sort { $0[1] < $1[1] }
            scenario.counts[pass] = scenario.matches[pass]?.count ?? 0
        }
        return scenario
    }

    /// A ledger without ARNs: passes no_reference, then daily_deposit (one_to_many on merchant and
    /// currency): deposit merchants post one row for all their debits of a currency.
    static func withoutReferences(seed: UInt64, size: Int) -> MatchingScenario {
        var scenario = MatchingScenario()
        var random = Random(state: seed)
        var deposits: [String: (members: [Int], gross: Int)] = [:]
        var pending: [(settled: Int, ledger: Int)] = []
        for n in 0..<size {
            let amount = scenario.unique(&random)
            let kind = random.next(10)
            let merchant = kind < 3 ? ["DEP01", "DEP02"][random.next(2)] : ["MER01", "MER02", "MER03"][random.next(3)]
            let currency = ["EUR", "USD"][random.next(2)]
            let settledIndex = scenario.details.count
            scenario.details.append(Detail(arn: arn(n), merchant: merchant, currency: currency, amountMinor: amount, isCredit: false, feeMinor: 3))
            if kind < 3 {
                deposits["\(merchant),\(currency)", default: ([], 0)].members.append(settledIndex)
                deposits["\(merchant),\(currency)"]!.gross += amount
            } else if kind < 9 {
                scenario.ledger.append(("", merchant, currency, amount, false))
                pending.append((settledIndex, scenario.ledger.count - 1))
            } else {
                // Never posted; in currency GBP nothing else is, so no deposit can absorb it.
                scenario.details[settledIndex].currency = "GBP"
                scenario.mismatchKinds["missing_in_ledger", default: 0] += 1
            }
        }
        for (settled, ledgerRow) in pending { scenario.match("no_reference", settled: settled, ledgerRow: ledgerRow) }
        for key in deposits.keys.sorted() {
            let group = deposits[key]!
            let parts = key.split(separator: ",").map(String.init)
            scenario.ledger.append(("", parts[0], parts[1], group.gross, false))
            for member in group.members { scenario.match("daily_deposit", settled: member, ledgerRow: scenario.ledger.count - 1) }
        }
        // A ledger row nobody settled, alone in its currency.
        scenario.ledger.append(("", "MER01", "CHF", 4242, false))
        scenario.mismatchKinds["missing_in_settlement", default: 0] += 1
        for pass in ["no_reference", "daily_deposit"] {
            scenario.matches[pass]?.sort { $0[1] < $1[1] }
            scenario.counts[pass] = scenario.matches[pass]?.count ?? 0
        }
        return scenario
    }

    var settlementBytes: [UInt8] {
        ReferenceRecords.header() + details.flatMap(ReferenceRecords.detail) + ReferenceRecords.trailer(for: details)
    }

    func ledgerText(references: Bool) -> String {
        var text = references ? "arn,merchant_id,currency,amount,direction\n" : "merchant_id,currency,amount,direction\n"
        for row in ledger {
            text += (references ? row.arn + "," : "") + "\(row.merchant),\(row.currency),\(row.amount),\(row.credit ? "C" : "D")\n"
        }
        return text
    }
}

@Suite("Matching passes (--match)")
struct MatchingPassesTests {
    static let withReferencesPasses = """
        passes:
          - name: exact
          - name: near_amount
            on: [reference, merchant, currency, direction]
            amount_tolerance: {minor_units: 2, basis_points: 5}
          - name: no_reference
            on: [merchant, currency, direction, amount]
        """
    static let withoutReferencesPasses = """
        passes:
          - name: no_reference
            on: [merchant, currency, direction, amount]
          - name: daily_deposit
            kind: one_to_many
            on: [merchant, currency]
        """
    static let noReferenceSpec = "without_reference: true\n"

    struct Outcome {
        var run: AggregateRun
        var files: [String: [UInt8]]
    }

    func run(_ scenario: MatchingScenario, passes: String, references: Bool, extra: [String]) async throws -> Outcome {
        let directory = try TemporaryDirectory(prefix: "match")
        try writeBytes(scenario.settlementBytes, to: directory.path + "/settlement.dat")
        try writeBytes(Array(scenario.ledgerText(references: references).utf8), to: directory.path + "/ledger.csv")
        try writeBytes(Array(passes.utf8), to: directory.path + "/match.yaml")
        var arguments = ["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--match", "match.yaml"]
        if !references {
            try writeBytes(Array(Self.noReferenceSpec.utf8), to: directory.path + "/spec.yaml")
            arguments += ["--ledger-spec", "spec.yaml"]
        }
        let run = try await AggregateRun.run(arguments + extra, out: "out", in: directory.path)
        var files: [String: [UInt8]] = [:]
        for name in ["totals.csv", "mismatches.csv", "matches.csv", "reconciliation.csv"] {
            files[name] = (try? Array(Data(contentsOf: URL(fileURLWithPath: run.outDirectory + "/" + name)))) ?? []
        }
        return Outcome(run: run, files: files)
    }

    func check(_ outcome: Outcome, _ scenario: MatchingScenario, passes: [String]) throws {
        let matches = try CSVTable(contentsOfFile: outcome.run.outDirectory + "/matches.csv")
        #expect(matches.header == ["pass", "arn", "merchant_id", "currency", "direction", "settled_amount", "ledger_amount", "difference",
                                   "file", "record_number", "ledger_file", "ledger_line", "age_days"])
        let expected = passes.flatMap { scenario.matches[$0] ?? [] }
        #expect(!expected.isEmpty && matches.rows.count == expected.count)
        for (row, truth) in zip(matches.rows, expected) where row != truth {
            Issue.record("matches.csv: \(row) != \(truth)")
            break
        }
        let summary = try outcome.run.summary()
        let reconciliation = summary["result"]?["reconciliation"]
        for pass in passes {
            #expect(reconciliation?["matched_by_pass"]?[pass]?.int == scenario.counts[pass] ?? 0, "pass \(pass)")
        }
        for (kind, count) in scenario.mismatchKinds {
            #expect(reconciliation?["mismatches_by_kind"]?[kind]?.int == count, "kind \(kind)")
        }
        let mismatches = try CSVTable(contentsOfFile: outcome.run.outDirectory + "/mismatches.csv")
        #expect(mismatches.rows.count == scenario.mismatchKinds.values.reduce(0, +))
        #expect(outcome.run.outcome.exitStatus == (scenario.mismatchKinds.isEmpty ? 0 : 1))
    }

    @Test("ledger with ARNs: exact, near amounts and mistyped ARNs matched as the generator says, for any workers and partitions",
          arguments: [["--workers", "1", "--buckets", "1"], ["--workers", "3", "--partition-size", "4K", "--buckets", "7", "--memory", "8M"]])
    func withReferences(extra: [String]) async throws {
        let scenario = MatchingScenario.withReferences(seed: 21, size: 3_000)
        let outcome = try await run(scenario, passes: Self.withReferencesPasses, references: true, extra: extra)
        try check(outcome, scenario, passes: ["exact", "near_amount", "no_reference"])
        let reference = try await run(scenario, passes: Self.withReferencesPasses, references: true, extra: ["--workers", "2", "--partition-size", "64K"])
        #expect(outcome.files == reference.files)
    }

    @Test("ledger without ARNs: one-to-one by amount, then daily deposits one-to-many",
          arguments: [["--workers", "1"], ["--workers", "3", "--partition-size", "4K", "--buckets", "5"]])
    func withoutReferences(extra: [String]) async throws {
        let scenario = MatchingScenario.withoutReferences(seed: 7, size: 2_000)
        let outcome = try await run(scenario, passes: Self.withoutReferencesPasses, references: false, extra: extra)
        try check(outcome, scenario, passes: ["no_reference", "daily_deposit"])
        let reconciliation = try CSVTable(contentsOfFile: outcome.run.outDirectory + "/reconciliation.csv")
        let gbp = reconciliation.rows.filter { $0[1] == "GBP" }
        #expect(gbp.allSatisfy { $0[6] == "0" && $0[8] == $0[2] }, "GBP records are never matched: \(gbp)")
    }

    @Test("a pass on reference over a ledger without references stops before work (exit 2)")
    func referenceNeeded() async throws {
        let scenario = MatchingScenario.withoutReferences(seed: 3, size: 20)
        let outcome = try await run(scenario, passes: Self.withReferencesPasses, references: false, extra: [])
        #expect(outcome.run.outcome.exitStatus == 2)
        #expect(outcome.run.outcome.stderr.contains("match pass 'exact' matches on reference, but the ledger spec has no reference column"))
        #expect(!FileManager.default.fileExists(atPath: outcome.run.outDirectory + "/totals.csv"))
    }

    @Test("a pass on dates over a ledger without a date column is refused before work, naming the pass and the column")
    func datesRefused() async throws {
        let scenario = MatchingScenario.withReferences(seed: 3, size: 20)
        let passes = "passes:\n  - name: window\n    on: [merchant, currency, amount]\n    date_window_days: 2\n"
        let outcome = try await run(scenario, passes: passes, references: true, extra: [])
        #expect(outcome.run.outcome.exitStatus == 2)
        #expect(outcome.run.outcome.stderr.contains("match pass 'window' matches on date, but the ledger has no date column: map columns.date"))
    }
}
