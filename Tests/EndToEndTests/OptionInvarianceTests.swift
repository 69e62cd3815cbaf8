import Foundation
import Testing

/// Workers, partition size, memory budget and buckets change only speed: totals.csv and rejects.csv
/// stay byte-identical and summary.json's `result` equal, down to spilling every partition and
/// merging in several passes.
@Suite("Outputs do not depend on workers, partition size or memory")
struct OptionInvarianceTests {
    /// Resource options of one run.
    struct Resources: Sendable, CustomTestStringConvertible {
        var workers: Int
        var partitionSize: String
        var partitionSizeBytes: Int
        var memory: String
        var memoryBytes: Int
        var buckets: Int?

        /// Tight runs checkpoint after every partition (each then spills its own runs, as before
        /// checkpoints), so that the reduce still has more runs than its fan-in and merges in passes;
        /// the others checkpoint by default.
        var arguments: [String] {
            ["--workers", String(workers), "--partition-size", partitionSize, "--memory", memory]
                + (buckets.map { ["--buckets", String($0)] } ?? []) + (isTight ? ["--checkpoint", "1B"] : [])
        }

        /// Little enough memory that each open merge cursor counts: the merge fan-in drops to 3.
        var isTight: Bool { memoryBytes <= 1 << 20 }

        var testDescription: String {
            "workers \(workers), partition \(partitionSize), memory \(memory)" + (buckets.map { ", buckets \($0)" } ?? "")
        }

        static func make(_ workers: Int, _ partition: String, _ memory: String) -> Resources {
            let partitionBytes = ["1": 1, "4099": 4099, "10G": 10 << 30][partition]!
            let tight = memory == "1M"
            return Resources(workers: workers, partitionSize: partition, partitionSizeBytes: partitionBytes, memory: memory,
                             memoryBytes: tight ? 1 << 20 : 1 << 30, buckets: tight ? 3 : nil)
        }
    }

    /// Every pair of workers x partition size appears once, and memory 1M (with 3 buckets) and 1G
    /// each meet every worker count and every partition size.
    static let resources: [Resources] = [
        .make(1, "10G", "1G"), .make(1, "1", "1M"), .make(1, "4099", "1G"),
        .make(2, "1", "1G"), .make(2, "4099", "1M"), .make(2, "10G", "1M"),
        .make(7, "1", "1M"), .make(7, "4099", "1G"), .make(7, "10G", "1G"),
    ]

    /// Small files: with --partition-size 1 every record is a partition of its own, with its own
    /// spill run and marker, which costs a few milliseconds each.
    static let datasets = [
        DatasetSpec(layout: "reference", records: 700, merchants: 500, seed: 201, faults: 0.03),
        DatasetSpec(layout: "wide", records: 700, merchants: 500, seed: 202, faults: 0.03),
    ]

    @Test("same totals.csv, rejects.csv and result whatever the resources", arguments: datasets, resources)
    func sameOutputs(_ spec: DatasetSpec, _ resources: Resources) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let baseline = try await Baselines.shared.baseline(of: dataset)
        let out = try TemporaryDirectory(prefix: "resources")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", spec.layout, "--quiet"] + resources.arguments,
                                             out: out.path, in: dataset.directory)

        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try #require(FileFacts.exists(run.summaryPath), "no summary.json: \(run.outcome)")
        expectSameBytes(try run.totals(), dataset.expectedTotals, "totals.csv")
        expectSameBytes(try run.rejectsBytes(), baseline.rejects, "rejects.csv")
        expectSameRows(try run.rejectPositions(), dataset.expectedRejects.rows, "rejects.csv (record_number, byte_offset, reason, field)")
        let summary = try run.summary()
        #expect(summary["result"] == baseline.result)

        // The run section shows the options took effect, so the comparison above means something.
        let facts = try #require(summary["run"])
        #expect(facts["workers"]?.int == resources.workers)
        #expect(facts["partition_size_bytes"]?.int == resources.partitionSizeBytes)
        #expect(facts["memory_bytes"]?.int == resources.memoryBytes)
        if let buckets = resources.buckets { #expect(facts["buckets"]?.int == buckets) }
        let partitions = try #require(facts["partitions"]?.array)
        if resources.partitionSizeBytes == 1 {
            #expect(partitions.count == dataset.expectedSummary.records + 2 + (dataset.expectedSummary.rejectedByReason["short_record"] ?? 0),
                    "one partition per record")
        } else if resources.partitionSizeBytes > 1 << 30 {
            #expect(partitions.count == 1)
        }
        if resources.isTight && resources.partitionSizeBytes < 1 << 20 {
            // More runs than the fan-in of 3: the reduce has to merge in several passes.
            #expect((facts["spill_files"]?.int ?? 0) > 9, "expected many spill runs, summary: \(facts)")
        }
    }

    /// Many more merchant/currency keys than a 1 MiB table holds: every worker spills several runs
    /// from inside one partition, and a merge fan-in of 3 needs several passes.
    static let manyKeys = DatasetSpec(layout: "reference", records: 12_000, merchants: 12_000, seed: 203, faults: 0.03)

    @Test("spills inside a partition and multi-pass merges give the same outputs",
          arguments: [Resources.make(1, "10G", "1M"), Resources.make(2, "10G", "1M"),
                      Resources(workers: 7, partitionSize: "256K", partitionSizeBytes: 256 << 10, memory: "1M", memoryBytes: 1 << 20, buckets: 3)])
    func spillsInsidePartitions(_ resources: Resources) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.manyKeys)
        let baseline = try await Baselines.shared.baseline(of: dataset)
        let out = try TemporaryDirectory(prefix: "spills")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"] + resources.arguments,
                                             out: out.path, in: dataset.directory)

        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try #require(FileFacts.exists(run.summaryPath), "no summary.json: \(run.outcome)")
        #expect(dataset.expectedSummary.totalsRows > 3_000, "a 1 MiB table holds far fewer keys")
        expectSameBytes(try run.totals(), dataset.expectedTotals, "totals.csv")
        expectSameBytes(try run.rejectsBytes(), baseline.rejects, "rejects.csv")
        expectSameRows(try run.rejectPositions(), dataset.expectedRejects.rows, "rejects.csv (record_number, byte_offset, reason, field)")
        let summary = try run.summary()
        #expect(summary["result"] == baseline.result)
        let facts = try #require(summary["run"])
        let partitions = facts["partitions"]?.array?.count ?? 0
        #expect((facts["spill_files"]?.int ?? 0) > max(3, partitions), "runs spilled inside partitions: \(facts)")
    }
}

/// The outputs of a plain run (one worker, default partition size and memory) of each dataset,
/// taken once: what every other run must reproduce.
actor Baselines {
    static let shared = Baselines()

    struct Outputs: Sendable {
        var totals: [UInt8]
        var rejects: [UInt8]
        var result: JSONValue?
    }

    private var tasks: [DatasetSpec: Task<Outputs, any Error>] = [:]

    func baseline(of dataset: GeneratedDataset) async throws -> Outputs {
        if let task = tasks[dataset.spec] { return try await task.value }
        let task = Task {
            let out = try TemporaryDirectory(prefix: "baseline")
            defer { out.remove() }
            let run = try await AggregateRun.run(["settlement.dat", "--layout", dataset.spec.layout, "--workers", "1", "--quiet"],
                                                 out: out.path, in: dataset.directory)
            guard run.outcome.exitStatus == 0 || run.outcome.exitStatus == 1 else {
                throw FileProblem(path: dataset.settlementPath, problem: "baseline run failed:\n\(run.outcome)")
            }
            return Outputs(totals: try run.totals(), rejects: try run.rejectsBytes(), result: try run.summary()["result"])
        }
        tasks[dataset.spec] = task
        return try await task.value
    }
}
