import Foundation
import SettleEngine
import SettleGenerator
import Testing

/// Tests of the ledger `settle generate --layout nacha` writes and its reconciliation ground truth
/// (`mismatches.csv`, `reconciliation.csv`, `ledger_rejects.csv`, the summary's `reconciliation`),
/// against an independent recount: `NachaRecount` reads the entries (trace number at 80-94, the
/// batch header's merchant key, amount, transaction code) from the file, `LedgerReading` reads the
/// ledger, and `ReconciliationRecount` pairs them by the contract's rules, in plain test code.
struct NachaLedgerTests {
    static func generate(entries: Int = 6_000, merchants: Int = 300, seed: UInt64, faults: Double, style: LedgerStyle,
                         files: Int = 1) throws -> (directory: String, report: NachaGenerationReport) {
        let directory = GeneratorTests.temporaryDirectory("nacha-ledger")
        let options = try NachaGeneratorOptions(entries: entries, merchants: merchants, seed: seed, faultRate: faults,
                                                outputDirectory: directory, ledgerStyle: style, ledgerFiles: files)
        return (directory, try NachaGenerator.run(options))
    }

    static let mismatchesHeader = "kind,arn,merchant_id,currency,direction,settled_amount,ledger_merchant_id,ledger_currency,"
        + "ledger_direction,ledger_amount,difference,file,record_number,ledger_file,ledger_line\n"

    /// The kinds a ledger fault can cause; the NACHA file itself gets no fault, so never
    /// `duplicate_in_settlement` or `settlement_rejected`.
    static let ledgerKinds: Set = ["amount_mismatch", "currency_mismatch", "direction_mismatch", "duplicate_in_ledger",
                                   "merchant_mismatch", "missing_in_ledger", "missing_in_settlement"]

    @Test(arguments: [
        (LedgerStyle.plain, 0.0, 1), (.plain, 0.04, 1), (.plain, 0.04, 3), (.messy, 0.04, 2), (.signed, 0.04, 1), (.messy, 0.0, 1),
    ])
    func groundTruthAgreesWithRecount(style: LedgerStyle, faults: Double, files: Int) throws {
        let run = try Self.generate(seed: 29, faults: faults, style: style, files: files)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let settlement = NachaRecount(file: try NachaGeneratorTests.bytes(run.directory, "settlement.ach"))
        #expect(settlement.problems.isEmpty, "\(settlement.problems.prefix(5))")
        let names = GeneratorReconciliationTests.ledgerNames(files)
        let ledger = try LedgerReading(directory: run.directory, files: names, style: style, referenceWidth: 15)
        #expect(ledger.problems.isEmpty, "\(ledger.problems.prefix(5))")
        #expect(FileManager.default.fileExists(atPath: run.directory + "/ledger-spec.yaml") == (style != .plain))
        let recount = ReconciliationRecount(occurrences: settlement.occurrences, order: settlement.occurrenceOrder,
                                            settlementFile: "settlement.ach", ledger: ledger)

        #expect(try GeneratorTests.text(run.directory, "expected/totals.csv") == settlement.totalsCSV())
        try recount.expectGroundTruth(in: run.directory, ledger: ledger)
        let mismatches = try GeneratorTests.text(run.directory, "expected/mismatches.csv")
        #expect(run.report.ledgerRows == ledger.rowCount)
        #expect(run.report.mismatches == recount.rows.count)
        #expect(run.report.ledgerRejected == ledger.rejects.count)

        #expect(recount.settled.count == 6_000)
        if faults == 0 {
            // One row per entry, in file order, saying what the entry says.
            #expect(mismatches == Self.mismatchesHeader)
            #expect(recount.matched.count == 6_000)
            #expect(ledger.rows.map(\.reference) == settlement.occurrenceOrder)
        } else {
            #expect(Set(recount.countsByKind.filter { $0.value > 0 }.keys) == Self.ledgerKinds)
            let reasons: Set<String> = switch style {
            case .plain: []
            case .messy: ["bad_amount", "bad_code", "bad_row", "blank_field"]
            case .signed: ["bad_amount", "bad_row", "blank_field"]
            }
            #expect(Set(ledger.rejects.map(\.reason)) == reasons)
        }
    }

    /// The ledger describes the file without changing it: settlement.ach and totals.csv are the same
    /// bytes whatever the fault rate, style and number of ledger files; the ledger's bytes are the
    /// same for the same seed and options.
    @Test func ledgerLeavesTheFileAloneAndIsDeterministic() throws {
        let clean = try Self.generate(entries: 3_000, merchants: 80, seed: 53, faults: 0, style: .plain)
        let first = try Self.generate(entries: 3_000, merchants: 80, seed: 53, faults: 0.05, style: .messy, files: 2)
        let second = try Self.generate(entries: 3_000, merchants: 80, seed: 53, faults: 0.05, style: .messy, files: 2)
        defer { for run in [clean, first, second] { try? FileManager.default.removeItem(atPath: run.directory) } }
        for file in ["settlement.ach", "expected/totals.csv", "expected/rejects.csv"] {
            #expect(try NachaGeneratorTests.bytes(clean.directory, file) == NachaGeneratorTests.bytes(first.directory, file), "\(file)")
        }
        for file in ["ledger.csv", "ledger-2.csv", "ledger-spec.yaml", "expected/mismatches.csv", "expected/reconciliation.csv",
                     "expected/ledger_rejects.csv", "expected/ledger_faults.csv", "expected/summary.json"] {
            let bytes = try NachaGeneratorTests.bytes(first.directory, file)
            #expect(!bytes.isEmpty, "\(file) is empty")
            #expect(bytes == (try NachaGeneratorTests.bytes(second.directory, file)), "\(file) differs between two runs")
        }
        #expect(try NachaGeneratorTests.bytes(clean.directory, "ledger.csv") != NachaGeneratorTests.bytes(first.directory, "ledger.csv"))
    }

    /// What the ledger rows hold, read at the positions: the trace number with its leading zeros
    /// (and, in the messy style, sometimes without them), merchant keys quoted when they hold a
    /// comma, ADV and IAT entries, prenotes of amount 0, and never-settled rows whose traces start
    /// with a routing no entry has.
    @Test func ledgerRowsShowTracesKeysAndEveryKindOfEntry() throws {
        let run = try Self.generate(entries: 20_000, merchants: 600, seed: 2, faults: 0.02, style: .plain)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let settlement = NachaRecount(file: try NachaGeneratorTests.bytes(run.directory, "settlement.ach"))
        let ledger = try LedgerReading(directory: run.directory, files: ["ledger.csv"], style: .plain, referenceWidth: 15)
        let raw = ledger.rawRows
        #expect(raw.allSatisfy { $0.fields[0].count == 15 && $0.fields[0].allSatisfy(\.isNumber) })
        #expect(raw.contains { $0.fields[0].hasPrefix("0") }, "a trace with a leading zero")
        #expect(raw.contains { $0.quoted[1] && $0.fields[1].contains(",") }, "a quoted merchant key")
        #expect(raw.contains { !$0.fields[1].contains("|") }, "an IAT key (the id alone)")
        #expect(raw.contains { $0.fields[3] == "0" }, "a prenote or zero-dollar entry")
        #expect(raw.contains { $0.fields[2] != "USD" }, "a currency difference")
        #expect(Set(settlement.occurrences.values.joined().map(\.recordNumber)).count == 20_000)
        let unsettled = ledger.rows.filter { settlement.occurrences[$0.reference] == nil }
        #expect(!unsettled.isEmpty)
        #expect(unsettled.allSatisfy { $0.reference.hasPrefix("19000000") })
        #expect(settlement.occurrenceOrder.allSatisfy { !$0.hasPrefix("19") })

        let messy = try Self.generate(entries: 4_000, merchants: 100, seed: 2, faults: 0.02, style: .messy)
        defer { try? FileManager.default.removeItem(atPath: messy.directory) }
        let messyLedger = try LedgerReading(directory: messy.directory, files: ["ledger.csv"], style: .messy, referenceWidth: 15)
        #expect(messyLedger.rawRows.contains { $0.fields.count > 4 && $0.fields[4].trimmingCharacters(in: .whitespaces).count < 15 },
                "a trace without its leading zeros")
        let arns = try GeneratorTests.text(messy.directory, "expected/mismatches.csv").split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        #expect(arns.contains { $0.count == 15 && $0.hasPrefix("0") }, "a trace with leading zeros in the truth, as the file has it")
    }

    @Test func ledgerOptionsAreChecked() {
        #expect(NachaGeneratorOptions.problem(entries: 10, merchants: 10, seed: 1, faultRate: 0.6)?.contains("--faults") == true)
        #expect(NachaGeneratorOptions.problem(entries: 10, merchants: 10, seed: 1, faultRate: 0.01, ledgerFiles: 0)?
            .contains("--ledger-files") == true)
        #expect(NachaGeneratorOptions.problem(entries: 10, merchants: 10, seed: 1, faultRate: 0.5, ledgerFiles: 1_000) == nil)
    }
}
