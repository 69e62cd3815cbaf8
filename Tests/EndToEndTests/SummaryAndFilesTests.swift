import Foundation
import Testing

/// summary.json agrees with the published files and the generator's figures; outputs are published
/// with mode 0640; the work directory goes away after a completed run unless asked to stay.
@Suite("summary.json, file modes and the work directory")
struct SummaryAndFilesTests {
    static let datasets = [
        DatasetSpec(layout: "reference", records: 4_000, merchants: 200, seed: 501, faults: 0.03),
        DatasetSpec(layout: "wide", records: 4_000, merchants: 200, seed: 502, faults: 0),
    ]

    @Test("summary.json: schema, digests of the outputs, figures of the ground truth", arguments: datasets)
    func summaryMatches(_ spec: DatasetSpec) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "summary")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", spec.layout, "--quiet"], out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        let summary = try run.summary()
        let expected = dataset.expectedSummary
        let faulty = spec.faults > 0

        #expect(summary["schema"]?.int == 1)
        #expect((summary["run_id"]?.string ?? "").count >= 8)
        #expect(summary["status"]?.string == (faulty ? "completed_with_findings" : "completed"))
        for (name, path) in [("totals.csv", run.totalsPath), ("rejects.csv", run.rejectsPath)] {
            let published = try #require(summary["outputs"]?[name], "outputs.\(name) missing")
            let digest = try await FileFacts.sha256(path)
            #expect(published["sha256"]?.string == digest, "\(name)")
            #expect(published["bytes"]?.int == (try readBytes(path)).count, "\(name)")
        }

        let result = try #require(summary["result"])
        let shortRecords = expected.rejectedByReason["short_record"] ?? 0
        #expect(result["records_read"]?.int == expected.records + 2 + shortRecords, "details, header, trailer, partial record")
        #expect(result["valid"]?.int == expected.valid)
        #expect(result["rejected"]?.int == expected.rejected)
        #expect(result["rejected_by_reason"]?.members?.mapValues(\.int) == expected.rejectedByReason.mapValues { $0 })
        let totals = try #require(result["totals"])
        #expect(totals["rows"]?.int == expected.totalsRows)
        #expect(totals["debit_amount"]?.string == expected.validDebit)
        #expect(totals["credit_amount"]?.string == expected.validCredit)
        #expect(totals["fee_amount"]?.string == expected.validFee)

        let files = try #require(result["files"]?.array)
        try #require(files.count == 1)
        #expect(files[0]["path"]?.string == "settlement.dat")
        #expect(files[0]["size_bytes"]?.int == (try readBytes(dataset.settlementPath)).count)
        let check = try #require(files[0]["control_check"])
        #expect(check["status"]?.string == (faulty ? "explained" : "agree"))
        #expect(check["count"]?["declared"]?.string == String(expected.controlCount))
        #expect(check["count"]?["valid_records"]?.string == String(expected.valid))
        #expect(check["debit"]?["declared"]?.string == expected.controlDebit)
        #expect(check["debit"]?["valid_records"]?.string == expected.validDebit)
        #expect(check["credit"]?["declared"]?.string == expected.controlCredit)
        #expect(check["credit"]?["valid_records"]?.string == expected.validCredit)
        #expect(check["fee"]?["declared"]?.string == expected.controlFee)
        #expect(check["fee"]?["valid_records"]?.string == expected.validFee)
        if faulty {
            #expect(check["count"]?["unexplained"]?.string == "0")
        } else {
            for figure in ["count", "debit", "credit", "fee"] { #expect(check[figure]?["difference"]?.string == "0", "\(figure)") }
        }
    }

    @Test("outputs are published with mode 0640", arguments: datasets)
    func outputModes(_ spec: DatasetSpec) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "modes")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", spec.layout, "--quiet"], out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        for path in [run.totalsPath, run.rejectsPath, run.summaryPath, out.path + "/report.html"] {
            #expect(FileFacts.octal(try FileFacts.mode(path)) == "0640", "\(path)")
        }
        // Nothing but the three outputs and the report is left in the output directory.
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(left == ["rejects.csv", "report.html", "summary.json", "totals.csv"])
    }

    @Test("work directory: removed after a completed run, kept with --keep-work (mode 0700)", arguments: datasets)
    func workDirectory(_ spec: DatasetSpec) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "work")
        defer { out.remove() }
        let status: Int32 = spec.faults > 0 ? 1 : 0
        // Small partitions, so there are spill runs in the work directory.
        let base = ["settlement.dat", "--layout", spec.layout, "--quiet", "--partition-size", "64K", "--workers", "2"]

        let plain = try await AggregateRun.run(base, out: out.path + "/plain", in: dataset.directory)
        #expect(plain.outcome.exitStatus == status, "\(plain.outcome)")
        #expect(FileFacts.exists(plain.totalsPath))
        #expect(!FileFacts.exists(plain.outDirectory + "/.settle-work"), "default work directory left behind")

        let kept = try await AggregateRun.run(base + ["--keep-work"], out: out.path + "/kept", in: dataset.directory)
        #expect(kept.outcome.exitStatus == status, "\(kept.outcome)")
        let keptWork = kept.outDirectory + "/.settle-work"
        try #require(FileFacts.isDirectory(keptWork), "--keep-work: no \(keptWork)")
        #expect(FileFacts.octal(try FileFacts.mode(keptWork)) == "0700")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: keptWork)).isEmpty, "kept work directory is empty")
        #expect(try kept.totals() == (try plain.totals()))

        let explicitWork = out.path + "/scratch"
        let elsewhere = try await AggregateRun.run(base + ["--work", explicitWork], out: out.path + "/elsewhere", in: dataset.directory)
        #expect(elsewhere.outcome.exitStatus == status, "\(elsewhere.outcome)")
        #expect(!FileFacts.exists(explicitWork), "--work directory left behind without --keep-work")
        #expect(!FileFacts.exists(elsewhere.outDirectory + "/.settle-work"))

        let keptElsewhere = try await AggregateRun.run(base + ["--work", explicitWork, "--keep-work"], out: out.path + "/kept-elsewhere",
                                                       in: dataset.directory)
        #expect(keptElsewhere.outcome.exitStatus == status, "\(keptElsewhere.outcome)")
        try #require(FileFacts.isDirectory(explicitWork), "--work --keep-work: no \(explicitWork)")
        #expect(FileFacts.octal(try FileFacts.mode(explicitWork)) == "0700")
        #expect(try keptElsewhere.totals() == dataset.expectedTotals)
    }
}
