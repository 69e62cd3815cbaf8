import Foundation
import Testing

/// `settle aggregate --layout nacha --ledger` on NACHA files and ledgers written by
/// `settle generate --layout nacha`: totals.csv, mismatches.csv and reconciliation.csv byte for byte,
/// the ledger rejects and the summary's `reconciliation` object equal the generator's ground truth
/// (the reference is the trace number, 80-94; the merchant the batch header's composed key), whatever
/// the ledger style and files, the workers and the partition size (partitions of 4099 bytes cut
/// batches and entries anywhere).
@Suite("NACHA reconciliation equals the generator's ground truth")
struct NachaLedgerGroundTruthTests {
    static let datasets = [
        ReconciliationDataset.Spec(layout: "nacha", records: 6_000, seed: 701, faults: 0.03, style: "plain", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "nacha", records: 6_000, seed: 702, faults: 0, style: "plain", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "nacha", records: 6_000, seed: 703, faults: 0.03, style: "messy", ledgerFiles: 2),
        ReconciliationDataset.Spec(layout: "nacha", records: 6_000, seed: 704, faults: 0.03, style: "signed", ledgerFiles: 1),
    ]

    static let resources = [
        ReconciliationGroundTruthTests.Resources(workers: 1, partitionSize: "4099", memory: "8M"),
        ReconciliationGroundTruthTests.Resources(workers: 2, partitionSize: "4099", memory: "8M"),
        ReconciliationGroundTruthTests.Resources(workers: 1, partitionSize: "1G", memory: "1G"),
        ReconciliationGroundTruthTests.Resources(workers: 2, partitionSize: "1G", memory: "1G"),
    ]

    @Test("mismatches, reconciliation, totals, rejects and summary equal the ground truth", arguments: datasets, resources)
    func outputsEqualGroundTruth(_ spec: ReconciliationDataset.Spec, _ resources: ReconciliationGroundTruthTests.Resources) async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "nacha-reconcile")
        defer { out.remove() }
        let run = try await AggregateRun.run(spec.aggregateArguments + resources.arguments + ["--quiet"], out: out.path,
                                             in: dataset.directory)
        try dataset.expectOutputs(of: run)
        // Faults off: nothing to report, so exit 0; faults on: mismatches (and, messy, ledger rejects), so exit 1.
        #expect(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        #expect(dataset.hasFindings == (spec.faults > 0))
        #expect(dataset.expectedRejects.rows.isEmpty, "the NACHA file itself is valid")
        let facts = try #require(try run.summary()["run"])
        #expect(facts["workers"]?.int == resources.workers)
        let partitions = facts["partitions"]?.array?.count ?? 0
        #expect(resources.partitionSize == "1G" ? partitions == 1 + spec.ledgerFiles : partitions > 2 * spec.ledgerFiles,
                "\(partitions) partitions")
    }

    /// The ground truth holds every kind of mismatch a ledger fault makes, and NACHA's own shapes: a
    /// merchant key quoted for its comma, a trace number with a leading zero.
    @Test("the ground truth holds every ledger mismatch kind")
    func groundTruthHasEveryLedgerKind() async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(Self.datasets[2])
        let kinds = Set(try dataset.expectedMismatches.column("kind"))
        #expect(kinds == ["amount_mismatch", "currency_mismatch", "direction_mismatch", "duplicate_in_ledger", "merchant_mismatch",
                          "missing_in_ledger", "missing_in_settlement"])
        #expect(Set(try dataset.expectedLedgerRejects.column("reason")) == ["bad_amount", "bad_code", "bad_row", "blank_field"])
        #expect(try dataset.expectedMismatches.column("arn").contains { $0.count == 15 && $0.hasPrefix("0") })
        #expect(try dataset.expectedMismatches.column("merchant_id").contains { $0.contains(",") })
        #expect(try dataset.expectedMismatches.column("file").allSatisfy { $0.isEmpty || $0 == "settlement.ach" })
    }
}
