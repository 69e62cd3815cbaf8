import Foundation
import Synchronization
import Testing

/// `settle aggregate --ledger` on generated files: mismatches.csv and reconciliation.csv byte for
/// byte, the ledger rejects and the summary's `reconciliation` object equal what the generator
/// recorded while writing the settlement file and its ledger, whatever the ledger style, the number of
/// ledger files, the workers, the partition size and the memory budget.
@Suite("Reconciliation equals the generator's ground truth")
struct ReconciliationGroundTruthTests {
    static let datasets = [
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 601, faults: 0.03, style: "plain", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 602, faults: 0, style: "plain", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 603, faults: 0.03, style: "plain", ledgerFiles: 3),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 604, faults: 0.03, style: "messy", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 605, faults: 0.03, style: "messy", ledgerFiles: 4),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 606, faults: 0.03, style: "signed", ledgerFiles: 2),
        ReconciliationDataset.Spec(layout: "reference", records: 6_000, seed: 607, faults: 0, style: "messy", ledgerFiles: 2),
        ReconciliationDataset.Spec(layout: "wide", records: 6_000, seed: 608, faults: 0.03, style: "messy", ledgerFiles: 2),
        ReconciliationDataset.Spec(layout: "wide", records: 6_000, seed: 609, faults: 0, style: "signed", ledgerFiles: 1),
        // Faults everywhere in a small file: the last transaction's ledger row is doubled, and its
        // second row is settlement_rejected against the partial record after the trailer.
        partialRecordDataset,
    ]

    static let partialRecordDataset = ReconciliationDataset.Spec(layout: "reference", records: 40, merchants: 20, seed: 2,
                                                                 faults: 0.5, style: "plain", ledgerFiles: 1)

    @Test("mismatches, reconciliation, rejects and summary equal the ground truth", arguments: datasets)
    func outputsEqualGroundTruth(_ spec: ReconciliationDataset.Spec) async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "reconcile")
        defer { out.remove() }
        let run = try await AggregateRun.run(spec.aggregateArguments + ["--quiet"], out: out.path, in: dataset.directory)
        try dataset.expectOutputs(of: run)
        // Faults off: nothing to report, so exit 0; faults on: mismatches and rejects, so exit 1.
        #expect(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        #expect(dataset.hasFindings == (spec.faults > 0))
    }

    /// Resource options of one run: workers, partition size and memory budget.
    struct Resources: Sendable, CustomTestStringConvertible {
        var workers: Int
        var partitionSize: String
        var memory: String

        var arguments: [String] { ["--workers", String(workers), "--partition-size", partitionSize, "--memory", memory] }
        var testDescription: String { "workers \(workers), partition \(partitionSize), memory \(memory)" }
    }

    static let resources = [
        Resources(workers: 1, partitionSize: "4099", memory: "8M"),
        Resources(workers: 2, partitionSize: "4099", memory: "8M"),
        Resources(workers: 2, partitionSize: "64K", memory: "8M"),
        Resources(workers: 1, partitionSize: "1G", memory: "8M"),
        Resources(workers: 2, partitionSize: "1G", memory: "1G"),
    ]

    /// Small partitions split the ledger files too; a tiny memory budget makes the join spill.
    static let resourceDatasets = [
        ReconciliationDataset.Spec(layout: "reference", records: 3_000, seed: 611, faults: 0.04, style: "messy", ledgerFiles: 3),
        ReconciliationDataset.Spec(layout: "wide", records: 3_000, seed: 612, faults: 0.04, style: "plain", ledgerFiles: 2),
    ]

    @Test("the same outputs whatever the workers, partition size and memory", arguments: resourceDatasets, resources)
    func outputsDoNotDependOnResources(_ spec: ReconciliationDataset.Spec, _ resources: Resources) async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "reconcile-resources")
        defer { out.remove() }
        let run = try await AggregateRun.run(spec.aggregateArguments + resources.arguments + ["--quiet"], out: out.path,
                                             in: dataset.directory)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try dataset.expectOutputs(of: run)
        let facts = try #require(try run.summary()["run"])
        #expect(facts["workers"]?.int == resources.workers)
    }

    /// The generator injects every mismatch kind and every ledger reject reason, so the comparisons
    /// above cover them all.
    @Test("the ground truth holds every kind of mismatch")
    func groundTruthHasEveryKind() async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(Self.datasets[4])
        let kinds = Set(try dataset.expectedMismatches.column("kind"))
        #expect(kinds == Set(ReconciliationDataset.kinds))
        let byKind = try #require(dataset.expectedReconciliation["mismatches_by_kind"]?.members)
        #expect(byKind.keys.sorted() == ReconciliationDataset.kinds)
        #expect(byKind.values.allSatisfy { ($0.int ?? 0) > 0 })
        #expect(Set(try dataset.expectedLedgerRejects.column("reason")) == ["bad_amount", "bad_code", "bad_row", "blank_field"])
        // Some references lost their leading zeros in the ledger, and some ledger copies sit in a
        // later ledger file than their first row.
        #expect(try dataset.expectedMismatches.column("arn").contains { $0.hasPrefix("0") })
        let duplicates = dataset.expectedMismatches.rows.filter { $0[0] == "duplicate_in_ledger" }
        #expect(duplicates.contains { $0[13] != "ledger.csv" })

        // The partial record after the trailer counts as a rejected record of its reference.
        let small = try await ReconciliationDatasets.shared.dataset(Self.partialRecordDataset)
        let partial = try #require(small.expectedRejects.rows.last)
        #expect(partial[2] == "short_record")
        #expect(small.expectedMismatches.rows.contains { $0[0] == "settlement_rejected" && $0[12] == partial[0] })
    }
}

/// A settlement file and its ledger written by `settle generate`, with the reconciliation ground truth
/// loaded.
struct ReconciliationDataset: Sendable {
    static let kinds = ["amount_mismatch", "currency_mismatch", "direction_mismatch", "duplicate_in_ledger",
                        "duplicate_in_settlement", "merchant_mismatch", "missing_in_ledger", "missing_in_settlement",
                        "settlement_rejected"]

    /// What `settle generate` is asked for.
    struct Spec: Sendable, Hashable, CustomTestStringConvertible {
        var layout: String
        var records: Int
        var merchants = 300
        var seed: UInt64
        var faults: Double
        var style: String
        var ledgerFiles: Int

        init(layout: String, records: Int, merchants: Int = 300, seed: UInt64, faults: Double, style: String, ledgerFiles: Int) {
            self.layout = layout
            self.records = records
            self.merchants = merchants
            self.seed = seed
            self.faults = faults
            self.style = style
            self.ledgerFiles = ledgerFiles
        }

        var key: String { "\(layout)-r\(records)-m\(merchants)-s\(seed)-f\(faults)-\(style)-l\(ledgerFiles)" }
        var testDescription: String { "\(layout), \(records) records, \(style) ledger in \(ledgerFiles) file(s), faults \(faults)" }

        var generateArguments: [String] {
            ["--records", String(records), "--merchants", String(merchants), "--seed", String(seed), "--layout", layout,
             "--faults", String(faults), "--ledger-style", style, "--ledger-files", String(ledgerFiles)]
        }

        var ledgerNames: [String] { (0..<ledgerFiles).map { $0 == 0 ? "ledger.csv" : "ledger-\($0 + 1).csv" } }

        /// The settlement file `settle generate` writes: a NACHA file with `--layout nacha`.
        var settlementFile: String { layout == "nacha" ? "settlement.ach" : layout == "mastercard-ipm" ? "settlement.ipm" : "settlement.dat" }

        /// The aggregate command line, relative to the dataset's directory.
        var aggregateArguments: [String] {
            [settlementFile, "--layout", layout] + ledgerNames.flatMap { ["--ledger", $0] }
                + (style == "plain" ? [] : ["--ledger-spec", "ledger-spec.yaml"])
        }
    }

    let spec: Spec
    let directory: String
    let expectedMismatchesBytes: [UInt8]
    let expectedMismatches: CSVTable
    let expectedReconciliationBytes: [UInt8]
    let expectedTotals: [UInt8]
    let expectedRejects: CSVTable
    let expectedLedgerRejects: CSVTable
    /// The `reconciliation` object of expected/summary.json.
    let expectedReconciliation: JSONValue

    /// Whether the run must report anything (and so exit 1).
    var hasFindings: Bool {
        !expectedMismatches.rows.isEmpty || !expectedRejects.rows.isEmpty || !expectedLedgerRejects.rows.isEmpty
    }

    static func generate(_ spec: Spec, into directory: String) async throws -> ReconciliationDataset {
        let outcome = try await Subprocess.settle(["generate"] + spec.generateArguments + ["--out", directory])
        guard outcome.exitStatus == 0 else { throw FileProblem(path: directory, problem: "settle generate failed:\n\(outcome)") }
        let expected = directory + "/expected/"
        let mismatches = try readBytes(expected + "mismatches.csv")
        let summary = try JSONValue(contentsOfFile: expected + "summary.json")
        guard let reconciliation = summary["reconciliation"] else {
            throw FileProblem(path: expected + "summary.json", problem: "no reconciliation object")
        }
        return ReconciliationDataset(
            spec: spec, directory: directory, expectedMismatchesBytes: mismatches,
            expectedMismatches: try CSVTable(parsing: mismatches),
            expectedReconciliationBytes: try readBytes(expected + "reconciliation.csv"),
            expectedTotals: try readBytes(expected + "totals.csv"),
            expectedRejects: try CSVTable(contentsOfFile: expected + "rejects.csv"),
            expectedLedgerRejects: try CSVTable(contentsOfFile: expected + "ledger_rejects.csv"),
            expectedReconciliation: reconciliation)
    }

    /// Checks every output of `run` against the ground truth.
    func expectOutputs(of run: AggregateRun, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileFacts.exists(run.outDirectory + "/mismatches.csv"), "no mismatches.csv: \(run.outcome)",
                     sourceLocation: sourceLocation)
        expectSameBytes(try readBytes(run.outDirectory + "/mismatches.csv"), expectedMismatchesBytes, "mismatches.csv",
                        sourceLocation: sourceLocation)
        expectSameBytes(try readBytes(run.outDirectory + "/reconciliation.csv"), expectedReconciliationBytes,
                        "reconciliation.csv", sourceLocation: sourceLocation)
        expectSameBytes(try run.totals(), expectedTotals, "totals.csv", sourceLocation: sourceLocation)

        // rejects.csv: the settlement file's rejects as the generator listed them; the ledger's by file
        // and line, each at the byte where its line starts.
        let rejects = try run.rejects()
        #expect(rejects.header == rejectsHeader, sourceLocation: sourceLocation)
        let rows = try rejects.columns(["file", "record_number", "byte_offset", "reason", "field"])
        let settlementRows = rows.filter { $0[0] == spec.settlementFile }.map { Array($0.dropFirst()) }
        expectSameRows(settlementRows, expectedRejects.rows, "rejects.csv (\(spec.settlementFile))", sourceLocation: sourceLocation)
        let names = spec.ledgerNames
        let ledgerRows = rows.filter { names.contains($0[0]) }
            .sorted { (names.firstIndex(of: $0[0])!, Int($0[1]) ?? 0) < (names.firstIndex(of: $1[0])!, Int($1[1]) ?? 0) }
        #expect(settlementRows.count + ledgerRows.count == rows.count, "rejects of unknown files", sourceLocation: sourceLocation)
        expectSameRows(ledgerRows.map { [$0[0], $0[1], $0[3], $0[4]] }, expectedLedgerRejects.rows,
                       "rejects.csv (ledger files: file, line, reason, field)", sourceLocation: sourceLocation)
        var lineStarts: [String: [Int]] = [:]
        for row in ledgerRows {
            if lineStarts[row[0]] == nil {
                let bytes = try readBytes(directory + "/" + row[0])
                lineStarts[row[0]] = [0] + bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
            }
            let line = try #require(Int(row[1]), sourceLocation: sourceLocation)
            let starts = lineStarts[row[0]]!
            #expect(line >= 2 && line <= starts.count && row[2] == String(starts[line - 1]),
                    "ledger reject \(row[0]) line \(row[1]) at byte \(row[2])", sourceLocation: sourceLocation)
        }

        // summary.json: the reconciliation object exactly.
        let summary = try run.summary()
        #expect(summary["result"]?["reconciliation"] == expectedReconciliation, sourceLocation: sourceLocation)
    }
}

/// Reconciliation datasets shared by the tests that only read them, generated once per process on
/// first use into a directory removed when the test process exits.
actor ReconciliationDatasets {
    static let shared = ReconciliationDatasets()

    private var tasks: [ReconciliationDataset.Spec: Task<ReconciliationDataset, any Error>] = [:]
    private var root: String?

    func dataset(_ spec: ReconciliationDataset.Spec) async throws -> ReconciliationDataset {
        if let task = tasks[spec] { return try await task.value }
        let directory = try rootDirectory() + "/" + spec.key
        let task = Task { try await ReconciliationDataset.generate(spec, into: directory) }
        tasks[spec] = task
        return try await task.value
    }

    private func rootDirectory() throws -> String {
        if let root { return root }
        let directory = try TemporaryDirectory(prefix: "reconciliation-shared").path
        root = directory
        Self.removeAtExit(directory)
        return directory
    }

    private static let pathToRemove = Mutex<String?>(nil)

    private static func removeAtExit(_ directory: String) {
        pathToRemove.withLock { $0 = directory }
        atexit {
            guard ProcessInfo.processInfo.environment["SETTLE_E2E_KEEP"] == nil,
                  let directory = ReconciliationDatasets.pathToRemove.withLock({ $0 }) else { return }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
