import Foundation
import Testing

/// What an operator sees of a run of the real binary: progress lines on stderr (plain when stderr is
/// not a terminal, live on one), JSON logs, the Prometheus metrics file, report.html and
/// `settle report`.
@Suite("Operator experience: progress, logs, metrics, report")
struct OperatorExperienceTests {
    static let spec = DatasetSpec(layout: "reference", records: 60_000, merchants: 300, seed: 707, faults: 0.002)
    /// Many small partitions on one worker, so progress has time to show several lines.
    static let slowRun = ["--workers", "1", "--partition-size", "128K", "--progress-interval", "0.05"]

    @Test func plainProgressLinesWhenStderrIsNotATerminal() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "progress")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference"] + Self.slowRun, out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(!run.outcome.stderr.contains("\u{1B}"), "no escape codes in a log file")
        #expect(!run.outcome.stderr.contains("\r"), "no carriage returns in a log file")
        let lines = run.outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("settle: progress: ") }.map(String.init)
        #expect(lines.count >= 2, "\(run.outcome.stderr)")
        let mapLine = try Regex(#"^settle: progress: map \d+/\d+ partitions \(\d+%\), [\d,]+ records, [\d.]+[kMG]? records/s, [\d.]+ (B|KiB|MiB|GiB)/s, [\d,]+ rejects, ETA (\d+s|\d+m\d\ds|--)$"#)
        let otherLine = try Regex(#"^settle: progress: (plan|reduce \d+/\d+ buckets|publish|done \d+/\d+ partitions \(100%\)), [\d,]+ records, .*[\d,]+ rejects$"#)
        for line in lines {
            let matches = try mapLine.wholeMatch(in: line) != nil || otherLine.wholeMatch(in: line) != nil
            #expect(matches, "unexpected progress line: \(line)")
        }
        let summary = try run.summary()
        let records = try #require(summary["result"]?["records_read"]?.int)
        let rejected = try #require(summary["result"]?["rejected"]?.int)
        let partitions = try #require(summary["run"]?["partitions"]?.array?.count)
        let last = try #require(lines.last)
        #expect(last.hasPrefix("settle: progress: done \(partitions)/\(partitions) partitions (100%), \(Self.grouped(records)) records,"), "\(last)")
        #expect(last.hasSuffix(", \(Self.grouped(rejected)) rejects"), "\(last)")
    }

    @Test func quietShowsNoProgress() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "quiet")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"] + Self.slowRun, out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(run.outcome.stderr.isEmpty, "\(run.outcome.stderr)")
    }

    @Test func everyStderrLineIsJSONWithLogFormatJSON() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "json")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--log-format", "json", "--log-level", "debug"] + Self.slowRun,
                                             out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        var records: [[String: Any]] = []
        for line in run.outcome.stderr.split(separator: "\n") {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let record = try #require(object, "not a JSON object: \(line)")
            #expect(record["timestamp"] is String && record["level"] is String && record["message"] is String, "\(line)")
            records.append(record)
        }
        let progress = records.filter { $0["message"] as? String == "progress" }
        #expect(!progress.isEmpty)
        #expect(progress.allSatisfy { $0["stage"] is String && $0["records"] is NSNumber && $0["partitions_total"] is NSNumber })
        let partitions = records.filter { $0["message"] as? String == "partition mapped" }
        let count = try #require(try run.summary()["run"]?["partitions"]?.array?.count)
        #expect(partitions.count == count, "one debug record per partition")
        #expect(partitions.allSatisfy { $0["partition"] is String && $0["file"] as? String == "settlement.dat" && $0["level"] as? String == "debug" })
        #expect(records.contains { ($0["message"] as? String)?.contains("rejects") == true }, "the closing report is records too")
    }

    @Test func jsonUsageErrorsAndBadOptionValues() async throws {
        let bad = try await Subprocess.settle(["aggregate", "x.dat", "--layout", "reference", "--out", "/tmp/never", "--log-format", "xml"])
        #expect(bad.exitStatus == 2, "\(bad)")
        #expect(bad.stderr.contains("--log-format"), "\(bad)")
        let missing = try await Subprocess.settle(["aggregate", "/nonexistent/x.dat", "--layout", "reference", "--out", "/tmp/settle-never-\(getpid())", "--log-format", "json"])
        #expect(missing.exitStatus == 2, "\(missing)")
        for line in missing.stderr.split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(record?["message"] is String, "\(line)")
        }
        #expect(missing.stderr.contains("\"level\":\"error\""), "\(missing)")
    }

    @Test func metricsFileHoldsTheRunsFigures() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "metrics")
        defer { out.remove() }
        let metricsPath = out.file("textfile/settle.prom")
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet", "--metrics-file", metricsPath,
                                              "--metrics-interval", "0.05"] + Self.slowRun, out: out.file("out"), in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        let text = try String(contentsOfFile: metricsPath, encoding: .utf8)
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "not a sample line: \(line)")
            let value: Double? = Double(String(parts[1]) == "+Inf" ? "inf" : String(parts[1]))
            samples[String(parts[0])] = try #require(value, "\(line)")
        }
        let summary = try run.summary()
        let partitions = Double(try #require(summary["run"]?["partitions"]?.array?.count))
        #expect(samples["settle_records_total{status=\"valid\"}"] == Double(try #require(summary["result"]?["valid"]?.int)))
        #expect(samples["settle_records_total{status=\"rejected\"}"] == Double(try #require(summary["result"]?["rejected"]?.int)))
        #expect(samples["settle_partitions_done_total"] == partitions)
        #expect(samples["settle_partitions"] == partitions)
        #expect(samples["settle_partition_duration_seconds_count"] == partitions)
        #expect(samples["settle_queue_depth_max"] == partitions)
        #expect(samples["settle_queue_depth"] == 0)
        #expect(samples["settle_exit_status"] == 1)
        #expect(samples["settle_running"] == 0)
        #expect(samples["settle_bytes_read_total"] == Double(try #require(summary["result"]?["files"]?.array?.first?["size_bytes"]?.int)))
        #expect(samples["settle_spill_bytes_total"] == Double(try #require(summary["run"]?["spill_bytes"]?.int)))
        let ratio = try #require(samples["settle_worker_utilization_ratio"])
        #expect(ratio > 0 && ratio <= 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.file("textfile")) == ["settle.prom"], "no temporary files")
    }

    @Test func reportIsPublishedAndSettleReportMakesItAgain() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "report")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"], out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        let html = try String(contentsOfFile: out.file("report.html"), encoding: .utf8)
        let summary = try run.summary()
        let records = try #require(summary["result"]?["records_read"]?.int)
        let rejected = try #require(summary["result"]?["rejected"]?.int)
        #expect(html.contains("id=\"records-read\">\(Self.grouped(records))<"))
        #expect(html.contains("id=\"rejected\">\(Self.grouped(rejected))<"))
        #expect(html.contains("id=\"run-status\">completed_with_findings<"))
        #expect(html.contains("<svg"))
        #expect(!FileManager.default.fileExists(atPath: out.file(".settle-work")), "the work directory is gone")

        try FileManager.default.removeItem(atPath: out.file("report.html"))
        let again = try await Subprocess.settle(["report", out.path])
        #expect(again.exitStatus == 0, "\(again)")
        #expect(try String(contentsOfFile: out.file("report.html"), encoding: .utf8) == html, "the same page from the published files alone")

        let elsewhere = try await Subprocess.settle(["report", out.path, "--output", out.file("copy.html")])
        #expect(elsewhere.exitStatus == 0 && FileManager.default.fileExists(atPath: out.file("copy.html")), "\(elsewhere)")
        let empty = try TemporaryDirectory(prefix: "report-empty")
        defer { empty.remove() }
        let none = try await Subprocess.settle(["report", empty.path])
        #expect(none.exitStatus == 2 && none.stderr.contains("summary.json"), "\(none)")
    }

    @Test func reconciliationFiguresInTheReportAndTheMetrics() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "ledger")
        defer { out.remove() }
        let metricsPath = out.file("settle.prom")
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--quiet",
                                              "--metrics-file", metricsPath], out: out.file("out"), in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        let reconciliation = try #require(try run.summary()["result"]?["reconciliation"])
        let total = try #require(reconciliation["mismatches"]?.int)
        let kinds = try #require(reconciliation["mismatches_by_kind"]?.members)
        #expect(total > 0, "the generator's faults include ledger differences")
        let metrics = try String(contentsOfFile: metricsPath, encoding: .utf8)
        let html = try String(contentsOfFile: out.file("out/report.html"), encoding: .utf8)
        #expect(html.contains("id=\"mismatches\">\(Self.grouped(total))<"))
        for (kind, value) in kinds {
            let count = try #require(value.int)
            #expect(metrics.contains("settle_mismatches{kind=\"\(kind)\"} \(count).0\n"), "\(kind) \(count) in:\n\(metrics)")
            #expect(html.contains("id=\"mismatch-\(kind)\">\(Self.grouped(count))<"), "\(kind)")
            if count > 0 { #expect(html.contains(kind.replacingOccurrences(of: "_", with: " ") + ": \(Self.grouped(count)) mismatches")) }
        }
        #expect(html.contains("Merchants with the largest differences"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) from util-linux for a terminal"))
    func liveLineOnATerminal() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "tty")
        defer { out.remove() }
        let binary = try SettleBinary.path()
        let command = "\(binary) aggregate settlement.dat --layout reference --out \(out.path) --workers 1 --partition-size 64K 2>&1"
        let outcome = try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"], in: dataset.directory)
        #expect(outcome.exitStatus == 1, "\(outcome)")
        #expect(outcome.stdout.contains("\r\u{1B}[2Ksettle: "), "a live line redrawn in place: \(outcome.stdout.debugDescription.prefix(600))")
        #expect(!outcome.stdout.contains("settle: progress: "), "no plain progress lines on a terminal")
        #expect(outcome.stdout.contains("settle: wrote "), "the closing report follows")
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
