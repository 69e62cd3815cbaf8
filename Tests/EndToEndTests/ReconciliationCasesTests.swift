import Foundation
import Testing

/// Reconciliation on small hand-written files, one situation per test: each mismatch kind, the order
/// of kinds, every pairing situation (a reference twice on both sides, three times on one side and
/// once on the other), rejected settlement records, messy ledgers and bad ledger rows. Expected rows
/// are written out here by hand from the matching rules in the README.
@Suite("Reconciliation cases")
struct ReconciliationCasesTests {
    typealias Records = ReferenceRecords
    typealias Detail = ReferenceRecords.Detail

    static func arn(_ n: Int) -> String { "7440494404303693" + String(format: "%07d", n) }
    static func detail(_ n: Int, _ merchant: String = "MER1", _ currency: String = "EUR", _ amount: Int = 1000,
                       credit: Bool = false) -> Detail {
        Detail(arn: arn(n), merchant: merchant, currency: currency, amountMinor: amount, isCredit: credit, feeMinor: 10)
    }

    /// The file, header and trailer included, so that record numbers are line numbers.
    static func settlement(_ details: [Detail]) -> [UInt8] {
        Records.header() + details.flatMap(Records.detail) + Records.trailer(for: details)
    }

    struct Outcome {
        var run: AggregateRun
        var mismatches: [[String]]
        var reconciliation: [[String]]
    }

    /// Runs `settle aggregate settlement.dat --layout reference --ledger ...` in a fresh directory.
    func reconcile(_ settlement: [UInt8], ledgers: [String], spec: String? = nil, extra: [String] = []) async throws -> Outcome {
        let directory = try TemporaryDirectory(prefix: "reconcile")
        try writeBytes(settlement, to: directory.path + "/settlement.dat")
        var arguments = ["settlement.dat", "--layout", "reference"]
        for (index, ledger) in ledgers.enumerated() {
            let name = index == 0 ? "ledger.csv" : "ledger-\(index + 1).csv"
            try writeBytes(Array(ledger.utf8), to: directory.path + "/" + name)
            arguments += ["--ledger", name]
        }
        if let spec {
            try writeBytes(Array(spec.utf8), to: directory.path + "/spec.yaml")
            arguments += ["--ledger-spec", "spec.yaml"]
        }
        let run = try await AggregateRun.run(arguments + extra, out: "out", in: directory.path)
        let mismatches = (try? CSVTable(contentsOfFile: run.outDirectory + "/mismatches.csv").rows) ?? []
        let reconciliation = (try? CSVTable(contentsOfFile: run.outDirectory + "/reconciliation.csv").rows) ?? []
        return Outcome(run: run, mismatches: mismatches, reconciliation: reconciliation)
    }

    static let ledgerHeader = "arn,merchant_id,currency,amount,direction\n"
    static func row(_ n: Int, _ merchant: String = "MER1", _ currency: String = "EUR", _ amount: Int = 1000, _ direction: String = "D") -> String {
        "\(arn(n)),\(merchant),\(currency),\(amount),\(direction)\n"
    }

    @Test("everything matches: no mismatch rows, exit 0, reconciliation per merchant")
    func allMatched() async throws {
        let details = [Self.detail(1), Self.detail(2, "MER2", "USD", 500, credit: true), Self.detail(3)]
        let ledger = Self.ledgerHeader + Self.row(1) + Self.row(2, "MER2", "USD", 500, "C") + Self.row(3)
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger])
        #expect(outcome.run.outcome.exitStatus == 0, "\(outcome.run.outcome)")
        #expect(outcome.mismatches.isEmpty)
        #expect(outcome.reconciliation == [
            ["MER1", "EUR", "2", "2000", "2", "2000", "2", "2000", "0", "0"],
            ["MER2", "USD", "1", "-500", "1", "-500", "1", "-500", "0", "0"],
        ])
        let summary = try outcome.run.summary()
        #expect(summary["result"]?["reconciliation"]?["mismatches"]?.int == 0)
        #expect(summary["result"]?["reconciliation"]?["matched"]?["gross"]?.string == "1500")
    }

    @Test("one row per pair, the first kind that applies: currency, merchant, direction, amount")
    func kindsAndPriority() async throws {
        let details = [Self.detail(1), Self.detail(2), Self.detail(3), Self.detail(4), Self.detail(5)]
        let ledger = Self.ledgerHeader
            + Self.row(1, "MER1", "USD", 999)        // currency and amount differ: currency_mismatch
            + Self.row(2, "MER9", "EUR", 999)        // merchant and amount: merchant_mismatch
            + Self.row(3, "MER1", "EUR", 999, "C")   // direction and amount: direction_mismatch
            + Self.row(4, "MER1", "EUR", 999)        // amount_mismatch
            + Self.row(5)                            // matched
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger])
        #expect(outcome.run.outcome.exitStatus == 1, "\(outcome.run.outcome)")
        #expect(outcome.mismatches == [
            ["amount_mismatch", Self.arn(4), "MER1", "EUR", "debit", "1000", "MER1", "EUR", "debit", "999", "1", "settlement.dat", "5", "ledger.csv", "5"],
            ["currency_mismatch", Self.arn(1), "MER1", "EUR", "debit", "1000", "MER1", "USD", "debit", "999", "1", "settlement.dat", "2", "ledger.csv", "2"],
            ["direction_mismatch", Self.arn(3), "MER1", "EUR", "debit", "1000", "MER1", "EUR", "credit", "999", "1999", "settlement.dat", "4", "ledger.csv", "4"],
            ["merchant_mismatch", Self.arn(2), "MER1", "EUR", "debit", "1000", "MER9", "EUR", "debit", "999", "1", "settlement.dat", "3", "ledger.csv", "3"],
        ])
        // Each row counts once, for the settled side's merchant.
        #expect(outcome.reconciliation == [
            ["MER1", "EUR", "5", "5000", "3", "1000", "1", "1000", "4", "4000"],
            ["MER1", "USD", "0", "0", "1", "999", "0", "0", "0", "-999"],
            ["MER9", "EUR", "0", "0", "1", "999", "0", "0", "0", "-999"],
        ])
        let kinds = try outcome.run.summary()["result"]?["reconciliation"]?["mismatches_by_kind"]?.members?.mapValues(\.int)
        #expect(kinds?["currency_mismatch"] == 1)
        #expect(kinds?["amount_mismatch"] == 1)
        #expect(kinds?["missing_in_ledger"] == 0)
    }

    @Test("pairing in order: a reference twice on both sides, three times on one side and once on the other")
    func pairingSituations() async throws {
        // Reference 1: twice settled, twice in the ledger; the second pair differs in amount.
        // Reference 2: three times settled, once in the ledger.
        // Reference 3: once settled, three times in the ledger (the first differs: both kinds at once).
        let details = [Self.detail(1, "MER1", "EUR", 100), Self.detail(2), Self.detail(1, "MER1", "EUR", 200),
                       Self.detail(2), Self.detail(3), Self.detail(2)]
        let ledger = Self.ledgerHeader + Self.row(3, "MER1", "EUR", 1) + Self.row(1, "MER1", "EUR", 100) + Self.row(2)
            + Self.row(1, "MER1", "EUR", 250) + Self.row(3) + Self.row(3)
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger])
        #expect(outcome.mismatches == [
            ["amount_mismatch", Self.arn(1), "MER1", "EUR", "debit", "200", "MER1", "EUR", "debit", "250", "-50", "settlement.dat", "4", "ledger.csv", "5"],
            ["amount_mismatch", Self.arn(3), "MER1", "EUR", "debit", "1000", "MER1", "EUR", "debit", "1", "999", "settlement.dat", "6", "ledger.csv", "2"],
            ["duplicate_in_ledger", Self.arn(3), "", "", "", "", "MER1", "EUR", "debit", "1000", "-1000", "", "", "ledger.csv", "6"],
            ["duplicate_in_ledger", Self.arn(3), "", "", "", "", "MER1", "EUR", "debit", "1000", "-1000", "", "", "ledger.csv", "7"],
            ["duplicate_in_settlement", Self.arn(2), "MER1", "EUR", "debit", "1000", "", "", "", "", "1000", "settlement.dat", "5", "", ""],
            ["duplicate_in_settlement", Self.arn(2), "MER1", "EUR", "debit", "1000", "", "", "", "", "1000", "settlement.dat", "7", "", ""],
        ])
    }

    @Test("missing on either side, and a ledger row whose settlement record was rejected")
    func missingAndRejected() async throws {
        var file = Self.settlement([Self.detail(1), Self.detail(2), Self.detail(3)])
        // Record 4 (reference 3) gets a letter in its amount: rejected, but its reference is readable.
        file[3 * Records.lineLength + 70] = UInt8(ascii: "X")
        let ledger = Self.ledgerHeader + Self.row(2) + Self.row(3) + Self.row(4, "MER4", "GBP", 70, "C")
        let outcome = try await reconcile(file, ledgers: [ledger])
        #expect(outcome.run.outcome.exitStatus == 1)
        #expect(outcome.mismatches == [
            ["missing_in_ledger", Self.arn(1), "MER1", "EUR", "debit", "1000", "", "", "", "", "1000", "settlement.dat", "2", "", ""],
            ["missing_in_settlement", Self.arn(4), "", "", "", "", "MER4", "GBP", "credit", "70", "70", "", "", "ledger.csv", "4"],
            ["settlement_rejected", Self.arn(3), "", "", "", "", "MER1", "EUR", "debit", "1000", "-1000", "settlement.dat", "4", "ledger.csv", "3"],
        ])
        #expect(outcome.reconciliation.first { $0[0] == "MER4" } == ["MER4", "GBP", "0", "0", "1", "-70", "0", "0", "1", "70"])
    }

    @Test("a messy ledger: BOM, CRLF, quotes, spaces, lost leading zeros, decimals, direction words, a multi-line note")
    func messyLedger() async throws {
        let zeroARN = "0000000000000000000012"
        var details = [Self.detail(1, "MER1", "JPY", 1234), Self.detail(2, "MER2", "KWD", 1500, credit: true),
                       Self.detail(3, "MER3", "EUR", 1050)]
        details.append(Detail(arn: "0" + zeroARN, merchant: "MER4", currency: "USD", amountMinor: 99, isCredit: false, feeMinor: 0))
        let ledger = "\u{FEFF}memo,dc,value,ccy,merchant,reference_number\r\n"
            + "\"first\r\nrow, with \"\"quotes\"\"\",Debit,1234,JPY,MER1,\" \(Self.arn(1)) \"\r\n"
            + "plain,refund,1.5,kwd,MER2,  \(Self.arn(2))\r\n"
            + "plain,sale,10.50,EUR,MER3,\(Self.arn(3))\r\n"
            + "plain,DR,0.99,USD,MER4,12\r\n"
        let spec = """
            columns: {reference: reference_number, merchant: merchant, currency: ccy, amount: value, direction: dc}
            amount: decimal
            """
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger], spec: spec)
        #expect(outcome.run.outcome.exitStatus == 0, "\(outcome.run.outcome)")
        #expect(outcome.mismatches.isEmpty)
        #expect(outcome.reconciliation.map { $0[6] } == ["1", "1", "1", "1"], "every pair matched")
    }

    @Test("signed amounts without a direction column")
    func signedLedger() async throws {
        let details = [Self.detail(1), Self.detail(2, "MER1", "EUR", 250, credit: true)]
        let ledger = "arn,merchant_id,currency,amount\n\(Self.arn(1)),MER1,EUR,10.00\n\(Self.arn(2)),MER1,EUR,-2.50\n"
        let spec = "amount: decimal\nsigned: true\n"
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger], spec: spec)
        #expect(outcome.run.outcome.exitStatus == 0, "\(outcome.run.outcome)")
        #expect(outcome.reconciliation == [["MER1", "EUR", "2", "750", "2", "750", "2", "750", "0", "0"]])
    }

    @Test("bad ledger rows are rejects with file, line and column; the rest still reconciles")
    func badLedgerRows() async throws {
        let details = [Self.detail(1), Self.detail(2), Self.detail(3), Self.detail(4), Self.detail(5)]
        let ledger = Self.ledgerHeader + Self.row(1) + "\(Self.arn(2)),MER1,EUR,12x,D\n" + "\(Self.arn(3)),MER1,EUR,1000,Z\n"
            + "\(Self.arn(4)),MER1,EUR\n" + ",MER1,EUR,1000,D\n" + "\n" + Self.row(5)
        let outcome = try await reconcile(Self.settlement(details), ledgers: [ledger])
        #expect(outcome.run.outcome.exitStatus == 1)
        let rejects = try outcome.run.rejects().columns(["file", "record_number", "reason", "field"])
        #expect(rejects == [
            ["ledger.csv", "3", "bad_amount", "amount"],
            ["ledger.csv", "4", "bad_code", "direction"],
            ["ledger.csv", "5", "bad_row", ""],
            ["ledger.csv", "6", "blank_field", "arn"],
        ])
        #expect(outcome.mismatches.map { $0[0] } == ["missing_in_ledger", "missing_in_ledger", "missing_in_ledger"])
        let files = try outcome.run.summary()["result"]?["reconciliation"]?["ledger_files"]?[0]
        #expect(files?["rows"]?.int == 6)
        #expect(files?["rejected"]?.int == 4)
    }

    @Test("several ledger files pair in command-line order")
    func severalLedgers() async throws {
        let details = [Self.detail(1)]
        let first = Self.ledgerHeader + Self.row(1, "MER1", "EUR", 5)
        let second = Self.ledgerHeader + Self.row(1)
        let outcome = try await reconcile(Self.settlement(details), ledgers: [first, second])
        #expect(outcome.mismatches == [
            ["amount_mismatch", Self.arn(1), "MER1", "EUR", "debit", "1000", "MER1", "EUR", "debit", "5", "995", "settlement.dat", "2", "ledger.csv", "2"],
            ["duplicate_in_ledger", Self.arn(1), "", "", "", "", "MER1", "EUR", "debit", "1000", "-1000", "", "", "ledger-2.csv", "2"],
        ])
    }

    @Test("a ledger without a needed column stops before any work, naming the file and the column")
    func missingColumn() async throws {
        let outcome = try await reconcile(Self.settlement([Self.detail(1)]), ledgers: ["arn,merchant,currency,amount,direction\n"])
        #expect(outcome.run.outcome.exitStatus == 2)
        #expect(outcome.run.outcome.stderr.contains("ledger.csv"))
        #expect(outcome.run.outcome.stderr.contains("merchant_id"))
    }

    @Test("the same outputs whatever the partition size, workers, memory and buckets")
    func optionInvariance() async throws {
        let details = (1...60).map { Self.detail($0 % 23, "MER\($0 % 7)", $0 % 3 == 0 ? "USD" : "EUR", 100 + $0, credit: $0 % 5 == 0) }
        var ledger = Self.ledgerHeader
        for index in stride(from: 2, through: 70, by: 1) where index % 9 != 0 {
            ledger += Self.row(index % 25, "MER\(index % 7)", index % 3 == 0 ? "USD" : "EUR", 100 + index, index % 5 == 0 ? "C" : "D")
        }
        let settlement = Self.settlement(details)
        let base = try await reconcile(settlement, ledgers: [ledger])
        #expect(!base.mismatches.isEmpty)
        for extra in [["--partition-size", "1", "--workers", "3"], ["--memory", "2MB", "--buckets", "1", "--partition-size", "500"],
                      ["--buckets", "7", "--workers", "1"]] {
            let other = try await reconcile(settlement, ledgers: [ledger], extra: extra)
            #expect(other.mismatches == base.mismatches, "\(extra)")
            #expect(other.reconciliation == base.reconciliation, "\(extra)")
        }
    }

    /// A settlement file and ledger with some of every kind, big enough for several partitions.
    static func mixedInputs() -> (settlement: [UInt8], ledger: String) {
        let details = (1...400).map { Self.detail($0 % 350, "MER\($0 % 13)", $0 % 4 == 0 ? "USD" : "EUR", 100 + $0, credit: $0 % 6 == 0) }
        var ledger = Self.ledgerHeader
        for index in 1...420 where index % 17 != 0 {
            ledger += Self.row(index % 360, "MER\(index % 13)", index % 4 == 0 ? "USD" : "EUR", 100 + index + (index % 29 == 0 ? 1 : 0),
                               index % 6 == 0 ? "C" : "D")
        }
        return (Self.settlement(details), ledger)
    }

    @Test("plan, map, reduce and finalize as separate tasks give the outputs of aggregate")
    func taskCommands() async throws {
        let (settlement, ledger) = Self.mixedInputs()
        let base = try await reconcile(settlement, ledgers: [ledger], extra: ["--partition-size", "8KB", "--buckets", "4"])
        #expect(!base.mismatches.isEmpty)
        let directory = base.run.outDirectory + "/.."
        let work = directory + "/tasks-work"
        let plan = try await Subprocess.settle(["plan", "settlement.dat", "--layout", "reference", "--ledger", "ledger.csv",
                                                "--work", work, "--partition-size", "8KB", "--buckets", "4"], in: directory)
        #expect(plan.exitStatus == 0, "\(plan)")
        let manifest = try JSONValue(contentsOfFile: work + "/manifest.json")
        let partitions = try #require(manifest["partitions"]?.array?.count)
        #expect(partitions > 4, "the ledger and the settlement file are both split")
        for partition in (0..<partitions).reversed() {
            let map = try await Subprocess.settle(["map", "--work", work, "--partition", String(partition)], in: directory)
            #expect(map.exitStatus == 0, "\(map)")
        }
        for bucket in 0..<4 {
            let reduce = try await Subprocess.settle(["reduce", "--work", work, "--bucket", String(bucket)], in: directory)
            #expect(reduce.exitStatus == 0, "\(reduce)")
        }
        let finalize = try await Subprocess.settle(["finalize", "--work", work, "--out", directory + "/tasks-out"], in: directory)
        #expect(finalize.exitStatus == 1, "\(finalize)")
        for name in ["mismatches.csv", "reconciliation.csv", "totals.csv", "rejects.csv"] {
            expectSameBytes(try readBytes(directory + "/tasks-out/" + name), try readBytes(base.run.outDirectory + "/" + name), name)
        }
    }

    @Test("a run that fails half way resumes with the same outputs, redoing only what was not done")
    func resumeAfterFailure() async throws {
        let (settlement, ledger) = Self.mixedInputs()
        let base = try await reconcile(settlement, ledgers: [ledger], extra: ["--partition-size", "8KB", "--buckets", "4"])
        let directory = base.run.outDirectory + "/.."
        let arguments = ["aggregate", directory + "/settlement.dat", "--layout", "reference", "--ledger", directory + "/ledger.csv",
                         "--out", directory + "/again", "--partition-size", "8KB", "--buckets", "4", "--workers", "1", "--max-attempts", "1"]
        // The third partition's occurrences cannot be written, then a bucket's join output cannot.
        for fault in ["write:p000002/:1:*", "write:mismatches.run:1:*"] {
            let failed = try await ResumeTests.settle(arguments, environment: ["SETTLE_FAULT_INJECTION": fault])
            #expect(failed.exitStatus != 0 && failed.exitStatus != 1, "\(failed)")
            #expect(FileManager.default.fileExists(atPath: directory + "/again/.settle-work/manifest.json"))
        }
        let resumed = try await ResumeTests.settle(arguments)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        #expect(resumed.stderr.contains("resum"), "\(resumed)")
        // File paths in the outputs are as given: compare all but those columns.
        let again = try CSVTable(contentsOfFile: directory + "/again/mismatches.csv").columns(["kind", "arn", "difference", "record_number", "ledger_line"])
        #expect(again == (try CSVTable(contentsOfFile: base.run.outDirectory + "/mismatches.csv").columns(["kind", "arn", "difference", "record_number", "ledger_line"])))
        for name in ["reconciliation.csv", "totals.csv"] {
            expectSameBytes(try readBytes(directory + "/again/" + name), try readBytes(base.run.outDirectory + "/" + name), name)
        }
    }

    @Test("a fixed-width ledger read with a layout")
    func fixedWidthLedger() async throws {
        let details = [Self.detail(1), Self.detail(2), Self.detail(3)]
        var ledgerDetails = details
        ledgerDetails[1].amountMinor = 900
        ledgerDetails.append(Self.detail(4, "MER4", "USD", 70))
        let directory = try TemporaryDirectory(prefix: "fixed-ledger")
        try writeBytes(Self.settlement(details), to: directory.path + "/settlement.dat")
        try writeBytes(Self.settlement(ledgerDetails), to: directory.path + "/ledger.dat")
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.dat",
                                              "--ledger-layout", "reference"], out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let mismatches = try CSVTable(contentsOfFile: run.outDirectory + "/mismatches.csv").rows
        #expect(mismatches == [
            ["amount_mismatch", Self.arn(2), "MER1", "EUR", "debit", "1000", "MER1", "EUR", "debit", "900", "100", "settlement.dat", "3", "ledger.dat", "3"],
            ["missing_in_settlement", Self.arn(4), "", "", "", "", "MER4", "USD", "debit", "70", "-70", "", "", "ledger.dat", "5"],
        ])
        expectSameBytes(try run.totals(), Array(Records.totalsCSV(details).utf8), "totals.csv counts the settlement file only")
        let both = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.dat", "--ledger-layout",
                                               "reference", "--ledger-spec", "x.yaml"], out: "out2", in: directory.path)
        #expect(both.outcome.exitStatus == 2)
    }
}
