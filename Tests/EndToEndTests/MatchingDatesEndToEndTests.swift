import Foundation
import Testing

/// A night with dates on both sides and known truth, from a fixed seed: every settled record has a
/// transaction date (the reference layout's `txn_date`, its `date` role) and every ledger row a
/// booking date, with timing differences decided here: rows booked up to 2 days early or late
/// (matched within `date_window_days: 2`), rows 3 or 4 days off (never matched), twins (the same
/// merchant, currency and amount ten days apart, their ledger rows in the other order, so only the
/// window pairs them right), and daily deposits (one row per deposit merchant, currency and day;
/// some posted a day late, which `on: [..., date]` does not match). All amounts are debits in
/// 1,000,000-1,100,000 minor units, so a group of two or more never sums to one row's amount.
struct DatedScenario {
    struct Row {
        var arn: String
        var merchant: String
        var currency: String
        var amount: Int
        var day: Int
        /// The transaction (index in `details`) this row belongs to, nil for a row nobody settled.
        var owner: Int?
    }

    /// Pass order: `no_reference` then `daily_deposit` (a ledger without ARNs), or the issue's example
    /// file (exact, near_amount, daily_deposit, no_reference) over a ledger with ARNs.
    var references: Bool
    var details: [ReferenceRecords.Detail] = []
    var days: [Int] = []
    var ledger: [Row] = []
    var matches: [String: [[String]]] = [:]
    var counts: [String: Int] = [:]
    var mismatchKinds: [String: Int] = [:]

    static let firstDay = 19_730    // 2024-01-08
    static func iso(_ day: Int) -> String {
        let date = Date(timeIntervalSince1970: Double(day) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
    static func compact(_ day: Int) -> String { iso(day).replacingOccurrences(of: "-", with: "") }
    static func european(_ day: Int) -> String {
        let parts = iso(day).split(separator: "-")
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    static func generate(seed: UInt64, size: Int, references: Bool) -> DatedScenario {
        var scenario = DatedScenario(references: references)
        var random = MatchingScenario.Random(state: seed)
        var amount = 1_000_000
        func next() -> Int {
            amount += 1 + random.next(40)
            return amount
        }
        let merchants = ["MER01", "MER02", "MER03"], currencies = ["EUR", "USD"]
        var deposits: [String: [Int]] = [:]
        // (settled, row, pass) pairs decided as rows are made; rows are placed in `order` (row ids).
        var rows: [Row] = []
        var order: [Int] = []
        var pairs: [(settled: Int, row: Int, pass: String)] = []
        func settle(_ arn: String, _ merchant: String, _ currency: String, _ amount: Int, _ day: Int) -> Int {
            scenario.details.append(ReferenceRecords.Detail(arn: arn, merchant: merchant, currency: currency, amountMinor: amount,
                                                            isCredit: false, feeMinor: 4, txnDate: compact(day)))
            scenario.days.append(day)
            return scenario.details.count - 1
        }
        func row(_ arn: String, _ merchant: String, _ currency: String, _ amount: Int, _ day: Int, owner: Int?, before: Int? = nil) -> Int {
            rows.append(Row(arn: arn, merchant: merchant, currency: currency, amount: amount, day: day, owner: owner))
            if let before, let at = order.firstIndex(of: before) { order.insert(rows.count - 1, at: at) } else { order.append(rows.count - 1) }
            return rows.count - 1
        }
        let offsets = [-2, -1, 1, 2], far = [-4, -3, 3, 4]
        for n in 0..<size {
            let arn = MatchingScenario.arn(n), mistyped = MatchingScenario.arn(900_000 + n)
            let merchant = merchants[random.next(merchants.count)], currency = currencies[random.next(currencies.count)]
            let day = firstDay + random.next(5)
            var kind = random.next(10)
            if !references && kind < 3 { kind = 3 }
            switch kind {
            case 0, 1:
                let s = settle(arn, merchant, currency, next(), day)
                _ = row(arn, merchant, currency, scenario.details[s].amountMinor, day + offsets[random.next(4)], owner: s)
                scenario.counts["exact", default: 0] += 1
            case 2:
                let s = settle(arn, merchant, currency, next(), day)
                let off = 1 + random.next(2)
                let r = row(arn, merchant, currency, scenario.details[s].amountMinor + off, day + far[random.next(4)], owner: s)
                pairs.append((s, r, "near_amount"))
            case 3, 4:
                let value = next()
                let s = settle(arn, merchant, currency, value, day)
                let r = row(references ? mistyped : "", merchant, currency, value, day + offsets[random.next(4)], owner: s)
                pairs.append((s, r, "no_reference"))
                if random.next(3) == 0 {
                    // A twin ten days on: same key, its ledger row first in the file.
                    let twinDay = day + 10 + random.next(2)
                    let t = settle(MatchingScenario.arn(500_000 + n), merchant, currency, value, twinDay)
                    let tr = row(references ? MatchingScenario.arn(700_000 + n) : "", merchant, currency, value,
                                 twinDay + offsets[random.next(4)], owner: t, before: r)
                    pairs.append((t, tr, "no_reference"))
                }
            case 5:
                let value = next()
                let s = settle(arn, merchant, currency, value, day)
                _ = row(references ? mistyped : "", merchant, currency, value, day + far[random.next(4)], owner: s)
                scenario.mismatchKinds["missing_in_ledger", default: 0] += 1
                scenario.mismatchKinds["missing_in_settlement", default: 0] += 1
            case 6, 7:
                let depositMerchant = ["DEP01", "DEP02"][random.next(2)]
                let s = settle(arn, depositMerchant, currency, next(), firstDay + random.next(3))
                deposits["\(depositMerchant),\(currency),\(scenario.days[s])", default: []].append(s)
            case 8:
                _ = settle(arn, merchant, currency, next(), day)
                scenario.mismatchKinds["missing_in_ledger", default: 0] += 1
            default:
                _ = row(references ? MatchingScenario.arn(800_000 + n) : "", merchant, currency, next(), day, owner: nil)
                scenario.mismatchKinds["missing_in_settlement", default: 0] += 1
            }
        }
        var depositRows: [(members: [Int], row: Int, late: Bool)] = []
        for (index, key) in deposits.keys.sorted().enumerated() {
            let members = deposits[key]!
            let parts = key.split(separator: ",").map(String.init)
            let late = members.count >= 2 && random.next(4) == 0
            let gross = members.reduce(0) { $0 + scenario.details[$1].amountMinor }
            let r = row(references ? "9" + String(format: "%022d", index) : "", parts[0], parts[1], gross, Int(parts[2])! + (late ? 1 : 0),
                        owner: nil)
            depositRows.append((members, r, late))
        }
        for deposit in depositRows {
            if deposit.late {
                scenario.mismatchKinds["missing_in_ledger", default: 0] += deposit.members.count
                scenario.mismatchKinds["missing_in_settlement", default: 0] += 1
            } else if deposit.members.count == 1 && !references {
                // One member: the same merchant, currency, direction, amount and day as its row, so
                // no_reference (which runs first here) takes it.
                pairs.append((deposit.members[0], deposit.row, "no_reference"))
            } else {
                for member in deposit.members { pairs.append((member, deposit.row, "daily_deposit")) }
            }
        }
        scenario.ledger = order.map { rows[$0] }
        let line = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0 + 2) })
        for (settled, rowID, pass) in pairs {
            let s = scenario.details[settled], l = rows[rowID]
            scenario.matches[pass, default: []].append([pass, s.arn, s.merchant, s.currency, "debit", "\(s.amountMinor)", "\(l.amount)",
                                                        "\(s.amountMinor - l.amount)", "settlement.dat", "\(settled + 2)", "ledger.csv",
                                                        "\(line[rowID]!)", ""])
        }
        for pass in scenario.matches.keys {
            scenario.matches[pass]!.sort { $0[1] < $1[1] }
            scenario.counts[pass] = scenario.matches[pass]!.count
        }
        return scenario
    }

    var settlementBytes: [UInt8] {
        ReferenceRecords.header() + details.flatMap(ReferenceRecords.detail) + ReferenceRecords.trailer(for: details)
    }

    /// The ledger: with ARNs, ISO dates in `date`; without, `booked` in DD/MM/YYYY.
    var ledgerText: String {
        var text = references ? "arn,merchant_id,currency,amount,direction,date\n" : "merchant_id,booked,currency,amount,direction\n"
        for row in ledger {
            text += references ? "\(row.arn),\(row.merchant),\(row.currency),\(row.amount),D,\(Self.iso(row.day))\n"
                : "\(row.merchant),\(Self.european(row.day)),\(row.currency),\(row.amount),D\n"
        }
        return text
    }

    var ledgerSpec: String {
        references ? "columns: {date: date}\n" : "without_reference: true\ncolumns: {date: booked}\ndate_format: \"%d/%m/%Y\"\n"
    }
}

@Suite("Matching on dates (--match with date keys and windows)")
struct MatchingDatesEndToEndTests {
    /// The issue's example file, verbatim.
    static let issuePasses = """
        passes:
          - name: exact                                  # today's rule: reference, merchant, currency, direction, amount
          - name: near_amount
            on: [reference, merchant, currency, direction]
            amount_tolerance: {minor_units: 2, basis_points: 5}   # the larger of the two, per pair
          - name: daily_deposit
            kind: one_to_many                            # one ledger row = the sum of a group of settled records
            on: [merchant, currency, date]               # the settled record's `date` role; the ledger's date column
          - name: no_reference
            on: [merchant, currency, direction, amount]
            date_window_days: 2
        """
    static let withoutReferencePasses = """
        passes:
          - name: no_reference
            on: [merchant, currency, direction, amount]
            date_window_days: 2
          - name: daily_deposit
            kind: one_to_many
            on: [merchant, currency, date]
        """

    func run(_ scenario: DatedScenario, passes: String, extra: [String], spec: String? = nil) async throws -> (AggregateRun, [String: [UInt8]]) {
        let directory = try TemporaryDirectory(prefix: "dates")
        try writeBytes(scenario.settlementBytes, to: directory.path + "/settlement.dat")
        try writeBytes(Array(scenario.ledgerText.utf8), to: directory.path + "/ledger.csv")
        try writeBytes(Array(passes.utf8), to: directory.path + "/match.yaml")
        try writeBytes(Array((spec ?? scenario.ledgerSpec).utf8), to: directory.path + "/spec.yaml")
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--ledger-spec", "spec.yaml",
                                              "--match", "match.yaml"] + extra, out: "out", in: directory.path)
        var files: [String: [UInt8]] = [:]
        for name in ["totals.csv", "mismatches.csv", "matches.csv", "reconciliation.csv", "rejects.csv"] {
            files[name] = (try? Array(Data(contentsOf: URL(fileURLWithPath: run.outDirectory + "/" + name)))) ?? []
        }
        return (run, files)
    }

    func check(_ run: AggregateRun, _ scenario: DatedScenario, passes: [String]) throws {
        #expect(run.outcome.exitStatus == 1, "\(run.outcome.stderr)")
        let matches = try CSVTable(contentsOfFile: run.outDirectory + "/matches.csv")
        let expected = passes.filter { $0 != "exact" }.flatMap { scenario.matches[$0] ?? [] }
        #expect(!expected.isEmpty && matches.rows.count == expected.count, "matches.csv has \(matches.rows.count) rows, the truth \(expected.count)")
        for (row, truth) in zip(matches.rows, expected) where row != truth {
            Issue.record("matches.csv: \(row) != \(truth)")
            break
        }
        let reconciliation = try run.summary()["result"]?["reconciliation"]
        for pass in passes {
            #expect(reconciliation?["matched_by_pass"]?[pass]?.int == scenario.counts[pass] ?? 0, "pass \(pass)")
        }
        for (kind, count) in scenario.mismatchKinds {
            #expect(reconciliation?["mismatches_by_kind"]?[kind]?.int == count, "kind \(kind)")
        }
        let mismatches = try CSVTable(contentsOfFile: run.outDirectory + "/mismatches.csv")
        #expect(mismatches.rows.count == scenario.mismatchKinds.values.reduce(0, +))
        let rejects = try CSVTable(contentsOfFile: run.outDirectory + "/rejects.csv")
        #expect(rejects.rows.isEmpty, "\(rejects.rows.prefix(3))")
    }

    @Test("ledger without ARNs, dates as DD/MM/YYYY: the window pairs timing differences and twins, deposits group by day",
          arguments: [["--workers", "1", "--buckets", "1"], ["--workers", "3", "--partition-size", "4K", "--buckets", "7", "--memory", "8M"]])
    func withoutReferences(extra: [String]) async throws {
        let scenario = DatedScenario.generate(seed: 20, size: 1_500, references: false)
        let (run, files) = try await self.run(scenario, passes: Self.withoutReferencePasses, extra: extra)
        try check(run, scenario, passes: ["no_reference", "daily_deposit"])
        let (_, other) = try await self.run(scenario, passes: Self.withoutReferencePasses, extra: ["--workers", "2", "--partition-size", "64K"])
        #expect(files == other, "outputs differ across workers, partitions and buckets")
    }

    @Test("the issue's example file over a ledger with ARNs and ISO dates", arguments: [["--workers", "2", "--partition-size", "8K", "--buckets", "3"]])
    func issueExample(extra: [String]) async throws {
        let scenario = DatedScenario.generate(seed: 21, size: 1_500, references: true)
        let (run, _) = try await self.run(scenario, passes: Self.issuePasses, extra: extra)
        try check(run, scenario, passes: ["exact", "near_amount", "daily_deposit", "no_reference"])
    }

    @Test("open items keep their dates across nights: settled on night 1, the ledger without ARNs on night 2, matched late by date")
    func datesAcrossNights() async throws {
        let scenario = DatedScenario.generate(seed: 23, size: 800, references: false)
        let directory = try TemporaryDirectory(prefix: "dates-nights")
        try writeBytes(scenario.settlementBytes, to: directory.path + "/settlement.dat")
        try writeBytes(ReferenceRecords.header() + ReferenceRecords.trailer(for: []), to: directory.path + "/empty.dat")
        try writeBytes(Array(scenario.ledgerText.utf8), to: directory.path + "/ledger.csv")
        try writeBytes(Array(String(scenario.ledgerText.prefix { $0 != "\n" } + "\n").utf8), to: directory.path + "/header-only.csv")
        try writeBytes(Array(Self.withoutReferencePasses.utf8), to: directory.path + "/match.yaml")
        try writeBytes(Array(scenario.ledgerSpec.utf8), to: directory.path + "/spec.yaml")
        func night(_ settlement: String, _ ledger: String, _ day: String, out: String) async throws -> AggregateRun {
            try await AggregateRun.run([settlement, "--layout", "reference", "--ledger", ledger, "--ledger-spec", "spec.yaml", "--match", "match.yaml",
                                        "--open-items", "store", "--as-of", day, "--workers", "2", "--partition-size", "8K"], out: out, in: directory.path)
        }
        let first = try await night("settlement.dat", "header-only.csv", "2024-01-20", out: "night1")
        #expect(first.outcome.exitStatus == 0, "\(first.outcome.stderr)")
        let second = try await night("empty.dat", "ledger.csv", "2024-01-21", out: "night2")
        #expect(second.outcome.exitStatus == 0, "\(second.outcome.stderr)")
        let matches = try CSVTable(contentsOfFile: second.outDirectory + "/matches.csv")
        let expected = ["no_reference", "daily_deposit"].flatMap { scenario.matches[$0] ?? [] }.map { Array($0.dropLast()) + ["1"] }
        #expect(!expected.isEmpty && matches.rows.count == expected.count, "late matches: \(matches.rows.count) of \(expected.count)")
        for (row, truth) in zip(matches.rows, expected) where row != truth {
            Issue.record("matches.csv: \(row) != \(truth)")
            break
        }
        let open = try CSVTable(contentsOfFile: second.outDirectory + "/open_items.csv")
        #expect(open.rows.count == scenario.mismatchKinds.values.reduce(0, +), "what no pass matches stays open")
    }

    @Test("without the window the twins cross: the truth is not met by chance")
    func windowMatters() async throws {
        let scenario = DatedScenario.generate(seed: 20, size: 600, references: false)
        let passes = Self.withoutReferencePasses.replacingOccurrences(of: "    date_window_days: 2\n", with: "")
        #expect(!passes.contains("date_window_days"))
        let (run, _) = try await self.run(scenario, passes: passes, extra: ["--workers", "1"])
        let matches = try CSVTable(contentsOfFile: run.outDirectory + "/matches.csv")
        let truth = Set(scenario.matches["no_reference"] ?? [])
        #expect(matches.rows.filter { $0[0] == "no_reference" }.contains { !truth.contains($0) })
    }

    @Test("a pass on dates over a ledger without a date column stops before work (exit 2), naming the pass and the column")
    func dateColumnNeeded() async throws {
        let scenario = DatedScenario.generate(seed: 3, size: 40, references: false)
        let (run, _) = try await self.run(scenario, passes: Self.withoutReferencePasses, extra: [], spec: "without_reference: true\n")
        #expect(run.outcome.exitStatus == 2)
        #expect(run.outcome.stderr.contains("match pass 'no_reference' matches on date, but the ledger has no date column"), "\(run.outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.outDirectory + "/totals.csv"))
    }

    @Test("a ledger date not in date_format is a bad_date reject naming its column")
    func badLedgerDate() async throws {
        var scenario = DatedScenario.generate(seed: 5, size: 60, references: true)
        scenario.ledger[0].day = DatedScenario.firstDay
        let directory = try TemporaryDirectory(prefix: "dates-bad")
        let text = scenario.ledgerText.replacingOccurrences(of: DatedScenario.iso(DatedScenario.firstDay), with: "2024/01/08")
        try writeBytes(scenario.settlementBytes, to: directory.path + "/settlement.dat")
        try writeBytes(Array(text.utf8), to: directory.path + "/ledger.csv")
        try writeBytes(Array(Self.issuePasses.utf8), to: directory.path + "/match.yaml")
        try writeBytes(Array(scenario.ledgerSpec.utf8), to: directory.path + "/spec.yaml")
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--ledger-spec", "spec.yaml",
                                              "--match", "match.yaml"], out: "out", in: directory.path)
        let rejects = try CSVTable(contentsOfFile: run.outDirectory + "/rejects.csv")
        let bad = rejects.rows.filter { $0.contains("bad_date") }
        #expect(!bad.isEmpty && bad.allSatisfy { $0.contains("date") && $0.contains("ledger.csv") }, "\(rejects.rows.prefix(3))")
    }
}
