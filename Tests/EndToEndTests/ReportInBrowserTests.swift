import Foundation
import Testing

/// report.html as a browser renders it: headless Chromium's DOM holds summary.json's figures in the
/// elements the report gives them, and the page logs no console message. Runs only where Debian's
/// `chromium` is installed (`tools/report-test.sh` installs it and is the CI's browser test).
@Suite("report.html in headless Chromium")
struct ReportInBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "needs Debian's chromium (apt-get install chromium, or run tools/report-test.sh)"))
    func renderedPageShowsTheSummarysFigures() async throws {
        let dataset = try await SharedDatasets.shared.dataset(OperatorExperienceTests.spec)
        let out = try TemporaryDirectory(prefix: "browser")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"], out: out.path, in: dataset.directory)
        try #require(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rendered = try await Subprocess.run(try #require(Self.chromium), [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + out.file("report.html"),
        ])
        try #require(rendered.exitStatus == 0, "\(rendered)")
        let dom = rendered.stdout
        #expect(!rendered.stderr.contains(":CONSOLE"), "the page logged console messages: \(rendered.stderr)")

        let summary = try run.summary()
        let result = try #require(summary["result"])
        var expected: [String: String] = [
            "run-status": try #require(summary["status"]?.string),
            "records-read": OperatorExperienceTests.grouped(try #require(result["records_read"]?.int)),
            "valid": OperatorExperienceTests.grouped(try #require(result["valid"]?.int)),
            "rejected": OperatorExperienceTests.grouped(try #require(result["rejected"]?.int)),
            "control-check-status": try #require(result["files"]?.array?.first?["control_check"]?["status"]?.string),
        ]
        for (reason, count) in try #require(result["rejected_by_reason"]?.members) {
            expected["reject-\(reason)"] = OperatorExperienceTests.grouped(try #require(count.int))
        }
        for (id, value) in expected {
            #expect(dom.contains("id=\"\(id)\">\(value)<"), "#\(id) should show \(value)")
        }
        #expect(dom.components(separatedBy: "<svg").count - 1 == 2, "timeline and throughput charts")
        #expect(!dom.contains("<script"))
    }
}
