import Foundation
import Testing

/// Issue 15, item 12: no temporary file of Settle's stays in --out (a failed publish, a second
/// SIGINT during the report, a killed run's leftovers at the next run), a report.html that cannot
/// be written stops the run before the new set is published, and `--excel-safe`.
@Suite("Output temporaries and --excel-safe")
struct OutputTemporariesTests {
    static func temporaries(_ job: SmallJob) -> [String] { job.entries("out").filter { $0.contains(".tmp-") } }

    @Test("a publish that fails leaves no temporary file in --out and publishes nothing",
          arguments: ["fsync:summary.json:1:*", "fsync:rejects.csv:1:*", "write:totals.csv:1:*"])
    func failedPublish(_ fault: String) async throws {
        let job = try SmallJob(prefix: "tmp-fail")
        defer { job.scratch.remove() }
        let run = try await ResumeTests.settle(["aggregate", job.input, "--layout", "reference", "--out", job.out, "--quiet"],
                                               environment: ["SETTLE_FAULT_INJECTION": fault])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(Self.temporaries(job).isEmpty, "temporaries left: \(job.entries("out"))")
        #expect(!FileFacts.exists(job.out + "/totals.csv"), "part of the set was published")
    }

    @Test("a report.html that cannot be written stops the run before the new set is published")
    func reportCannotBeWritten() async throws {
        let job = try SmallJob(prefix: "tmp-report")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.out + "/report.html", withIntermediateDirectories: true)
        try writeBytes(Array("x".utf8), to: job.out + "/report.html/inside")
        let run = try await job.aggregate([])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("report.html") && run.stderr.contains("nothing was published"), "\(run)")
        #expect(job.entries("out") == [".settle-work", "report.html"] || job.entries("out") == ["report.html"], "\(job.entries("out"))")
        #expect(Self.temporaries(job).isEmpty)
    }

    @Test("a second SIGINT while the report is written: exit 130 and no temporary file left in --out")
    func secondSignalDuringReport() async throws {
        let job = try SmallJob(prefix: "tmp-sigint")
        defer { job.scratch.remove() }
        let process = try ResumeTests.start(["aggregate", job.input, "--layout", "reference", "--out", job.out, "--quiet"],
                                            environment: ["SETTLE_TEST_DELAY": "report.html:20000"])
        let deadline = Date().addingTimeInterval(60)
        while !job.entries("out").contains(where: { $0.hasPrefix(".report.html.tmp-") }) && Date() < deadline && process.isRunning {
            usleep(5000)
        }
        try #require(process.isRunning, "the run ended before the report")
        kill(process.processIdentifier, SIGINT)
        usleep(200_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(Self.temporaries(job).isEmpty, "temporaries left: \(job.entries("out"))")
    }

    @Test("temporaries a killed run left are removed by the next run; other names stay")
    func leftoversRemovedNextRun() async throws {
        let job = try SmallJob(prefix: "tmp-next")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.out, withIntermediateDirectories: false)
        // 999999999 is above any pid_max: no such process.
        for name in [".totals.csv.tmp-999999999-5", ".report.html.tmp-999999999-5", ".mine.csv.tmp-999999999-5", "notes.txt",
                     ".totals.csv.tmp-x"] {
            try writeBytes(Array("x".utf8), to: job.out + "/" + name)
        }
        let run = try await job.aggregate([])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(job.entries("out") == [".mine.csv.tmp-999999999-5", ".totals.csv.tmp-x", "notes.txt", "rejects.csv", "report.html",
                                       "summary.json", "totals.csv"])
    }

    /// Merchants a spreadsheet would run as formulas, and a net amount below zero.
    static let formulaDetails = [
        ReferenceRecords.Detail(arn: "74000000000000000000011", merchant: "=1+2", currency: "EUR", amountMinor: 100, isCredit: false, feeMinor: 1),
        ReferenceRecords.Detail(arn: "74000000000000000000012", merchant: "-1200", currency: "EUR", amountMinor: 1_200, isCredit: true, feeMinor: 0),
        ReferenceRecords.Detail(arn: "74000000000000000000013", merchant: "@SUM(A1)", currency: "USD", amountMinor: 5, isCredit: false, feeMinor: 0),
        ReferenceRecords.Detail(arn: "74000000000000000000014", merchant: "+CALC", currency: "USD", amountMinor: 7, isCredit: false, feeMinor: 0),
        ReferenceRecords.Detail(arn: "74000000000000000000015", merchant: "MERPLAIN", currency: "USD", amountMinor: 9, isCredit: true, feeMinor: 0),
    ]

    @Test("--excel-safe prefixes text cells only, in totals.csv and rejects.csv; the default stays exact")
    func excelSafe() async throws {
        let job = try SmallJob(prefix: "excel")
        defer { job.scratch.remove() }
        let details = Self.formulaDetails
        // An unknown record type "=" between the details: a reject whose raw cell begins with "=".
        var stray = ReferenceRecords.detail(details[0])
        stray[0] = UInt8(ascii: "=")
        let body = ReferenceRecords.header() + details.flatMap(ReferenceRecords.detail) + stray + ReferenceRecords.trailer(for: details)
        try writeBytes(body, to: job.input)

        let exact = try await job.aggregate([])
        #expect(exact.exitStatus == 1, "one reject: \(exact)")
        let expected = ReferenceRecords.totalsCSV(details)
        #expect(try readBytes(job.out + "/totals.csv") == Array(expected.utf8))
        #expect(expected.contains("\n-1200,EUR,0,0,1,1200,0,-1200\n"), "the fixture has a negative net amount")
        let exactRejects = try CSVTable(contentsOfFile: job.out + "/rejects.csv")
        #expect(try exactRejects.column("raw").first?.hasPrefix("=74000000000000000000011") == true, "\(exactRejects)")

        let safe = try await job.aggregate(["--excel-safe"])
        #expect(safe.exitStatus == 1, "\(safe)")
        let safeTotals = expected.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let first = line.first, "=+-@".contains(first) else { return String(line) }
            return "'" + line
        }.joined(separator: "\n")
        #expect(try readBytes(job.out + "/totals.csv") == Array(safeTotals.utf8))
        #expect(safeTotals.contains("\n'-1200,EUR,0,0,1,1200,0,-1200\n"), "merchant prefixed, net amount -1200 left a number")
        let safeRejects = try CSVTable(contentsOfFile: job.out + "/rejects.csv")
        #expect(try safeRejects.column("raw").first == exactRejects.column("raw").first.map { "'" + $0 })
        #expect(try safeRejects.column("record_number") == exactRejects.column("record_number"))
        #expect(try safeRejects.column("byte_offset") == ["\(ReferenceRecords.lineLength * (details.count + 1))"])
        #expect(try JSONValue(contentsOfFile: job.out + "/summary.json")["run"]?["excel_safe"] == .bool(true))
    }
}
