import Foundation
import Testing

/// Three nights with known truth, from a fixed seed: each transaction has the night its settled
/// record arrives and the night its ledger row does (or never). The truth of every night (late
/// matches and their ages, open items, expiries) is worked out here from those nights and
/// `--open-days`, never read back from Settle.
struct NightsScenario {
    struct Transaction {
        var arn: String
        var merchant: String
        var currency: String
        var amount: Int
        var credit: Bool
        var settledNight: Int?
        var ledgerNight: Int?
        /// The ledger's amount differs by this (matched by near_amount).
        var ledgerOffset = 0
    }

    static let openDays = 1
    static let nights = 3
    var transactions: [Transaction] = []

    static func generate(seed: UInt64, size: Int) -> NightsScenario {
        var random = MatchingScenario.Random(state: seed)
        var scenario = NightsScenario()
        var amount = 5_000
        for n in 0..<size {
            amount += 1 + random.next(40)
            let nights: [(Int?, Int?)] = [(1, 1), (2, 2), (3, 3), (2, 1), (1, 2), (1, nil), (nil, 2), (1, 3), (2, 3), (3, 2)]
            let (s, l) = nights[random.next(nights.count)]
            var t = Transaction(arn: MatchingScenario.arn(n), merchant: ["MER01", "MER02", "MER03"][random.next(3)],
                                currency: ["EUR", "USD"][random.next(2)], amount: amount, credit: random.next(6) == 0,
                                settledNight: s, ledgerNight: l)
            if s != nil && l != nil && s != l && random.next(4) == 0 { t.ledgerOffset = 1 }
            scenario.transactions.append(t)
        }
        return scenario
    }

    func settledOn(_ night: Int) -> [Int] { transactions.indices.filter { transactions[$0].settledNight == night } }
    func ledgerOn(_ night: Int) -> [Int] { transactions.indices.filter { transactions[$0].ledgerNight == night } }

    func settlement(_ night: Int) -> [UInt8] {
        let details = settledOn(night).map { i in
            let t = transactions[i]
            return ReferenceRecords.Detail(arn: t.arn, merchant: t.merchant, currency: t.currency, amountMinor: t.amount, isCredit: t.credit, feeMinor: 5)
        }
        return ReferenceRecords.header() + details.flatMap(ReferenceRecords.detail) + ReferenceRecords.trailer(for: details)
    }

    func ledger(_ night: Int) -> String {
        var text = "arn,merchant_id,currency,amount,direction\n"
        for i in ledgerOn(night) {
            let t = transactions[i]
            text += "\(t.arn),\(t.merchant),\(t.currency),\(t.amount + t.ledgerOffset),\(t.credit ? "C" : "D")\n"
        }
        return text
    }

    static func day(_ night: Int) -> String { "2026-03-0\(night)" }

    /// Where a side was read: its file and record number (settled) or line (ledger).
    func settledPlace(_ i: Int) -> (String, String) {
        let night = transactions[i].settledNight!
        return ("s\(night).dat", "\(settledOn(night).firstIndex(of: i)! + 2)")
    }

    func ledgerPlace(_ i: Int) -> (String, String) {
        let night = transactions[i].ledgerNight!
        return ("l\(night).csv", "\(ledgerOn(night).firstIndex(of: i)! + 2)")
    }

    /// What night `night` must publish.
    struct Night {
        var matches: [[String]] = []
        var open: [[String]] = []
        var expired: [String: Int] = [:]
    }

    func truth(_ night: Int) -> Night {
        var result = Night()
        var lateRows: [String: [[String]]] = [:]
        var openSettled: [[String]] = [], openLedger: [[String]] = []
        let window = Self.openDays
        for (i, t) in transactions.enumerated() {
            // Both sides meet if the later one comes while the earlier is still carried: an item
            // left open on night f is carried into nights f+1 ... f+window+1.
            var matchedOn: Int?
            if let s = t.settledNight, let l = t.ledgerNight, max(s, l) - min(s, l) <= window + 1 { matchedOn = max(s, l) }
            if let matchedOn, matchedOn == night, t.settledNight != t.ledgerNight {
                let first = min(t.settledNight!, t.ledgerNight!)
                let pass = t.ledgerOffset == 0 ? "exact" : "near_amount"
                let signed = t.credit ? -t.amount : t.amount, ledgerSigned = t.credit ? -(t.amount + t.ledgerOffset) : t.amount + t.ledgerOffset
                let (file, record) = settledPlace(i), (ledgerFile, line) = ledgerPlace(i)
                lateRows[pass, default: []].append([pass, t.arn, t.merchant, t.currency, t.credit ? "credit" : "debit", "\(t.amount)",
                                                    "\(t.amount + t.ledgerOffset)", "\(signed - ledgerSigned)", file, record, ledgerFile, line,
                                                    "\(night - first)"])
            }
            if let matchedOn, matchedOn <= night { continue }
            // Each side seen alone so far is open until it is older than the window, then expires.
            for (isSettled, sideNight) in [(true, t.settledNight), (false, t.ledgerNight)] {
                guard let sideNight, sideNight <= night else { continue }
                let age = night - sideNight
                if age > window {
                    if age == window + 1 { result.expired[isSettled ? "missing_in_ledger" : "missing_in_settlement", default: 0] += 1 }
                    continue
                }
                let (file, number) = isSettled ? settledPlace(i) : ledgerPlace(i)
                let amount = isSettled ? t.amount : t.amount + t.ledgerOffset
                let row = [isSettled ? "settled" : "ledger", t.arn, t.merchant, t.currency, t.credit ? "credit" : "debit", "\(amount)",
                           Self.day(sideNight), "\(age)"] + (isSettled ? [file, number, "", ""] : ["", "", file, number])
                if isSettled { openSettled.append(row) } else { openLedger.append(row) }
            }
        }
        result.matches = ["exact", "near_amount"].flatMap { (lateRows[$0] ?? []).sorted { $0[1] < $1[1] } }
        result.open = openSettled.sorted { $0[1] < $1[1] } + openLedger.sorted { $0[1] < $1[1] }
        return result
    }
}

@Suite("Open items across nights (--open-items)", .serialized)
struct OpenItemsTests {
    static let passes = """
        passes:
          - name: exact
          - name: near_amount
            on: [reference, merchant, currency, direction]
            amount_tolerance: {minor_units: 1}
        """

    static func arguments(_ night: Int, extra: [String] = []) -> [String] {
        ["aggregate", "s\(night).dat", "--layout", "reference", "--ledger", "l\(night).csv", "--match", "match.yaml",
         "--open-items", "store", "--as-of", NightsScenario.day(night), "--open-days", "\(NightsScenario.openDays)",
         "--out", "out\(night)"] + extra
    }

    static func prepare(_ scenario: NightsScenario) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "nights")
        for night in 1...NightsScenario.nights {
            try writeBytes(scenario.settlement(night), to: directory.path + "/s\(night).dat")
            try writeBytes(Array(scenario.ledger(night).utf8), to: directory.path + "/l\(night).csv")
        }
        try writeBytes(Array(Self.passes.utf8), to: directory.path + "/match.yaml")
        return directory
    }

    static func read(_ path: String) -> [UInt8] { (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }

    func check(night: Int, in directory: String, _ scenario: NightsScenario, exit: Int32?) throws {
        let truth = scenario.truth(night)
        let out = directory + "/out\(night)"
        let matches = try CSVTable(contentsOfFile: out + "/matches.csv")
        #expect(matches.rows == truth.matches, "night \(night): matches.csv")
        let open = try CSVTable(contentsOfFile: out + "/open_items.csv")
        #expect(open.header == ["side", "arn", "merchant_id", "currency", "direction", "amount", "first_seen", "age_days", "file",
                                "record_number", "ledger_file", "ledger_line"])
        #expect(open.rows.count == truth.open.count, "night \(night): open items")
        for (row, expected) in zip(open.rows, truth.open) where row != expected {
            Issue.record("night \(night): open_items.csv \(row) != \(expected)")
            break
        }
        let summary = try JSONValue(contentsOfFile: out + "/summary.json")
        let kinds = summary["result"]?["reconciliation"]?["mismatches_by_kind"]
        for kind in ["missing_in_ledger", "missing_in_settlement"] {
            #expect(kinds?[kind]?.int == truth.expired[kind] ?? 0, "night \(night): expired \(kind)")
        }
        #expect(summary["result"]?["reconciliation"]?["open_items"]?["open"]?.int == truth.open.count)
        #expect(exit == (truth.expired.isEmpty ? 0 : 1), "night \(night): exit status")
        // Expired items carry their age into mismatches.csv (every missing_* row here is one).
        let mismatches = try CSVTable(contentsOfFile: out + "/mismatches.csv")
        #expect(mismatches.header.last == "age_days" && mismatches.header.count == 16)
        #expect(mismatches.rows.count == truth.expired.values.reduce(0, +))
        #expect(mismatches.rows.allSatisfy { $0[0].hasPrefix("missing_in_") && $0[15] == "\(NightsScenario.openDays + 1)" },
                "night \(night): expired rows and their age_days: \(mismatches.rows.prefix(2))")
        // Open items by merchant, as the truth's open rows add up.
        var byMerchant: [String: (settled: Int, ledger: Int, oldest: Int)] = [:]
        for row in truth.open {
            var figures = byMerchant[row[2]] ?? (0, 0, 0)
            if row[0] == "settled" { figures.settled += 1 } else { figures.ledger += 1 }
            figures.oldest = max(figures.oldest, Int(row[7])!)
            byMerchant[row[2]] = figures
        }
        let listed = summary["result"]?["reconciliation"]?["open_items"]?["by_merchant"]?.array ?? []
        #expect(listed.count == byMerchant.count, "night \(night): merchants with open items")
        for entry in listed {
            let merchant = entry["merchant_id"]?.string ?? ""
            let figures = byMerchant[merchant]
            #expect(entry["settled"]?.int == figures?.settled && entry["ledger"]?.int == figures?.ledger
                    && entry["oldest_age_days"]?.int == figures?.oldest, "night \(night): open items of \(merchant)")
        }
        let totals = listed.map { ($0["settled"]?.int ?? 0) + ($0["ledger"]?.int ?? 0) }
        #expect(totals == totals.sorted(by: >), "most open items first")
    }

    @Test("three nights: late matches with their ages, open items, expiries; the same night again is idempotent; an earlier night is refused")
    func threeNights() async throws {
        let scenario = NightsScenario.generate(seed: 2026, size: 600)
        let directory = try Self.prepare(scenario)
        #expect(scenario.truth(2).matches.count > 20 && scenario.truth(3).expired.values.reduce(0, +) > 10)
        var generations: [Int: [UInt8]] = [:]
        for night in 1...NightsScenario.nights {
            let outcome = try await Subprocess.settle(Self.arguments(night, extra: night == 2 ? ["--workers", "3", "--partition-size", "8K"] : []),
                                                      in: directory.path)
            try check(night: night, in: directory.path, scenario, exit: outcome.exitStatus)
            generations[night] = Self.read(directory.path + "/out\(night)/open_items.csv")
        }
        let report = String(decoding: Self.read(directory.path + "/out3/report.html"), as: UTF8.self)
        #expect(report.contains("id=\"open-open\">\(scenario.truth(3).open.count)<"), "report: open items")
        #expect(report.contains("id=\"open-items-by-age\"") && report.contains(" EUR<"), "report: ages, money in major units")
        #expect(report.contains("id=\"open-items-by-merchant\"") && report.contains("<td>MER01</td>"), "report: open items by merchant")
        // Night 3 again: from the generation before it, the same outputs and the same store.
        let again = try await Subprocess.settle(Self.arguments(3, extra: ["--out", "again3"]), in: directory.path)
        #expect(again.exitStatus == 1)
        for name in ["matches.csv", "open_items.csv", "mismatches.csv", "reconciliation.csv"] {
            #expect(Self.read(directory.path + "/again3/" + name) == Self.read(directory.path + "/out3/" + name), "\(name) rerun")
        }
        // An earlier night is refused before any work.
        let earlier = try await Subprocess.settle(Self.arguments(2, extra: ["--out", "late2"]), in: directory.path)
        #expect(earlier.exitStatus == 2)
        #expect(earlier.stderr.contains("--as-of 2026-03-02 is earlier than the open-items store's latest night 2026-03-03"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/late2/totals.csv"))
    }

    @Test("SIGKILL inside the publish of a night and between nights: the rerun carries every item once")
    func killInsidePublish() async throws {
        let scenario = NightsScenario.generate(seed: 99, size: 300)
        let directory = try Self.prepare(scenario)
        let first = try await Subprocess.settle(Self.arguments(1), in: directory.path)
        try check(night: 1, in: directory.path, scenario, exit: first.exitStatus)
        // Night 2 paused while its new HEAD is written (the generation already durable), killed there.
        for pause in ["/HEAD", "store/open-"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
            process.arguments = Self.arguments(2)
            process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
            process.environment = ProcessInfo.processInfo.environment.merging(["SETTLE_TEST_DELAY": "\(pause):3000"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline
                && !FileManager.default.fileExists(atPath: directory.path + "/out2/matches.csv") { usleep(20_000) }
            usleep(300_000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "the kill landed inside the publish (\(pause))")
        }
        let rerun = try await Subprocess.settle(Self.arguments(2), in: directory.path)
        try check(night: 2, in: directory.path, scenario, exit: rerun.exitStatus)
        let third = try await Subprocess.settle(Self.arguments(3), in: directory.path)
        try check(night: 3, in: directory.path, scenario, exit: third.exitStatus)
    }
}
