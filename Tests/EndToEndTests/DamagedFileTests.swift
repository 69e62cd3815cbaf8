import Foundation
import Testing

/// Files the generator cannot write, built here record by record: a transfer cut off inside a
/// record, a partial record after the trailer, a file without header and trailer. The run completes
/// (no crash), reports them in rejects.csv and exits 1; the complete records still count.
@Suite("Damaged files")
struct DamagedFileTests {
    typealias Records = ReferenceRecords
    static let details = Records.sampleDetails
    static let lineLength = Records.lineLength

    @Test("a file cut off inside a record: short_record, then missing_trailer")
    func truncatedInsideRecord() async throws {
        let complete = Array(Self.details.prefix(3))
        let cut = Array(Records.detail(Self.details[3]).prefix(70))
        let file = Records.header() + complete.flatMap(Records.detail) + cut
        let run = try await aggregate(file)

        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(run.totals == Records.totalsCSV(complete))
        let rejects = try run.rejects.columns(["file", "record_number", "byte_offset", "reason", "field"])
        try #require(rejects.count == 2, "\(run.rejects)")
        #expect(rejects[0] == ["damaged.dat", "5", String(4 * Self.lineLength), "short_record", ""])
        #expect(rejects[1][3] == "missing_trailer")
        #expect(rejects[1][4] == "")
        #expect(try run.rejects.column("raw")[0] == String(decoding: cut, as: UTF8.self), "raw is the partial record")
        let summary = run.summary
        #expect(summary["result"]?["valid"]?.int == 3)
        #expect(summary["result"]?["rejected_by_reason"]?.members?.mapValues(\.int) == ["short_record": 1, "missing_trailer": 1])
        #expect(summary["result"]?["files"]?[0]?["control_check"]?["status"]?.string == "unavailable")
    }

    @Test("a partial last record after the trailer, without a terminator")
    func partialRecordAfterTrailer() async throws {
        let partial = Array(Records.detail(Self.details[3]).prefix(40))
        let file = Records.header() + Self.details.flatMap(Records.detail) + Records.trailer(for: Self.details) + partial
        let run = try await aggregate(file)

        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(run.totals == Records.totalsCSV(Self.details))
        #expect(try run.rejects.columns(["file", "record_number", "byte_offset", "reason", "field"])
            == [["damaged.dat", "7", String(6 * Self.lineLength), "short_record", ""]])
        let check = try #require(run.summary["result"]?["files"]?[0]?["control_check"])
        #expect(check["status"]?.string == "agree", "the trailer's figures match the complete records")
        #expect(check["count"]?["declared"]?.string == "4")
    }

    @Test("no header and no trailer: missing_header and missing_trailer, details still count")
    func noHeaderNoTrailer() async throws {
        let file = Self.details.flatMap(Records.detail)
        let run = try await aggregate(file)

        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(run.totals == Records.totalsCSV(Self.details))
        let rejects = try run.rejects.columns(["file", "record_number", "reason", "field"])
        #expect(rejects == [["damaged.dat", "0", "missing_header", ""], ["damaged.dat", "0", "missing_trailer", ""]])
        #expect(try run.rejects.column("byte_offset").first == "0")
        let result = try #require(run.summary["result"])
        #expect(result["valid"]?.int == 4)
        #expect(result["records_read"]?.int == 4)
        #expect(result["files"]?[0]?["control_check"]?["status"]?.string == "unavailable")
    }

    @Test("a file holding only part of one record")
    func onlyAPartialRecord() async throws {
        let run = try await aggregate(Array(Records.header().prefix(100)))
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(run.totals == totalsHeaderLine + "\n")
        #expect(try run.rejects.column("reason").contains("short_record"), "\(run.rejects)")
    }

    /// The hand-built records are right: the same file, complete, is clean (exit 0).
    @Test("the hand-built records form a clean file")
    func handBuiltFileIsClean() async throws {
        let file = Records.header() + Self.details.flatMap(Records.detail) + Records.trailer(for: Self.details)
        let run = try await aggregate(file)
        #expect(run.outcome.exitStatus == 0, "\(run.outcome)")
        #expect(run.totals == Records.totalsCSV(Self.details))
        #expect(run.rejects.rows.isEmpty)
    }

    /// What a run on a damaged file left, read before its directory is removed.
    struct Outputs {
        var outcome: ProcessOutcome
        var totals: String
        var rejects: CSVTable
        var summary: JSONValue
    }

    /// Writes `bytes` as damaged.dat and aggregates it with the reference layout; fails the test if
    /// settle did not exit normally (a crash or a hang).
    private func aggregate(_ bytes: [UInt8]) async throws -> Outputs {
        let work = try TemporaryDirectory(prefix: "damaged")
        defer { work.remove() }
        try writeBytes(bytes, to: work.file("damaged.dat"))
        let run = try await AggregateRun.run(["damaged.dat", "--layout", "reference", "--quiet"], out: "out", in: work.path)
        try #require(run.outcome.exitStatus != nil, "settle crashed: \(run.outcome)")
        try #require(FileFacts.exists(run.summaryPath), "no summary.json: \(run.outcome)")
        return Outputs(outcome: run.outcome, totals: String(decoding: try run.totals(), as: UTF8.self), rejects: try run.rejects(),
                       summary: try run.summary())
    }
}
