/// Renders `summary.json` (schema 1). `result` depends only on the inputs and layouts, so it is
/// identical for identical inputs whatever the workers, memory or partition size; `run` describes
/// this particular run. Money is written as strings of digits. Field by field in the README.
struct SummaryJSON {
    static let schema = 1
    let plan: PartitionPlan
    let partitions: [PartitionResult]
    let options: AggregateOptions

    func render(runID: String, staged: borrowing OutputPublisher.Staged, run: RunFacts) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.number("schema", Self.schema)
        json.string("run_id", runID)
        let findings = staged.controlChecks.contains { $0.status != .agree } || totalRejects > 0
            || (staged.reconciliation?.mismatchTotal ?? 0) > 0
        json.string("status", findings ? "completed_with_findings" : "completed")
        json.beginObject("outputs")
        json.beginObject("totals.csv")
        json.string("sha256", staged.totalsSHA256)
        json.number("bytes", staged.totalsBytes)
        json.endObject()
        json.beginObject("rejects.csv")
        json.string("sha256", staged.rejectsSHA256)
        json.number("bytes", staged.rejectsBytes)
        json.endObject()
        if let reconciliation = staged.reconciliation {
            let matches = [("matches.csv", reconciliation.matches), ("open_items.csv", reconciliation.openItems)].compactMap { name, file in
                file.map { (name, $0) }
            }
            for (name, file) in [("mismatches.csv", reconciliation.mismatches), ("reconciliation.csv", reconciliation.reconciliation)] + matches {
                json.beginObject(name)
                json.string("sha256", file.sha256)
                json.number("bytes", file.bytes)
                json.endObject()
            }
        }
        json.endObject()
        renderResult(&json, staged: staged)
        renderRun(&json, run: run)
        json.endObject()
        return json.bytes
    }

    private var totalRejects: Int {
        partitions.reduce(0) { $0 + $1.rejected } + plan.files.reduce(0) { $0 + $1.fileRejects.count }
    }

    /// A file's content identity (`ContentDigest`), from its partitions' block digests in order.
    func contentSHA256(_ fileIndex: Int) -> String? {
        ContentDigest.combine(partitions.filter { $0.partition.fileIndex == fileIndex }.map(\.contentDigests))
    }

    /// The partitions of settlement files (ledger files are reported under `reconciliation`).
    private var settlementPartitions: [PartitionResult] {
        partitions.filter { !plan.files[$0.partition.fileIndex].isLedger }
    }

    private func renderResult(_ json: inout JSONWriter, staged: borrowing OutputPublisher.Staged) {
        json.beginObject("result")
        json.number("records_read", settlementPartitions.reduce(0) { $0 + $1.records })
        json.number("valid", settlementPartitions.reduce(0) { $0 + $1.validDetails })
        json.number("rejected", totalRejects)
        json.beginObject("rejected_by_reason")
        for reason in RejectReason.allCases {
            let count = partitions.reduce(0) { $0 + $1.rejectsByReason[Int(reason.rawValue)] }
                + plan.files.reduce(0) { $0 + $1.fileRejects.filter { $0 == reason }.count }
            if count > 0 { json.number(reason.code, count) }
        }
        json.endObject()
        json.beginArray("files")
        for (file, check) in zip(plan.files.filter { !$0.isLedger }, staged.controlChecks) {
            let results = partitions.filter { $0.partition.fileIndex == file.index }
            json.beginObject()
            json.string("path", file.path)
            json.string("layout", file.layoutName)
            json.number("size_bytes", file.sizeBytes)
            if let content = contentSHA256(file.index) { json.string("content_sha256", content) }
            if let messages = file.messages {
                // Length-prefixed messages: the blocking and encoding `auto` found.
                json.string("framing", messages.blocked ? "rdw-1014" : "rdw")
                json.string("encoding", messages.encoding.rawValue)
            } else {
                json.string("framing", file.framing.rawValue)
                // A layout that declares its encoding: the code page this file was read in.
                if file.layout.spec.encoding != .ascii, let structured = file.layout.structured {
                    json.string("encoding", structured.codePage.rawValue)
                }
            }
            json.number("records", results.reduce(0) { $0 + $1.records })
            json.number("valid", results.reduce(0) { $0 + $1.validDetails })
            json.number("rejected", results.reduce(0) { $0 + $1.rejected } + file.fileRejects.count)
            json.beginObject("header")
            for (name, value) in file.headerValues { json.string(name, value) }
            json.endObject()
            if let structured = check.structured {
                renderStructured(&json, structured)
                json.endObject()
                continue
            }
            json.beginObject("control_check")
            json.string("status", check.status.rawValue)
            for figure in check.figures {
                json.beginObject(figure.name)
                json.money("declared", figure.declared)
                json.money("valid_records", figure.actual)
                json.money("difference", figure.difference)
                json.money("explained_by_rejects", figure.explainedByRejects)
                json.money("unexplained", figure.unexplained)
                json.endObject()
            }
            json.number("rejects_with_unreadable_amount", check.unreadableAmounts)
            json.endObject()
            json.endObject()
        }
        json.endArray()
        json.beginObject("totals")
        json.number("rows", staged.totalsRows)
        renderAggregate(&json, staged.grandTotal)
        json.beginObject("by_currency")
        for (currency, value) in staged.currencyTotals {
            json.beginObject(currency)
            renderAggregate(&json, value)
            json.endObject()
        }
        json.endObject()
        json.endObject()
        if let reconciliation = staged.reconciliation { renderReconciliation(&json, reconciliation) }
        json.endObject()
    }

    /// A structured layout's checks and warnings (docs/structured-layouts.md).
    private func renderStructured(_ json: inout JSONWriter, _ report: StructuredReport) {
        json.number("amount_scale", report.scale)
        json.number("groups", report.groups)
        json.number("logical_files", report.files)
        // A file of many batches has many checks: passed group checks are counted, not listed.
        let failed = report.failed.count
        let skipped = report.checks.filter(\.skipped).count
        json.number("checks_total", report.checks.count)
        json.number("checks_passed", report.checks.count - failed - skipped)
        json.number("checks_failed", failed)
        json.number("checks_skipped", skipped)
        json.beginObject("checks_by_name")
        for scope in ["file", "group"] {
            let ofScope = report.checks.filter { $0.scope == scope }
            guard !ofScope.isEmpty else { continue }
            json.beginObject(scope)
            var names: [String] = []
            for check in ofScope where !names.contains(check.name) { names.append(check.name) }
            for name in names {
                let named = ofScope.filter { $0.name == name }
                json.beginObject(name)
                json.number("passed", named.filter { $0.passed && !$0.skipped }.count)
                json.number("failed", named.filter { !$0.passed && !$0.skipped }.count)
                json.number("skipped", named.filter(\.skipped).count)
                json.endObject()
            }
            json.endObject()
        }
        json.endObject()
        let listed = report.checks.filter { $0.scope == "file" || !$0.passed || $0.skipped }
        let limit = StructuredReport.listedGroupChecks
        var groupListed = 0
        var notListed = report.checks.count - listed.count
        json.beginArray("checks")
        for check in listed {
            if check.scope == "group" {
                groupListed += 1
                if groupListed > limit {
                    notListed += 1
                    continue
                }
            }
            json.beginObject()
            json.string("name", check.name)
            json.string("scope", check.scope)
            if let group = check.group { json.number("group", group) }
            if let record = check.groupRecord { json.number("group_record", record) }
            json.number("record", check.record)
            json.string("expected", check.expected)
            json.string("found", check.found)
            json.string("status", check.skipped ? "skipped" : check.passed ? "passed" : "failed")
            json.endObject()
        }
        json.endArray()
        json.number("checks_not_listed", notListed)
        json.beginObject("warnings")
        for warning in report.warnings {
            json.beginObject(warning.kind)
            json.number("count", warning.count)
            json.beginArray("first_records")
            for record in warning.records { json.number(nil, record) }
            json.endArray()
            json.endObject()
        }
        json.endObject()
    }

    private func renderReconciliation(_ json: inout JSONWriter, _ output: ReconciliationOutput) {
        json.beginObject("reconciliation")
        for (name, side) in [("settled", output.settled), ("ledger", output.ledger), ("matched", output.matched)] {
            json.beginObject(name)
            json.number("count", side.count)
            json.money("gross", side.gross)
            json.endObject()
        }
        json.number("mismatches", output.mismatchTotal)
        json.beginObject("mismatches_by_kind")
        for kind in MismatchKind.allCases { json.number(kind.code, output.counts[kind.rawValue]) }
        json.endObject()
        if output.matches != nil {
            json.beginObject("matched_by_pass")
            for (name, count) in output.matchedByPass { json.number(name, count) }
            json.endObject()
        }
        if output.openItems != nil {
            json.beginObject("open_items")
            json.number("open", output.openFigures.open)
            json.number("expired", output.openFigures.expired)
            json.number("late_matches", output.openFigures.lateMatches)
            json.beginObject("by_age_days")
            for (band, count) in zip(OpenFigures.ageBands, output.openFigures.byAge) { json.number(band, count) }
            json.endObject()
            json.endObject()
        }
        json.number("rows", output.rows)
        json.beginArray("ledger_files")
        for file in output.ledgerFiles {
            json.beginObject()
            json.string("path", file.path)
            if let content = file.contentSHA256 { json.string("content_sha256", content) }
            json.number("rows", file.rows)
            json.number("valid", file.valid)
            json.number("rejected", file.rejected)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    private func renderAggregate(_ json: inout JSONWriter, _ value: PartialAggregate) {
        json.number("debit_count", Int(value.debitCount))
        json.money("debit_amount", value.debitAmount)
        json.number("credit_count", Int(value.creditCount))
        json.money("credit_amount", value.creditAmount)
        json.money("fee_amount", value.feeAmount)
        json.money("net_amount", value.netAmount)
    }

    private func renderRun(_ json: inout JSONWriter, run: RunFacts) {
        json.beginObject("run")
        json.string("started_at", Timestamp.iso8601(seconds: run.startedAt.seconds, nanoseconds: run.startedAt.nanoseconds))
        json.number("workers", options.workers)
        json.number("memory_bytes", options.memoryBytes)
        json.number("partition_size_bytes", options.partitionSizeBytes)
        json.number("buckets", options.buckets)
        if options.excelSafe { json.bool("excel_safe", true) }
        json.beginObject("stage_seconds")
        var total = 0.0
        for (stage, seconds) in run.stageSeconds {
            json.number(stage, seconds)
            total += seconds
        }
        json.number("total", total)
        json.endObject()
        let records = partitions.reduce(0) { $0 + $1.records }
        let bytes = plan.files.reduce(0) { $0 + $1.sizeBytes }
        json.number("records_per_second", total > 0 ? Double(records) / total : 0, decimals: 0)
        json.number("bytes_per_second", total > 0 ? Double(bytes) / total : 0, decimals: 0)
        json.number("spill_files", run.spillFiles)
        json.number("spill_bytes", run.spillBytes)
        json.number("peak_rss_bytes", run.peakRSSBytes)
        json.number("peak_anonymous_bytes", run.peakAnonymousBytes)
        json.number("partitions_resumed", run.partitionsResumed)
        let origin = partitions.map(\.startNanoseconds).filter { $0 > 0 }.min() ?? 0
        let directory = JobDirectory(root: options.resolvedWorkDirectory)
        json.beginArray("partitions")
        for result in partitions {
            json.beginObject()
            json.number("index", result.partition.index)
            json.string("file", plan.files[result.partition.fileIndex].path)
            json.number("byte_start", result.partition.byteStart)
            json.number("byte_end", result.partition.byteEnd)
            json.number("records", result.records)
            json.number("worker", result.worker)
            if result.startNanoseconds > 0 {
                json.number("start_ms", Double(result.startNanoseconds - origin) / 1e6)
                json.number("end_ms", Double(result.endNanoseconds - origin) / 1e6)
            } else {
                json.number("seconds", Double(result.endNanoseconds) / 1e9)
            }
            json.number("spill_runs", result.runs.count)
            json.number("attempts", result.attempts)
            // A partition mapped by an external task (settle map) may carry its scheduler's attempt number.
            if result.startNanoseconds == 0,
               let attempt = MarkerIO.decode(PartitionMarker.self, path: directory.partitionMarker(result.partition.index))?.schedulerAttempt {
                json.number("scheduler_attempt", attempt)
            }
            json.bool("resumed", result.startNanoseconds == 0)
            json.endObject()
        }
        json.endArray()
        json.beginArray("bucket_tasks")
        for bucket in 0..<options.buckets {
            guard let marker = MarkerIO.decode(BucketMarker.self, path: directory.bucketMarker(bucket)) else { continue }
            json.beginObject()
            json.number("index", bucket)
            json.number("keys", marker.output.entries)
            json.number("seconds", marker.seconds)
            json.number("attempts", marker.attempts)
            if let attempt = marker.schedulerAttempt { json.number("scheduler_attempt", attempt) }
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }
}

/// UTC timestamps without Foundation.
enum Timestamp {
    static func iso8601(seconds: Int, nanoseconds: Int) -> String {
        let days = seconds / 86400
        let secondOfDay = seconds % 86400
        let millis = nanoseconds / 1_000_000
        return "\(CalendarDay.format(days))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }
}
