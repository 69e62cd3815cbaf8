/// The morning report as one self-contained HTML page (inline CSS and SVG, no script, no network:
/// its Content-Security-Policy forbids both), answering first "did last night's file settle
/// correctly", then "where are the differences". Sections with no data (no reconciliation, an
/// interrupted run) are left out.
struct ReportPage {
    let inputs: ReportInputs
    var summary: ReportJSON { inputs.summary }
    var result: ReportJSON? { summary["result"] }

    func render() -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Settle report: \(HTMLText.escape(title))</title>
        <style>\(ReportStyle.css)</style>
        </head><body><main>

        """
        html += header()
        if summary["status"]?.string == "interrupted" {
            html += interrupted()
        } else if result != nil {
            html += keyFigures() + controlChecks() + totals() + reconciliation() + matchingAndOpenItems() + topMerchants() + rejects() + timeline() + runFacts()
        }
        if !inputs.missingFiles.isEmpty {
            html += "<p class=\"note\">Not found in the output directory: \(HTMLText.escape(inputs.missingFiles.joined(separator: ", "))).</p>"
        }
        html += "<footer>Made by Settle from the published outputs (summary.json, totals.csv, rejects.csv"
        html += result?["reconciliation"] != nil ? ", mismatches.csv, reconciliation.csv" : ""
        html += "); <code>settle report DIR</code> makes it again. Amounts are integers in minor units.</footer>\n</main></body></html>\n"
        return html
    }

    private var title: String {
        let files = (result?["files"]?.elements ?? []).compactMap { $0["path"]?.string }
        return files.isEmpty ? "run \(summary["run_id"]?.string ?? "")" : files.joined(separator: ", ")
    }

    /// The worst control-check status over the files: unexplained, unavailable, explained, agree.
    var controlStatus: String {
        let order = ["agree", "explained", "unavailable", "unexplained"]
        let statuses = (result?["files"]?.elements ?? []).compactMap { file in
            // A structured layout's file: its checks, all passed or not.
            file["control_check"]?["status"]?.string ?? file["checks_failed"]?.int.map { $0 == 0 ? "agree" : "unexplained" }
        }
        return statuses.max { (order.firstIndex(of: $0) ?? 4) < (order.firstIndex(of: $1) ?? 4) } ?? "unavailable"
    }

    private func header() -> String {
        let status = summary["status"]?.string ?? "unknown"
        let mismatches = result?["reconciliation"]?["mismatches"]?.int
        let verdict: (text: String, tone: String)
        switch status {
        case "completed": verdict = ("Settled: no rejects, control totals agree" + (mismatches == 0 ? ", ledger reconciled" : ""), "ok")
        case "completed_with_findings": verdict = ("Completed with findings", "warn")
        case "interrupted": verdict = ("Interrupted: not finished", "bad")
        default: verdict = ("Status \(status)", "bad")
        }
        var html = "<header><h1>Settlement report</h1><p class=\"meta\">\(HTMLText.escape(title))"
        if let started = summary["run"]?["started_at"]?.string { html += " · started \(HTMLText.escape(started))" }
        if let runID = summary["run_id"]?.string { html += " · run <code>\(HTMLText.escape(String(runID.prefix(12))))</code>" }
        html += "</p></header>\n<section class=\"banner \(verdict.tone)\" id=\"status-banner\"><div class=\"verdict\">\(HTMLText.escape(verdict.text))</div><p>"
        html += "Run status: " + HTMLText.element("strong", status, id: "run-status")
        if result != nil {
            html += " · Control totals: " + HTMLText.element("strong", controlStatus, id: "control-check-status")
            html += " · Rejects: " + HTMLText.element("strong", HTMLText.count(result?["rejected"]?.int ?? 0), id: "banner-rejected")
        }
        if let mismatches {
            html += " · Ledger mismatches: " + HTMLText.element("strong", HTMLText.count(mismatches), id: "mismatches")
        }
        return html + "</p></section>\n"
    }

    private func interrupted() -> String {
        let progress = summary["progress"]
        var rows: [[String]] = []
        rows.append(["signal", HTMLText.escape(summary["signal"]?.string ?? "")])
        rows.append(["stage", HTMLText.escape(summary["stage"]?.string ?? "")])
        for key in ["partitions_done", "partitions_total", "buckets_done", "buckets_total", "records_read", "rejected"] {
            rows.append([key.replacingUnderscores, HTMLText.element("span", HTMLText.count(progress?[key]?.int ?? 0), id: "progress-\(key)")])
        }
        rows.append(["resume with", "<code>\(HTMLText.escape(summary["resume_command"]?.string ?? ""))</code>"])
        return section("How far the run got", HTMLText.table(["Fact", "Value"], rows))
    }

    /// Per file: its status, then declared vs valid per figure, and how much the rejects explain.
    private func controlChecks() -> String {
        var html = ""
        for file in result?["files"]?.elements ?? [] {
            if file["checks_total"] != nil {
                html += structuredChecks(file)
                continue
            }
            let check = file["control_check"]
            let status = check?["status"]?.string ?? "unavailable"
            let tone = status == "agree" ? "ok" : status == "explained" ? "warn" : "bad"
            html += "<h3><span class=\"path\">\(HTMLText.escape(file["path"]?.string ?? ""))</span> "
                + "<span class=\"pill \(tone) control-status\">\(HTMLText.escape(status))</span></h3>"
            html += "<p class=\"note\">layout \(HTMLText.escape(file["layout"]?.string ?? "")): \(HTMLText.count(file["records"]?.int ?? 0)) records, "
                + "\(HTMLText.count(file["valid"]?.int ?? 0)) valid, \(HTMLText.count(file["rejected"]?.int ?? 0)) rejected</p>"
            let rows: [[String]] = ["count", "debit", "credit", "fee"].compactMap { name in
                guard let figure = check?[name] else { return nil }
                let unexplained = figure["unexplained"]?.figure ?? "0"
                let unexplainedCell = HTMLText.escape(HTMLText.money(unexplained))
                return [name] + ["declared", "valid_records", "difference", "explained_by_rejects"].map {
                    HTMLText.escape(HTMLText.money(figure[$0]?.figure ?? "–"))
                } + [unexplained == "0" ? unexplainedCell : "<span class=\"\(status == "unexplained" ? "bad-text" : "muted")\">\(unexplainedCell)</span>"]
            }
            if rows.isEmpty {
                html += "<p>No readable trailer: the control totals cannot be checked.</p>"
            } else {
                html += HTMLText.table(["Figure", "Declared (trailer)", "Valid records", "Difference", "Explained by rejects", "Not explained"],
                                       rows, numeric: [1, 2, 3, 4, 5])
            }
            if let unreadable = check?["rejects_with_unreadable_amount"]?.int, unreadable > 0, status != "unexplained" {
                html += "<p class=\"note\">\(HTMLText.count(unreadable)) rejected records have an unreadable amount or direction: they carry what is not explained to the unit.</p>"
            }
        }
        return section("Control totals", html)
    }

    /// A structured layout's file: checks counted by name, the failed ones listed, and the warnings.
    private func structuredChecks(_ file: ReportJSON) -> String {
        let failed = file["checks_failed"]?.int ?? 0
        let status = failed == 0 ? "all checks passed" : "\(failed) checks failed"
        var html = "<h3><span class=\"path\">\(HTMLText.escape(file["path"]?.string ?? ""))</span> "
            + "<span class=\"pill \(failed == 0 ? "ok" : "bad") control-status\">\(HTMLText.escape(status))</span></h3>"
        html += "<p class=\"note\">layout \(HTMLText.escape(file["layout"]?.string ?? "")): \(HTMLText.count(file["records"]?.int ?? 0)) records, "
            + "\(HTMLText.count(file["valid"]?.int ?? 0)) valid, \(HTMLText.count(file["rejected"]?.int ?? 0)) rejected; "
            + "\(HTMLText.count(file["groups"]?.int ?? 0)) groups; amounts in units of 10^-\(file["amount_scale"]?.int ?? 2)</p>"
        var rows: [[String]] = []
        for scope in ["file", "group"] {
            let names = file["checks_by_name"]?[scope]?.members ?? [:]
            for name in names.keys.sorted() {
                let counts = names[name]
                var row = [scope, HTMLText.escape(name)]
                for key in ["passed", "failed", "skipped"] { row.append(HTMLText.count(counts?[key]?.int ?? 0)) }
                rows.append(row)
            }
        }
        html += HTMLText.table(["Scope", "Check", "Passed", "Failed", "Skipped"], rows, numeric: [2, 3, 4])
        let failures = (file["checks"]?.elements ?? []).filter { $0["status"]?.string == "failed" }
        if !failures.isEmpty {
            var failedRows: [[String]] = []
            for check in failures {
                var place = "file"
                if let group = check["group"]?.int {
                    place = "group \(group)"
                    if let record = check["group_record"]?.int { place += " (record \(record))" }
                }
                let record = check["record"]?.int ?? 0
                failedRows.append([HTMLText.escape(check["name"]?.string ?? ""), place, record > 0 ? HTMLText.count(record) : "–",
                                   HTMLText.escape(check["expected"]?.string ?? ""), HTMLText.escape(check["found"]?.string ?? "")])
            }
            html += HTMLText.table(["Failed check", "Where", "Record", "Declared", "Found"], failedRows, numeric: [2])
        }
        let warningMembers = file["warnings"]?.members ?? [:]
        var warnings: [[String]] = []
        for kind in warningMembers.keys.sorted() {
            let warning = warningMembers[kind]
            let first = (warning?["first_records"]?.elements ?? []).compactMap { $0.int.map(String.init) }.joined(separator: ", ")
            warnings.append([HTMLText.escape(kind), HTMLText.count(warning?["count"]?.int ?? 0), HTMLText.escape(first)])
        }
        if !warnings.isEmpty {
            html += HTMLText.table(["Read with a warning", "Records", "First records"], warnings, numeric: [1])
        }
        return html
    }

    private func keyFigures() -> String {
        let records = result?["records_read"]?.int ?? 0
        let rejected = result?["rejected"]?.int ?? 0
        let share = records > 0 ? Double(rejected) * 100 / Double(records) : 0
        var cards = [
            card("Records read", HTMLText.count(records), id: "records-read"),
            card("Valid detail records", HTMLText.count(result?["valid"]?.int ?? 0), id: "valid"),
            card("Rejected", HTMLText.count(rejected), id: "rejected", note: "\(HTMLText.decimal(share, decimals: 2))% of records"),
            card("Merchant/currency rows", HTMLText.count(result?["totals"]?["rows"]?.int ?? 0), id: "totals-rows"),
        ]
        if let run = summary["run"] {
            let seconds = run["stage_seconds"]?["total"]?.double ?? 0
            let rate = run["records_per_second"]?.double ?? 0
            cards.append(card("Run time", HTMLText.decimal(seconds, decimals: 2) + " s", id: "run-seconds",
                              note: "\(HTMLText.count(Int(rate))) records/s"))
        }
        return "<section class=\"cards\">" + cards.joined() + "</section>\n"
    }

    private func card(_ label: String, _ value: String, id: String, note: String? = nil) -> String {
        "<div class=\"card\"><div class=\"label\">\(HTMLText.escape(label))</div><div class=\"value\" id=\"\(id)\">\(HTMLText.escape(value))</div>"
            + (note.map { "<div class=\"label\">\(HTMLText.escape($0))</div>" } ?? "") + "</div>"
    }

    private func totals() -> String {
        guard let totals = result?["totals"] else { return "" }
        // A currency's amounts in its major units; the sum over all currencies stays in minor units.
        func row(_ name: String, _ value: ReportJSON?, currency: String?) -> [String] {
            [HTMLText.escape(name)] + ["debit_count", "debit_amount", "credit_count", "credit_amount", "fee_amount", "net_amount"].map { column in
                let figure = value?[column]?.figure ?? ""
                guard let currency, !column.hasSuffix("_count") else { return HTMLText.escape(HTMLText.money(figure)) }
                return HTMLText.escape(MoneyText.major(figure, currency: currency))
            }
        }
        let currencies = (totals["by_currency"]?.members ?? [:]).sorted { $0.key < $1.key }
        let rows = currencies.map { row($0.key, $0.value, currency: $0.key) } + [row("all currencies", totals, currency: nil).map { "<strong>\($0)</strong>" }]
        var html = HTMLText.table(["Currency", "Debits", "Debit amount", "Credits", "Credit amount", "Fees", "Net"], rows,
                                  numeric: [1, 2, 3, 4, 5, 6], id: "totals")
        if let reconciliation = result?["reconciliation"] {
            let sides = ["settled": "Settlement (valid records)", "ledger": "Ledger", "matched": "Matched"]
            let sideRows = ["settled", "ledger", "matched"].map { key in
                [HTMLText.escape(sides[key]!), HTMLText.escape(HTMLText.count(reconciliation[key]?["count"]?.int ?? 0)),
                 HTMLText.escape(HTMLText.money(reconciliation[key]?["gross"]?.figure ?? ""))]
            }
            html += "<h3>Both sides</h3>" + HTMLText.table(["Side", "Transactions", "Gross amount"], sideRows, numeric: [1, 2], id: "sides")
            let ledgerFiles = (reconciliation["ledger_files"]?.elements ?? []).map { file in
                [HTMLText.escape(file["path"]?.string ?? ""), HTMLText.count(file["rows"]?.int ?? 0),
                 HTMLText.count(file["valid"]?.int ?? 0), HTMLText.count(file["rejected"]?.int ?? 0)]
            }
            if !ledgerFiles.isEmpty {
                html += HTMLText.table(["Ledger file", "Rows", "Valid", "Rejected"], ledgerFiles, numeric: [1, 2, 3])
            }
        }
        return section("Totals", html)
    }

    private func reconciliation() -> String {
        guard let reconciliation = result?["reconciliation"] else { return "" }
        let kinds = (reconciliation["mismatches_by_kind"]?.members ?? [:]).compactMapValues(\.int)
        let total = max(1, kinds.values.reduce(0, +))
        let ordered = JobMetrics.mismatchKinds.filter { kinds[$0] != nil } + kinds.keys.filter { !JobMetrics.mismatchKinds.contains($0) }.sorted()
        let rows = ordered.map { kind in
            [HTMLText.escape(kind.replacingUnderscores), HTMLText.element("span", HTMLText.count(kinds[kind] ?? 0), id: "mismatch-\(kind)"),
             bar(Double(kinds[kind] ?? 0) / Double(total))]
        }
        var html = HTMLText.table(["Kind", "Mismatches", ""], rows, numeric: [1], id: "mismatch-kinds")
        if let samples = inputs.mismatches {
            html += sampleTables(samples, groupColumn: "kind", noun: "mismatches")
        }
        if let differences = inputs.reconciliationRows, !differences.isEmpty {
            let money = Set(["settled_gross", "ledger_gross", "matched_gross", "difference"])
            let numeric = Set(inputs.reconciliationColumns.indices.filter { inputs.reconciliationColumns[$0] != "merchant_id" && inputs.reconciliationColumns[$0] != "currency" })
            let currencyColumn = inputs.reconciliationColumns.firstIndex(of: "currency")
            let rows = differences.map { row in
                row.enumerated().map { index, value in
                    if money.contains(inputs.reconciliationColumns[index]), let currencyColumn, currencyColumn < row.count {
                        return HTMLText.escape(MoneyText.major(value, currency: row[currencyColumn]))
                    }
                    return HTMLText.escape(numeric.contains(index) ? HTMLText.money(value) : value)
                }
            }
            html += "<h3>Merchants with the largest differences</h3><div class=\"wide\">"
                + HTMLText.table(inputs.reconciliationColumns.map(\.replacingUnderscores), rows, numeric: numeric, id: "reconciliation-differences")
                + "</div>"
        }
        return section("Ledger reconciliation: mismatches by kind", html)
    }

    private func topMerchants() -> String {
        guard let top = inputs.topMerchants, !top.isEmpty else { return "" }
        let most = Double(max(1, top.first?.transactions ?? 1))
        let rows = top.enumerated().map { rank, row in
            [String(rank + 1), HTMLText.escape(row.merchant), HTMLText.escape(row.currency),
             HTMLText.count(row.transactions), bar(Double(row.transactions) / most)]
                + [row.debitAmount, row.creditAmount, row.feeAmount, row.netAmount].map { HTMLText.escape(MoneyText.major($0, currency: row.currency)) }
        }
        return section("Top merchants by volume (transactions)",
                       HTMLText.table(["#", "Merchant", "Currency", "Transactions", "", "Debit amount", "Credit amount", "Fees", "Net"],
                                      rows, numeric: [0, 3, 5, 6, 7, 8], id: "top-merchants"))
    }

    private func rejects() -> String {
        let reasons = (result?["rejected_by_reason"]?.members ?? [:]).compactMapValues(\.int).filter { $0.value > 0 }
        guard !reasons.isEmpty else { return section("Rejects by reason", "<p id=\"no-rejects\">No rejects: every record was read.</p>") }
        let total = Double(max(1, reasons.values.reduce(0, +)))
        let rows = reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { reason, count in
            [HTMLText.escape(reason), HTMLText.element("span", HTMLText.count(count), id: "reject-\(reason)"), bar(Double(count) / total)]
        }
        var html = HTMLText.table(["Reason", "Rejects", ""], rows, numeric: [1], id: "reject-reasons")
        if let samples = inputs.rejects { html += sampleTables(samples, groupColumn: "reason", noun: "rejects") }
        return section("Rejects by reason", html)
    }

    /// For each group, its first rows with every column but the grouping one.
    private func sampleTables(_ samples: ReportInputs.Samples, groupColumn: String, noun: String) -> String {
        var html = ""
        for group in samples.groups where !group.rows.isEmpty {
            // Columns empty in every row shown are left out (a row missing in the ledger has no ledger side).
            let shown = samples.columns.indices.filter { column in
                samples.columns[column] != groupColumn && group.rows.contains { column < $0.count && !$0[column].isEmpty }
            }
            let more = group.count > group.rows.count ? " (first \(group.rows.count) of \(HTMLText.count(group.count)))" : ""
            html += "<h3>\(HTMLText.escape(group.key.replacingUnderscores)): \(HTMLText.escape(HTMLText.count(group.count))) \(noun)\(HTMLText.escape(more))</h3>"
            let rows = group.rows.map { fields in shown.map { HTMLText.escape($0 < fields.count ? fields[$0] : "") } }
            html += "<div class=\"wide samples\">" + HTMLText.table(shown.map { samples.columns[$0] }, rows) + "</div>"
        }
        return html
    }

    private func timeline() -> String {
        let spans = ReportCharts.spans(summary)
        guard !spans.isEmpty else { return "" }
        let resumed = (summary["run"]?["partitions"]?.elements.count ?? 0) - spans.count
        let note = resumed > 0 ? "<p class=\"note\">\(resumed) partitions were done by an earlier, interrupted run and are not shown.</p>" : ""
        return section("Map timeline: partitions across workers", ReportCharts.timeline(spans) + note)
            + section("Throughput over time (map stage, records per second)", ReportCharts.throughput(spans))
    }

    private func runFacts() -> String {
        guard let run = summary["run"] else { return "" }
        var rows: [[String]] = []
        func add(_ name: String, _ value: String?) { if let value { rows.append([HTMLText.escape(name), HTMLText.escape(value)]) } }
        add("started", run["started_at"]?.string)
        add("workers", run["workers"]?.int.map(HTMLText.count))
        add("memory", run["memory_bytes"]?.int.map(ByteSize.format))
        add("partition size", run["partition_size_bytes"]?.int.map(ByteSize.format))
        add("buckets", run["buckets"]?.int.map(HTMLText.count))
        let stages = (run["stage_seconds"]?.members ?? [:]).filter { $0.key != "total" }
        let stageOrder = ["plan", "map", "reduce", "finalize"]
        add("stage seconds", stages.sorted { (stageOrder.firstIndex(of: $0.key) ?? 9) < (stageOrder.firstIndex(of: $1.key) ?? 9) }
                .map { "\($0.key) \(HTMLText.decimal($0.value.double ?? 0, decimals: 3))" }.joined(separator: ", "))
        add("records per second", run["records_per_second"]?.int.map(HTMLText.count))
        add("bytes per second", run["bytes_per_second"]?.int.map { ByteSize.format($0) + "/s" })
        add("spill", run["spill_files"]?.int.map { "\($0) files, " + ByteSize.format(run["spill_bytes"]?.int ?? 0) })
        add("peak RSS / anonymous", run["peak_rss_bytes"]?.int.map { ByteSize.format($0) + " / " + ByteSize.format(run["peak_anonymous_bytes"]?.int ?? 0) })
        add("partitions resumed", run["partitions_resumed"]?.int.map(HTMLText.count))
        return section("This run", HTMLText.table(["Fact", "Value"], rows, id: "run-facts"))
    }

    func section(_ heading: String, _ body: String) -> String {
        "<section><h2>\(HTMLText.escape(heading))</h2>\(body)</section>\n"
    }

    private func bar(_ fraction: Double) -> String {
        "<span class=\"track\"><span class=\"bar\" style=\"width:\(HTMLText.decimal(max(0.5, min(1, fraction) * 100), decimals: 1))%\"></span></span>"
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
