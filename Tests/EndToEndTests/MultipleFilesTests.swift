import Foundation
import Testing

/// Several files of different layouts in one run: the totals are the sum of each file's ground
/// truth, and the rejects come file by file in command-line order, each file named as given.
@Suite("Several files in one run")
struct MultipleFilesTests {
    /// The same seed and merchant count give the same merchant population, so most merchant and
    /// currency keys appear in both files and have to be summed.
    static let reference = DatasetSpec(layout: "reference", records: 3_000, merchants: 80, seed: 301, faults: 0.03)
    static let wide = DatasetSpec(layout: "wide", records: 2_000, merchants: 80, seed: 301, faults: 0.03)

    @Test("totals are the merged ground truths; rejects in command-line order", arguments: [false, true])
    func mergedRun(wideFirst: Bool) async throws {
        let work = try TemporaryDirectory(prefix: "multi")
        defer { work.remove() }
        // One file named relative to the working directory, the other by an absolute path with a
        // comma, which rejects.csv must quote.
        let referenceDataset = try await GeneratedDataset.generate(Self.reference, into: work.file("in/a"))
        let wideDataset = try await GeneratedDataset.generate(Self.wide, into: work.file("b,wide"))
        let referenceName = "in/a/settlement.dat"
        let wideName = wideDataset.settlementPath
        var inputs = [(referenceName, "reference", referenceDataset), (wideName, "wide", wideDataset)]
        if wideFirst { inputs.reverse() }

        let run = try await AggregateRun.run(inputs.flatMap { ["--input", "\($0.0):\($0.1)"] } + ["--workers", "2", "--quiet"],
                                             out: "out", in: work.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try #require(FileFacts.exists(run.summaryPath), "no summary.json: \(run.outcome)")

        let merged = try TotalsSum.merge([referenceDataset.expectedTotals, wideDataset.expectedTotals])
        #expect(merged.sharedKeys > 50, "the two files should share merchant/currency keys")
        expectSameBytes(try run.totals(), Array(merged.csv.utf8), "totals.csv")

        let expectedRejects = inputs.flatMap { name, _, dataset in dataset.expectedRejects.rows.map { [name] + $0 } }
        let rejects = try run.rejects()
        #expect(rejects.header == rejectsHeader)
        expectSameRows(try rejects.columns(["file", "record_number", "byte_offset", "reason", "field"]), expectedRejects, "rejects.csv")
        #expect(try String(contentsOfFile: run.rejectsPath, encoding: .utf8).contains("\n\"\(wideName)\","),
                "a file name with a comma is quoted")

        let result = try #require(try run.summary()["result"])
        let files = try #require(result["files"]?.array)
        #expect(files.map { $0["path"]?.string } == inputs.map { $0.0 })
        #expect(files.map { $0["layout"]?.string } == inputs.map { $0.1 })
        #expect(files.map { $0["control_check"]?["status"]?.string } == ["explained", "explained"])
        #expect(files.map { $0["valid"]?.int } == inputs.map { $0.2.expectedSummary.valid })
        #expect(files.map { $0["rejected"]?.int } == inputs.map { $0.2.expectedSummary.rejected })
        #expect(result["valid"]?.int == referenceDataset.expectedSummary.valid + wideDataset.expectedSummary.valid)
        #expect(result["rejected"]?.int == referenceDataset.expectedSummary.rejected + wideDataset.expectedSummary.rejected)
    }

    /// A positional file with --layout and another with --input in the same run.
    @Test("positional file with --layout plus --input")
    func positionalAndInput() async throws {
        let work = try TemporaryDirectory(prefix: "mixed")
        defer { work.remove() }
        let referenceDataset = try await GeneratedDataset.generate(Self.reference, into: work.file("a"))
        let wideDataset = try await GeneratedDataset.generate(Self.wide, into: work.file("b"))
        let run = try await AggregateRun.run(["a/settlement.dat", "--layout", "reference", "--input", "b/settlement.dat:wide", "--quiet"],
                                             out: "out", in: work.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let merged = try TotalsSum.merge([referenceDataset.expectedTotals, wideDataset.expectedTotals])
        expectSameBytes(try run.totals(), Array(merged.csv.utf8), "totals.csv")
        #expect(try run.rejects().column("file") == referenceDataset.expectedRejects.rows.map { _ in "a/settlement.dat" }
            + wideDataset.expectedRejects.rows.map { _ in "b/settlement.dat" })
    }
}

/// Sums totals.csv files row by row where merchant and currency are equal, in the test's own code.
enum TotalsSum {
    struct Merged {
        var csv: String
        /// Keys found in more than one input.
        var sharedKeys: Int
    }

    static func merge(_ files: [[UInt8]]) throws -> Merged {
        var sums: [String: [Int]] = [:]
        var seen: [String: Int] = [:]
        for file in files {
            let table = try CSVTable(parsing: file)
            guard table.header.joined(separator: ",") == totalsHeaderLine else {
                throw FileProblem(path: "expected/totals.csv", problem: "unexpected header \(table.header)")
            }
            for row in table.rows {
                let key = row[0] + "," + row[1]
                let values = try row[2...].map { cell in
                    guard let value = Int(cell) else { throw FileProblem(path: "expected/totals.csv", problem: "not a number: \(cell)") }
                    return value
                }
                sums[key] = zip(sums[key] ?? Array(repeating: 0, count: values.count), values).map { $0 + $1 }
                seen[key, default: 0] += 1
            }
        }
        var csv = totalsHeaderLine + "\n"
        for key in sums.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let values = sums[key]!
            // net = debit - credit - fee must hold for the sum as for each part.
            guard values[5] == values[1] - values[3] - values[4] else {
                throw FileProblem(path: "expected/totals.csv", problem: "net of \(key) is not debit - credit - fee")
            }
            csv += key + "," + values.map(String.init).joined(separator: ",") + "\n"
        }
        return Merged(csv: csv, sharedKeys: seen.values.filter { $0 > 1 }.count)
    }
}
