import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import Testing
@testable import SettleEngine

/// The job's metrics through the Prometheus backend, the metrics file (atomic, valid exposition
/// text), the progress line and JSON log lines.
@Suite("Metrics, the metrics file and progress lines")
struct MetricsAndProgressTests {
    static func result(index: Int, valid: Int, rejected: Int, bytes: Int, milliseconds: UInt64, spillBytes: Int) -> PartitionResult {
        var result = PartitionResult(partition: Partition(index: index, fileIndex: 0, byteStart: index * bytes, byteEnd: (index + 1) * bytes))
        result.records = valid + rejected
        result.validDetails = valid
        result.rejected = rejected
        result.startNanoseconds = 1_000_000_000
        result.endNanoseconds = 1_000_000_000 + milliseconds * 1_000_000
        result.runs = [SpillRunInfo(path: "/nonexistent", sizeBytes: spillBytes, entries: 1)]
        return result
    }

    /// Exposition text as name{labels} -> value, checking every line's syntax and that each
    /// sample's family has a TYPE line.
    static func parseExposition(_ text: String) throws -> [String: Double] {
        var types: [String: String] = [:]
        var samples: [String: Double] = [:]
        let typeLine = try Regex(#"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$"#)
        let sampleLine = try Regex(#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (\S+)$"#)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if let match = try typeLine.wholeMatch(in: String(line)) {
                types[String(match.output[1].substring!)] = String(match.output[2].substring!)
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            let match = try #require(try sampleLine.wholeMatch(in: String(line)), "not exposition syntax: \(line)")
            let name = String(match.output[1].substring!)
            let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) && types[name] == nil ? String($0.dropLast($1.count)) : $0 }
            #expect(types[family] != nil, "no TYPE line for \(name)")
            let value = try #require(Double(String(match.output[4].substring!).replacingOccurrences(of: "+Inf", with: "inf")), "value of \(line)")
            samples[name + String(match.output[2].substring ?? "")] = value
        }
        return samples
    }

    @Test func partitionEventsBecomePrometheusMetrics() throws {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[JobMetrics.Name.partitionSeconds] = JobMetrics.partitionSecondsBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
        let progress = JobProgress(metrics: JobMetrics(factory: factory))
        let resumed = Self.result(index: 0, valid: 100, rejected: 1, bytes: 1000, milliseconds: 0, spillBytes: 10)
        progress.update {
            $0.partitionsTotal = 4
            $0.partitionsDone = 1
            $0.records = resumed.records
            $0.rejects = 1
            $0.workers = 2
            $0.bytesTotal = 4000
            $0.stage = "map"
        }
        progress.mapStarting(resumed: [resumed, nil, nil, nil])
        var samples = try Self.parseExposition(registry.emitToString())
        #expect(samples["settle_queue_depth"] == 3)
        #expect(samples["settle_queue_depth_max"] == 3)
        #expect(samples["settle_partitions_resumed"] == 1)

        progress.partitionStarted()
        progress.partitionStarted()
        samples = try Self.parseExposition(registry.emitToString())
        #expect(samples["settle_queue_depth"] == 1)
        #expect(samples["settle_workers_busy"] == 2)

        progress.partitionFinished(Self.result(index: 1, valid: 200, rejected: 2, bytes: 1000, milliseconds: 30, spillBytes: 500))
        progress.partitionStarted()
        progress.partitionFinished(Self.result(index: 2, valid: 300, rejected: 0, bytes: 1000, milliseconds: 300, spillBytes: 700))
        progress.partitionFinished(Self.result(index: 3, valid: 400, rejected: 3, bytes: 1000, milliseconds: 3000, spillBytes: 800))
        progress.metrics.recordMismatches(["amount_mismatch": 5, "missing_in_ledger": 2])
        progress.metrics.finished(exitStatus: 1, nowSeconds: 1_800_000_000)
        samples = try Self.parseExposition(registry.emitToString())

        #expect(samples["settle_records_total{status=\"valid\"}"] == 1000)
        #expect(samples["settle_records_total{status=\"rejected\"}"] == 6)
        #expect(samples["settle_bytes_read_total"] == 4000)
        #expect(samples["settle_partitions_done_total"] == 4)
        #expect(samples["settle_spill_bytes_total"] == 2010)
        #expect(samples["settle_queue_depth"] == 0)
        #expect(samples["settle_workers_busy"] == 0)
        #expect(samples["settle_partition_duration_seconds_count"] == 3)
        #expect(samples["settle_partition_duration_seconds_bucket{le=\"0.05\"}"] == 1)
        #expect(samples["settle_partition_duration_seconds_bucket{le=\"0.5\"}"] == 2)
        #expect(samples["settle_partition_duration_seconds_bucket{le=\"+Inf\"}"] == 3)
        #expect(abs((samples["settle_partition_duration_seconds_sum"] ?? 0) - 3.33) < 1e-9)
        #expect(samples["settle_mismatches{kind=\"amount_mismatch\"}"] == 5)
        #expect(samples["settle_mismatches{kind=\"missing_in_ledger\"}"] == 2)
        #expect(samples["settle_mismatches{kind=\"currency_mismatch\"}"] == 0, "every known kind has a series")
        #expect(samples["settle_exit_status"] == 1)
        #expect(samples["settle_running"] == 0)
        let snapshot = progress.snapshot
        #expect(snapshot.partitionsDone == 4 && snapshot.partitionsInFlight == 0 && snapshot.bytesDone == 4000)
    }

    @Test func metricsFileIsReplacedAtomically() throws {
        let directory = TestSupport.temporaryDirectory("settle-metrics")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = PrometheusCollectorRegistry()
        let counter = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "settle", metricName: "test", unitName: "total",
                                                                             helpText: "A counter of the test."))
        let path = directory + "/settle.prom"
        let file = MetricsFile(path: path, intervalSeconds: 0.02, render: { registry.emitToBuffer() })
        file.start()
        let first = try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64)
        // Held open, the first file keeps its inode: a later file cannot be given the same number.
        let held = try #require(FileHandle(forReadingAtPath: path))
        defer { try? held.close() }
        counter.increment(by: Int64(41))
        Thread.sleep(forTimeInterval: 0.1)
        counter.increment()
        try file.stop()
        let text = try FileIO.readText(path: path)
        #expect(try Self.parseExposition(text)["settle_test_total"] == 42, "stop() writes the final figures")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.systemFileNumber] as? UInt64 != first, "a new file renamed over the old one, not rewritten in place")
        #expect((attributes[.posixPermissions] as? Int) == 0o644, "readable by node_exporter")
        #expect(FileIO.listDirectory(directory) == ["settle.prom"], "no temporary file left behind")
    }

    @Test func metricsFileReportsItsFirstFailureOnce() throws {
        let messages = Mutex<[String]>([])
        let file = MetricsFile(path: "/proc/settle-cannot-write/settle.prom", intervalSeconds: 10, render: { [] },
                               onError: { message in messages.withLock { $0.append(message) } })
        #expect(throws: SettleError.self) { try file.write() }
        #expect(throws: SettleError.self) { try file.write() }
        #expect(messages.withLock { $0.count } == 1)
        #expect(messages.withLock { $0.first ?? "" }.contains("/proc/settle-cannot-write/settle.prom"))
    }

    @Test func progressLineDuringMap() {
        var snapshot = JobProgress.Snapshot()
        snapshot.stage = "map"
        snapshot.partitionsTotal = 8
        snapshot.partitionsDone = 3
        snapshot.records = 1_600_000
        snapshot.recordsResumed = 100_000
        snapshot.rejects = 12
        snapshot.bytesTotal = 800 << 20
        snapshot.bytesDone = 300 << 20
        snapshot.bytesResumed = 100 << 20
        snapshot.mapStartNanoseconds = 10_000_000_000
        let line = ProgressLine(snapshot, nowNanoseconds: 12_000_000_000)
        #expect(line.text == "map 3/8 partitions (37%), 1,600,000 records, 750.0k records/s, 100.0 MiB/s, 12 rejects, ETA 5s")
        #expect(!line.text.contains("\u{1B}"))
        #expect(line.etaSeconds == 5)
        let json = JSONLine.render(line.fields.map { ($0.key, $0.value) })
        #expect(json.hasPrefix("{\"stage\":\"map\",\"partitions_done\":3,\"partitions_total\":8,"))
        #expect(json.contains("\"records_per_second\":750000,\"bytes_per_second\":104857600,\"eta_seconds\":5}"))
    }

    @Test func progressLineAfterMapKeepsTheMapRates() {
        var snapshot = JobProgress.Snapshot()
        snapshot.stage = "finalize"
        snapshot.partitionsTotal = 2
        snapshot.partitionsDone = 2
        snapshot.bucketsTotal = 4
        snapshot.bucketsDone = 4
        snapshot.records = 2_000_000
        snapshot.bytesTotal = 1 << 30
        snapshot.bytesDone = 1 << 30
        snapshot.mapStartNanoseconds = 1_000_000_000
        snapshot.lastPartitionNanoseconds = 2_000_000_000
        #expect(ProgressLine(snapshot, nowNanoseconds: 9_000_000_000).text == "publish, 2,000,000 records, 2.0M records/s, 1.0 GiB/s, 0 rejects")
        snapshot.stage = "reduce"
        snapshot.bucketsDone = 1
        #expect(ProgressLine(snapshot, nowNanoseconds: 5_000_000_000).text == "reduce 1/4 buckets, 2,000,000 records, 2.0M records/s, 1.0 GiB/s, 0 rejects")
        snapshot.stage = "plan"
        snapshot.mapStartNanoseconds = 0
        #expect(ProgressLine(snapshot, nowNanoseconds: 5_000_000_000).text == "plan, 2,000,000 records, 0 rejects")
    }

    @Test(arguments: [(0.2, "1s"), (59.0, "59s"), (65.0, "1m05s"), (3725.0, "1h02m")])
    func etaFormat(seconds: Double, text: String) {
        #expect(ProgressLine.duration(seconds) == text)
    }

    @Test func jsonLineEscapesAndKeepsOrder() throws {
        let text = JSONLine.render([("message", .string("a \"quoted\"\nline\\")), ("n", .integer(-3)), ("ok", .bool(true)),
                                    ("list", .array([.string("x"), .integer(1)])), ("nested", .object([("k", .string("v"))]))])
        #expect(text == #"{"message":"a \"quoted\"\nline\\","n":-3,"ok":true,"list":["x",1],"nested":{"k":"v"}}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["message"] as? String == "a \"quoted\"\nline\\")
    }
}
