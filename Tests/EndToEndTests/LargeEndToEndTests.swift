import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end on a file of millions of records, against a release build (`tools/test.sh` sets
/// SETTLE_E2E_LARGE=1 and SETTLE_BIN). Skipped in the default debug `swift test`.
@Suite("Large files (release build)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["SETTLE_E2E_LARGE"] == "1",
                "set SETTLE_E2E_LARGE=1 and SETTLE_BIN to a release build (tools/test.sh does)"))
struct LargeEndToEndTests {
    static let spec = DatasetSpec(layout: "reference", records: 2_000_000, merchants: 200_000, seed: 2026, faults: 0.001)

    @Test("2M records: exact totals and rejects with default resources, tiny memory, and after a kill",
          arguments: [
              ["--workers", "2"],
              ["--workers", "2", "--memory", "8M", "--partition-size", "16M", "--buckets", "4"],
              ["--workers", "1", "--partition-size", "1G"],
          ])
    func largeFile(options: [String]) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "large")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"] + options, out: out.path,
                                             in: dataset.directory)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        expectSameBytes(try run.totals(), dataset.expectedTotals, "totals.csv")
        expectSameRows(try run.rejectPositions(), dataset.expectedRejects.rows, "rejects.csv")
        let summary = try run.summary()
        #expect(summary["result"]?["valid"]?.int == dataset.expectedSummary.valid)
        // The memory bound: what Settle allocates stays under --memory + 64 MiB.
        if let index = options.firstIndex(of: "--memory") {
            let bound = (Int(options[index + 1].dropLast())! << 20) + (64 << 20)
            let peak = try #require(summary["run"]?["peak_anonymous_bytes"]?.int)
            #expect(peak < bound, "peak anonymous memory \(peak) over \(bound)")
        }
    }

    @Test("2M records: SIGKILL half way, then the same command resumes with identical outputs")
    func killAndResume() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "large-kill")
        defer { out.remove() }
        let arguments = ["aggregate", dataset.settlementPath, "--layout", "reference", "--out", out.path, "--partition-size", "8M", "--quiet"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = arguments
        try process.run()
        // Kill once a few partitions are done.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let done = (try? FileManager.default.contentsOfDirectory(atPath: out.path + "/.settle-work/partitions"))?
                .filter { FileManager.default.fileExists(atPath: out.path + "/.settle-work/partitions/\($0)/marker.json") }.count ?? 0
            if done >= 10 || !process.isRunning { break }
            usleep(2000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try await Subprocess.settle(arguments)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        expectSameBytes(try readBytes(out.path + "/totals.csv"), dataset.expectedTotals, "totals.csv after a kill")
    }
}
