import Foundation
import Testing

/// `settle aggregate --layout nacha` on files written by `settle generate --layout nacha`: totals.csv
/// byte-identical to the generator's ground truth, exit 0, no rejects, every batch and file control
/// passed, whatever the workers and the partition size, down to one record (95 bytes) per partition,
/// where every batch's header, entries, addenda and control land in different partitions.
@Suite("NACHA files from the generator: settle aggregate --layout nacha")
struct NachaGeneratedTests {
    /// One run's options on one generated file.
    struct Case: Sendable, CustomTestStringConvertible {
        var entries: Int
        var seed: UInt64
        var workers: Int
        var partitionSize: String
        var partitionSizeBytes: Int

        var testDescription: String { "\(entries) entries, workers \(workers), partition \(partitionSize)" }

        static func make(_ entries: Int, _ workers: Int, _ partition: String) -> Case {
            let bytes = ["95": 95, "190": 190, "4099": 4099, "64K": 64 << 10, "10G": 10 << 30][partition]!
            // Seed 2 at 2,000 entries has IAT and ADV batches (the test checks it).
            return Case(entries: entries, seed: entries == 2_000 ? 2 : 1, workers: workers, partitionSize: partition,
                        partitionSizeBytes: bytes)
        }
    }

    /// 20,000 entries (about 22,000 lines, 80 batches) from one partition down to partitions of
    /// 4099 bytes, which cut records anywhere. Partitions of one or two records are a few
    /// milliseconds each (a spill run and a marker per partition: 2 to 3.5 minutes for the 20,000-entry
    /// file on a debug build), so those run on a 2,000-entry file (2,490 lines, 31 batches).
    static let cases: [Case] = [
        .make(20_000, 1, "10G"), .make(20_000, 2, "10G"), .make(20_000, 1, "64K"), .make(20_000, 2, "64K"),
        .make(20_000, 1, "4099"), .make(20_000, 2, "4099"),
        .make(2_000, 1, "95"), .make(2_000, 2, "95"), .make(2_000, 2, "190"),
    ]

    @Test("totals.csv equals the ground truth, exit 0, every control passes", arguments: cases)
    func aggregateMatchesGroundTruth(_ run: Case) async throws {
        let dataset = try await NachaDataset.generate(entries: run.entries, seed: run.seed)
        defer { dataset.directory.remove() }
        let expected = dataset.summary
        let entries = try #require(expected["entries"]?.int)
        let lines = try #require(expected["lines"]?.int)
        let batches = try #require(expected["batches"]?.int)
        #expect(entries == run.entries)
        #expect((expected["iat_batches"]?.int ?? 0) > 0, "the file should hold IAT batches")
        #expect((expected["adv_batches"]?.int ?? 0) > 0, "the file should hold ADV batches")

        let out = try TemporaryDirectory(prefix: "nacha")
        defer { out.remove() }
        let aggregate = try await AggregateRun.run(
            [NachaDataset.fileName, "--layout", "nacha", "--quiet", "--workers", String(run.workers),
             "--partition-size", run.partitionSize], out: out.path, in: dataset.directory.path)

        #expect(aggregate.outcome.exitStatus == 0, "\(aggregate.outcome)")
        try #require(FileFacts.exists(aggregate.totalsPath), "no totals.csv: \(aggregate.outcome)")
        expectSameBytes(try aggregate.totals(), dataset.expectedTotals, "totals.csv")
        #expect(try aggregate.rejects().rows.isEmpty, "rejects.csv should have no rows")

        let summary = try aggregate.summary()
        #expect(summary["status"]?.string == "completed")
        let result = try #require(summary["result"])
        #expect(result["records_read"]?.int == lines)
        #expect(result["valid"]?.int == entries)
        #expect(result["rejected"]?.int == 0)
        #expect(result["totals"]?["rows"]?.int == expected["totals_rows"]?.int)
        let file = try #require(result["files"]?[0])
        #expect(file["groups"]?.int == batches)
        #expect(file["logical_files"]?.int == 1)
        #expect(file["checks_failed"]?.int == 0)
        #expect(file["warnings"]?.members?.isEmpty == true, "warnings: \(file["warnings"] ?? .null)")

        // The file control's checks: declared and computed equal the generator's figures.
        let checks = try #require(file["checks"]?.array)
        let control = try #require(expected["file_control"])
        for name in ["batch_count", "block_count", "entry_addenda_count", "entry_hash", "total_debit", "total_credit"] {
            let check = checks.first { $0["scope"]?.string == "file" && $0["name"]?.string == name }
            let figure = control[name]?.int.map(String.init) ?? control[name]?.string
            #expect(check?["expected"]?.string == figure, "file control \(name): \(check ?? .null)")
            #expect(check?["found"]?.string == figure, "file control \(name): \(check ?? .null)")
            #expect(check?["status"]?.string == "passed", "file control \(name)")
        }
        // Every batch control's checks ran and passed: 4 per batch, and the company id but for IAT and ADV.
        // Passed group checks are counted by name, not listed.
        let groupChecks = try #require(file["checks_by_name"]?["group"]?.members)
        let iat = expected["iat_batches"]?.int ?? 0
        let adv = expected["adv_batches"]?.int ?? 0
        #expect(groupChecks.values.reduce(0) { $0 + ($1["passed"]?.int ?? 0) } == 4 * batches + (batches - iat - adv))
        #expect(groupChecks.values.allSatisfy { $0["failed"]?.int == 0 && $0["skipped"]?.int == 0 })
        #expect(groupChecks["company_id"]?["passed"]?.int == batches - iat - adv)
        #expect(checks.allSatisfy { $0["scope"]?.string == "file" }, "passed group checks are not listed")
        #expect(file["checks_total"]?.int == 4 * batches + (batches - iat - adv) + 6)

        // The options took effect, so the comparison above means something.
        let facts = try #require(summary["run"])
        #expect(facts["workers"]?.int == run.workers)
        #expect(facts["partition_size_bytes"]?.int == run.partitionSizeBytes)
        let partitions = facts["partitions"]?.array?.count ?? 0
        if run.partitionSizeBytes == 95 {
            #expect(partitions == lines, "one partition per record")
        } else if run.partitionSizeBytes > 1 << 30 {
            #expect(partitions == 1)
        } else {
            #expect(partitions > 1)
        }
    }
}

/// What `settle generate` refuses around NACHA, before any work: exit 2 and a message naming the option.
@Suite("settle generate --layout nacha: usage errors")
struct NachaGenerateUsageTests {
    @Test(arguments: [
        (["--faults", "0.9"], "--faults must be a fraction between 0 and 0.5"),
        (["--ledger-files", "0"], "--ledger-files must be between 1 and 1000"),
        (["--ledger-style", "tidy"], "--ledger-style must be one of plain, messy, signed"),
        (["--records", "8500001"], "at most 999,999 blocks of 10 lines"),
    ])
    func refused(_ extra: [String], _ message: String) async throws {
        let out = try TemporaryDirectory(prefix: "nacha-usage")
        defer { out.remove() }
        var arguments = ["generate", "--layout", "nacha", "--records", "10", "--merchants", "5", "--seed", "1", "--out", out.path]
        if let index = arguments.firstIndex(of: extra[0]) { arguments.removeSubrange(index...(index + 1)) }
        let outcome = try await Subprocess.settle(arguments + extra)
        #expect(outcome.exitStatus == 2, "\(outcome)")
        #expect(outcome.stderr.contains(message), "\(outcome)")
        #expect(!FileFacts.exists(out.file("settlement.ach")))
    }

    @Test func structuredLayoutPathIsRefusedWithAHint() async throws {
        let out = try TemporaryDirectory(prefix: "nacha-usage")
        defer { out.remove() }
        let outcome = try await Subprocess.settle(["generate", "--layout", SettleBinary.packageRoot + "/datasets/layouts/nacha.yaml",
                                                   "--records", "10", "--merchants", "5", "--seed", "1", "--out", out.path])
        #expect(outcome.exitStatus == 2, "\(outcome)")
        #expect(outcome.stderr.contains("NACHA files with --layout nacha"), "\(outcome)")
    }
}

/// A NACHA file written by `settle generate --layout nacha`, with its ground truth. Generating one
/// takes a fraction of a second, so each test writes its own (the same bytes for the same seed).
struct NachaDataset {
    static let fileName = "settlement.ach"

    let directory: TemporaryDirectory
    let expectedTotals: [UInt8]
    let summary: JSONValue

    static func generate(entries: Int, seed: UInt64) async throws -> NachaDataset {
        let directory = try TemporaryDirectory(prefix: "nacha-e\(entries)-s\(seed)")
        let outcome = try await Subprocess.settle(["generate", "--layout", "nacha", "--records", String(entries),
                                                   "--merchants", "500", "--seed", String(seed), "--out", directory.path])
        guard outcome.exitStatus == 0 else {
            directory.remove()
            throw FileProblem(path: directory.path, problem: "settle generate failed:\n\(outcome)")
        }
        return NachaDataset(directory: directory, expectedTotals: try readBytes(directory.file("expected/totals.csv")),
                            summary: try JSONValue(contentsOfFile: directory.file("expected/summary.json")))
    }
}
