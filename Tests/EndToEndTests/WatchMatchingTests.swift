import Foundation
import Testing

/// `settle watch --match --open-items`: every batch matches with the passes, and the open items of
/// one batch are carried into the next (without `--as-of`, batches of one day carry from one to
/// the next at age 0). Truth from `NightsScenario`: batch 1 is its night 1, batch 2 its night 2.
@Suite("settle watch with --match and --open-items", .serialized)
struct WatchMatchingTests {
    static let fast = ["--layout", "reference", "--settle-time", "200ms", "--workers", "2", "--partition-size", "16K"]

    @Test("open items carry from batch to batch: late matches, open items, the store's HEAD names the batch")
    func carriesAcrossBatches() async throws {
        let scenario = NightsScenario.generate(seed: 77, size: 400)
        let data = try OpenItemsTests.prepare(scenario)
        let harness = try WatchHarness("watch-match")
        defer { harness.remove() }
        let store = harness.directory.path + "/store"
        func options(_ night: Int) -> [String] {
            Self.fast + ["--ledger", data.path + "/l\(night).csv", "--match", data.path + "/match.yaml", "--open-items", store,
                         "--open-days", "\(NightsScenario.openDays)"]
        }
        try harness.arrive(data.path + "/s1.dat", as: "s1.dat")
        let first = try await harness.once(options(1))
        #expect(first.exitStatus == 0, "\(first.stderr)")
        try harness.arrive(data.path + "/s2.dat", as: "s2.dat")
        let second = try await harness.once(options(2))
        #expect(second.exitStatus == 0, "\(second.stderr)")
        let batch = harness.root + "/batches/000002"
        // The file columns name the inbox's and the ledgers' paths; ages are 0 (one day); the rest is the truth's.
        func comparable(_ rows: [[String]], files: [Int], age: Int) -> [[String]] {
            rows.map { row in row.enumerated().filter { !files.contains($0.offset) && $0.offset != age }.map(\.element) }
        }
        let truth = scenario.truth(2)
        let matches = try CSVTable(contentsOfFile: batch + "/matches.csv")
        #expect(!truth.matches.isEmpty && matches.rows.count == truth.matches.count, "late matches in batch 2")
        #expect(comparable(matches.rows, files: [8, 10], age: 12) == comparable(truth.matches, files: [8, 10], age: 12))
        #expect(matches.rows.allSatisfy { $0[12] == "0" }, "a late match of the same day is 0 days old")
        let open = try CSVTable(contentsOfFile: batch + "/open_items.csv")
        #expect(open.rows.count == truth.open.count, "open items after batch 2")
        #expect(comparable(open.rows, files: [6, 8, 10], age: 7) == comparable(truth.open, files: [6, 8, 10], age: 7))
        let head = String(decoding: try readBytes(store + "/HEAD"), as: UTF8.self)
        #expect(head.contains("-batch000002.csv") && head.contains("previous open-") && head.contains("-batch000001.csv"), "\(head)")
        let summary = try JSONValue(contentsOfFile: batch + "/summary.json")
        #expect(summary["result"]?["reconciliation"]?["open_items"]?["late_matches"]?.int == truth.matches.count)
    }

    @Test("--as-of without --open-items, and --match without --ledger, are refused (exit 2)")
    func usage() async throws {
        let harness = try WatchHarness("watch-match-usage")
        defer { harness.remove() }
        let asOf = try await harness.once(Self.fast + ["--as-of", "2026-03-01"])
        #expect(asOf.exitStatus == 2 && asOf.stderr.contains("--as-of goes with --open-items DIR"), "\(asOf.stderr)")
        let match = try await harness.once(Self.fast + ["--match", "m.yaml"])
        #expect(match.exitStatus == 2 && match.stderr.contains("--match needs --ledger FILE"), "\(match.stderr)")
    }
}
