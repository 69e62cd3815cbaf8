import Foundation
import Testing
@testable import SettleEngine

/// The morning report's renderer on hand-written outputs: escaping, sections present or left out,
/// the figures of summary.json, the SVG charts.
@Suite("Report: report.html from published outputs")
struct ReportTests {
    /// A finished run's outputs; `reconciliation` adds the ledger part and its two files.
    static func fixture(reconciliation: Bool) -> String {
        let directory = TestSupport.temporaryDirectory("settle-report")
        let reconciliationPart = """
          "reconciliation": {
            "settled": {"count": 9990, "gross": "123456789"},
            "ledger": {"count": 9995, "gross": "123450000"},
            "matched": {"count": 9980, "gross": "123400000"},
            "mismatches": 17,
            "mismatches_by_kind": {"missing_in_ledger": 4, "missing_in_settlement": 9, "duplicate_in_settlement": 0,
              "duplicate_in_ledger": 0, "currency_mismatch": 0, "merchant_mismatch": 1, "direction_mismatch": 0,
              "amount_mismatch": 3, "settlement_rejected": 0},
            "ledger_files": [{"path": "ledger.csv", "rows": 9996, "valid": 9995, "rejected": 1}]
          },
        """
        TestSupport.write("""
        {
          "schema": 1,
          "run_id": "0123456789abcdef0123456789abcdef",
          "status": "completed_with_findings",
          "result": {
            "records_read": 10002,
            "valid": 9990,
            "rejected": 10,
            "rejected_by_reason": {"bad_amount": 7, "bad_date": 3},
            "files": [{"path": "night<1>.dat", "layout": "reference", "size_bytes": 1600320, "framing": "lf", "records": 10002,
              "valid": 9990, "rejected": 10, "header": {},
              "control_check": {"status": "explained",
                "count": {"declared": "10000", "valid_records": "9990", "difference": "10", "explained_by_rejects": "10", "unexplained": "0"},
                "debit": {"declared": "123500000", "valid_records": "123456789", "difference": "43211", "explained_by_rejects": "43211", "unexplained": "0"},
                "rejects_with_unreadable_amount": 0}}],
        \(reconciliation ? reconciliationPart : "")
            "totals": {"rows": 3, "debit_count": 9000, "debit_amount": "123456789", "credit_count": 990, "credit_amount": "1000",
              "fee_amount": "500", "net_amount": "123455289", "by_currency": {"EUR": {"debit_count": 9000, "debit_amount": "123456789",
              "credit_count": 990, "credit_amount": "1000", "fee_amount": "500", "net_amount": "123455289"}}}
          },
          "run": {
            "started_at": "2026-11-23T02:00:00.000Z", "workers": 3, "memory_bytes": 1073741824, "partition_size_bytes": 67108864,
            "buckets": 16, "stage_seconds": {"plan": 0.01, "map": 1.5, "reduce": 0.2, "finalize": 0.1, "total": 1.81},
            "records_per_second": 5526, "bytes_per_second": 884155, "spill_files": 4, "spill_bytes": 4096,
            "peak_rss_bytes": 1048576, "peak_anonymous_bytes": 524288, "partitions_resumed": 1,
            "partitions": [
              {"index": 0, "file": "night<1>.dat", "byte_start": 0, "byte_end": 400000, "records": 2500, "worker": 0, "start_ms": 0, "end_ms": 500, "spill_runs": 1, "attempts": 1, "resumed": false},
              {"index": 1, "file": "night<1>.dat", "byte_start": 400000, "byte_end": 800000, "records": 2500, "worker": 1, "start_ms": 10, "end_ms": 700, "spill_runs": 1, "attempts": 1, "resumed": false},
              {"index": 2, "file": "night<1>.dat", "byte_start": 800000, "byte_end": 1200000, "records": 2500, "worker": 2, "start_ms": 20, "end_ms": 1500, "spill_runs": 1, "attempts": 1, "resumed": false},
              {"index": 3, "file": "night<1>.dat", "byte_start": 1200000, "byte_end": 1600320, "records": 2502, "worker": 0, "seconds": 0.4, "spill_runs": 1, "attempts": 1, "resumed": true}
            ]
          }
        }
        """, to: directory + "/summary.json")
        TestSupport.write("""
        merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount
        "<script>alert(1)</script>",EUR,10,1000,0,0,10,990
        BIG&CO,EUR,8000,123000000,900,900,400,122999200
        SMALL,EUR,990,455789,90,100,90,455599

        """, to: directory + "/totals.csv")
        var rejects = "file,record_number,byte_offset,reason,field,detail,raw\n"
        for index in 0..<7 { rejects += "night<1>.dat,\(index + 2),\(index * 161),bad_amount,amount,\"amount: found \"\"X1\"\"\",D123<b>X1\n" }
        for index in 0..<3 { rejects += "night<1>.dat,\(index + 20),\(index * 161),bad_date,txn_date,\"bad date, see spec\",D999\n" }
        TestSupport.write(rejects, to: directory + "/rejects.csv")
        if reconciliation {
            var mismatches = "kind,arn,merchant_id,currency,direction,settled_amount,ledger_merchant_id,ledger_currency,ledger_direction,ledger_amount,difference,file,record_number,ledger_file,ledger_line\n"
            for index in 0..<9 { mismatches += "missing_in_settlement,7000000000000000000000\(index),,,,,M\(index),EUR,D,100,-100,,,ledger.csv,\(index + 2)\n" }
            for index in 0..<4 { mismatches += "missing_in_ledger,8000000000000000000000\(index),SMALL,EUR,D,50,,,,,50,night<1>.dat,\(index + 40),,\n" }
            for index in 0..<3 { mismatches += "amount_mismatch,9000000000000000000000\(index),BIG&CO,EUR,D,1000,BIG&CO,EUR,D,990,10,night<1>.dat,\(index + 60),ledger.csv,\(index + 80)\n" }
            mismatches += "merchant_mismatch,91000000000000000000001,\"<img src=x>\",EUR,C,5,OTHER,EUR,C,5,0,night<1>.dat,99,ledger.csv,99\n"
            TestSupport.write(mismatches, to: directory + "/mismatches.csv")
            TestSupport.write("""
            merchant_id,currency,settled_count,settled_gross,ledger_count,ledger_gross,matched_count,matched_gross,mismatch_count,difference
            BIG&CO,EUR,8900,123000900,8900,122999870,8897,122997000,3,1030
            SMALL,EUR,1080,455889,1076,455689,1076,455689,4,200
            QUIET,EUR,10,1000,10,1000,10,1000,0,0

            """, to: directory + "/reconciliation.csv")
        }
        return directory
    }

    @Test func escapingCoversMarkupAndAttributes() {
        #expect(HTMLText.escape("<a href=\"x\" title='y'>&amp;</a>") == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(HTMLText.escape("plain ünïcode") == "plain ünïcode")
        #expect(HTMLText.money("-1234567") == "-1,234,567")
        #expect(HTMLText.money("999") == "999")
        #expect(HTMLText.money("<b>") == "<b>", "not digits: shown as is (escaped by the caller)")
    }

    @Test func pageWithReconciliationShowsEveryFigure() throws {
        let directory = Self.fixture(reconciliation: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let html = try MorningReport.render(outDirectory: directory)

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Content-Security-Policy"), "the page forbids scripts and network")
        #expect(!html.contains("<script"), "data never becomes markup")
        #expect(!html.contains("<img"), "data never becomes markup")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x&gt;"))
        #expect(html.contains("BIG&amp;CO") && !html.contains("BIG&CO"))
        #expect(html.contains("night&lt;1&gt;.dat") && !html.contains("night<1>"))

        #expect(html.contains("id=\"run-status\">completed_with_findings<"))
        #expect(html.contains("id=\"control-check-status\">explained<"))
        #expect(html.contains("id=\"records-read\">10,002<"))
        #expect(html.contains("id=\"valid\">9,990<"))
        #expect(html.contains("id=\"rejected\">10<"))
        #expect(html.contains("id=\"reject-bad_amount\">7<"))
        #expect(html.contains("id=\"reject-bad_date\">3<"))
        #expect(html.contains("id=\"mismatches\">17<"))
        #expect(html.contains("id=\"mismatch-missing_in_settlement\">9<"))
        #expect(html.contains("id=\"mismatch-amount_mismatch\">3<"))
        #expect(html.contains("123,456,789"), "grand total with separators")

        // First rows of each kind: 5 of the 9 missing_in_settlement, all 3 amount mismatches.
        #expect(html.contains("missing in settlement: 9 mismatches (first 5 of 9)"))
        #expect(html.contains("70000000000000000000004") && !html.contains("70000000000000000000005"))
        #expect(html.contains("amount mismatch: 3 mismatches<"))
        // Rejects: first 5 of the 7 bad_amount rows, quotes undone and escaped.
        #expect(html.contains("bad amount: 7 rejects (first 5 of 7)"))
        #expect(html.contains("amount: found &quot;X1&quot;"))
        #expect(html.contains("D123&lt;b&gt;X1"))
        // Merchant differences: only rows with mismatches, the largest first.
        let differences = try #require(html.range(of: "id=\"reconciliation-differences\""))
        let tail = html[differences.upperBound...]
        #expect(try #require(tail.range(of: "BIG&amp;CO")).lowerBound < (try #require(tail.range(of: "SMALL"))).lowerBound)
        #expect(!tail.prefix(2000).contains("QUIET"))
        // Top merchants by transactions: BIG&CO, SMALL, then the script one.
        let top = try #require(html.range(of: "id=\"top-merchants\""))
        let topTail = html[top.upperBound...]
        #expect(try #require(topTail.range(of: "BIG&amp;CO")).lowerBound < (try #require(topTail.range(of: "&lt;script&gt;"))).lowerBound)

        // Charts: the timeline has one lane per worker and leaves out the resumed partition.
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        for worker in 0..<3 { #expect(html.contains(">worker \(worker)</text>")) }
        #expect(!html.contains(">worker 3</text>"))
        #expect(html.contains("1 partitions were done by an earlier"))
        #expect(html.contains("partition 2 (night&lt;1&gt;.dat): 2,500 records in 1.480 s on worker 2"))
    }

    @Test func pageWithoutReconciliationLeavesItsSectionsOut() throws {
        let directory = Self.fixture(reconciliation: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let html = try MorningReport.render(outDirectory: directory)
        #expect(!html.contains("Ledger reconciliation"))
        #expect(!html.contains("id=\"mismatches\""))
        #expect(!html.contains("Both sides"))
        #expect(!html.contains("Not found in the output directory"), "mismatches.csv is not expected without a ledger")
        #expect(html.contains("id=\"records-read\">10,002<"))
        #expect(MorningReport.mismatchesByKind(outDirectory: directory) == nil)
    }

    @Test func mismatchCountsForMetricsComeFromTheSummary() throws {
        let directory = Self.fixture(reconciliation: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let counts = try #require(MorningReport.mismatchesByKind(outDirectory: directory))
        #expect(counts["missing_in_settlement"] == 9 && counts["amount_mismatch"] == 3 && counts["currency_mismatch"] == 0)
    }

    @Test func interruptedRunShowsHowFarItGot() throws {
        let directory = TestSupport.temporaryDirectory("settle-report")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        TestSupport.write("""
        {"schema": 1, "run_id": "ab", "status": "interrupted", "signal": "SIGTERM", "stage": "map",
         "progress": {"partitions_total": 24, "partitions_done": 13, "buckets_total": 16, "buckets_done": 0, "records_read": 5400000, "rejected": 7},
         "work_directory": "out/.settle-work", "resume_command": "settle aggregate x.dat --layout reference --out out"}
        """, to: directory + "/summary.json")
        let html = try MorningReport.render(outDirectory: directory)
        #expect(html.contains("id=\"run-status\">interrupted<"))
        #expect(html.contains("id=\"progress-partitions_done\">13<"))
        #expect(html.contains("id=\"progress-records_read\">5,400,000<"))
        #expect(html.contains("settle aggregate x.dat --layout reference --out out"))
        #expect(!html.contains("<svg"))
    }

    @Test func writeIsAtomicAndNeedsASummary() throws {
        let directory = Self.fixture(reconciliation: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try MorningReport.write(outDirectory: directory)
        #expect(path == directory + "/report.html")
        #expect(try FileIO.readText(path: path) == (try MorningReport.render(outDirectory: directory)))
        #expect(FileIO.listDirectory(directory).allSatisfy { !$0.contains(".tmp-") }, "no temporary file left")

        let empty = TestSupport.temporaryDirectory("settle-report")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: SettleError.self) { try MorningReport.write(outDirectory: empty) }
    }

    @Test func csvRowsUndoQuotingAndStopEarlyWithoutRepeatingARow() throws {
        let directory = TestSupport.temporaryDirectory("settle-csv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        TestSupport.write("a,b\n\"x, \"\"y\"\"\",2\r\n\"multi\nline\",3\nlast,4\n", to: directory + "/f.csv")
        var rows: [[String]] = []
        try CSVRows.forEach(path: directory + "/f.csv") { rows.append($0); return true }
        #expect(rows == [["a", "b"], ["x, \"y\"", "2"], ["multi\nline", "3"], ["last", "4"]])
        var seen: [[String]] = []
        try CSVRows.forEach(path: directory + "/f.csv") { seen.append($0); return seen.count < 4 }
        #expect(seen.count == 4, "a stop on the last row does not deliver it twice")
    }

    @Test(arguments: [(0.7, 1.0), (1.0, 1.0), (13, 20), (260, 500), (1500, 2000), (0.04, 0.05)])
    func axisStepsAreRound(raw: Double, step: Double) {
        #expect(abs(ReportCharts.niceStep(raw) - step) < 1e-9)
    }
}
