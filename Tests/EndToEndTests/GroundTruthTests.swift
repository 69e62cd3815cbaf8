import Foundation
import Testing

/// `settle aggregate` on generated files: totals.csv byte for byte, and the rejects' positions, equal
/// what the generator recorded while writing the file.
@Suite("Outputs equal the generator's ground truth")
struct GroundTruthTests {
    static let datasets = [
        DatasetSpec(layout: "reference", records: 6_000, merchants: 300, seed: 101, faults: 0.03),
        DatasetSpec(layout: "reference", records: 6_000, merchants: 300, seed: 102, faults: 0),
        DatasetSpec(layout: "wide", records: 6_000, merchants: 300, seed: 103, faults: 0.03),
        DatasetSpec(layout: "wide", records: 6_000, merchants: 300, seed: 104, faults: 0),
    ]

    @Test("totals.csv and rejects equal the ground truth", arguments: datasets)
    func outputsEqualGroundTruth(_ spec: DatasetSpec) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "truth")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", spec.layout, "--quiet"], out: out.path, in: dataset.directory)

        #expect(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        try #require(FileFacts.exists(run.totalsPath), "no totals.csv: \(run.outcome)")
        expectSameBytes(try run.totals(), dataset.expectedTotals, "totals.csv")

        let rejects = try run.rejects()
        #expect(rejects.header == rejectsHeader)
        expectSameRows(try run.rejectPositions(), dataset.expectedRejects.rows, "rejects.csv (record_number, byte_offset, reason, field)")
        #expect(try rejects.column("file").allSatisfy { $0 == "settlement.dat" })
        if spec.faults > 0 {
            #expect(dataset.expectedRejects.rows.count > 20, "the fault rate should give rejects of every kind")
            #expect(Set(try rejects.column("reason")) == Set(dataset.expectedSummary.rejectedByReason.keys))
        } else {
            #expect(rejects.rows.isEmpty)
            #expect(try String(contentsOfFile: run.rejectsPath, encoding: .utf8) == rejectsHeader.joined(separator: ",") + "\n")
        }
        let file = try #require(try run.summary()["result"]?["files"]?[0])
        #expect(file["control_check"]?["status"]?.string == (spec.faults > 0 ? "explained" : "agree"))
    }

    /// The raw column of rejects.csv repeats the record as read, except the sensitive card number.
    @Test("rejects.csv shows each record as read, with the PAN masked")
    func rawColumnMasksPAN() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.datasets[2])
        let out = try TemporaryDirectory(prefix: "pan")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "wide", "--quiet"], out: out.path, in: dataset.directory)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let file = try readBytes(dataset.settlementPath)
        let panRange = 49..<65  // wide.yaml: pan, start 50, length 16
        var checked = 0
        for row in try run.rejects().columns(["byte_offset", "reason", "raw"]) where row[1] != "short_record" {
            let byteOffset = try #require(Int(row[0]))
            let raw = Array(row[2].utf8)
            let record = Array(file[byteOffset..<(byteOffset + 200)])
            try #require(raw.count == 200, "raw of the record at byte \(byteOffset) is \(raw.count) bytes")
            #expect(raw[..<panRange.lowerBound] == record[..<panRange.lowerBound], "record at byte \(byteOffset)")
            #expect(raw[panRange.upperBound...] == record[panRange.upperBound...], "record at byte \(byteOffset)")
            #expect(raw[panRange] != record[panRange], "the PAN of the record at byte \(byteOffset) is not masked")
            #expect(!row[2].contains(String(decoding: record[panRange], as: UTF8.self)))
            checked += 1
        }
        #expect(checked > 20)
    }
}
