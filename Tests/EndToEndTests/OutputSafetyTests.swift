import Foundation
import Testing

/// Issue 15, items 2 and 6: no output may be a file the run reads (by path, another spelling, a hard
/// or a symbolic link), and one input given twice is refused unless `--allow-same-input`.
@Suite("Outputs never replace inputs")
struct OutputSafetyTests {
    /// How the input comes to be one of the outputs.
    enum Clash: String, CaseIterable, Sendable {
        /// `settle aggregate d/totals.csv --out d`
        case samePath
        /// The input is a hard link to `out/rejects.csv`.
        case hardLink
        /// The input is a symbolic link to `out/summary.json`.
        case symbolicLink
        /// `--metrics-file` names the input.
        case metricsFile
        /// The layout file is `out/report.html`.
        case layoutFile
        /// The input is named as a temporary file of totals.csv in --out.
        case temporaryName
    }

    @Test("an output that is a file the run reads: exit 2 before any work, naming both", arguments: Clash.allCases)
    func outputIsAnInput(_ clash: Clash) async throws {
        let job = try SmallJob(prefix: "clash")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.out, withIntermediateDirectories: false)
        var arguments = ["aggregate", "in.dat", "--layout", "reference", "--out", "out"]
        var named = ["in.dat"]
        var protected = job.input
        switch clash {
        case .samePath:
            try FileManager.default.moveItem(atPath: job.input, toPath: job.out + "/totals.csv")
            arguments[1] = "out/totals.csv"
            named = ["out/totals.csv"]
            protected = job.out + "/totals.csv"
        case .hardLink:
            try FileManager.default.linkItem(atPath: job.input, toPath: job.out + "/rejects.csv")
            named.append("out/rejects.csv")
        case .symbolicLink:
            try FileManager.default.moveItem(atPath: job.input, toPath: job.out + "/summary.json")
            try FileManager.default.createSymbolicLink(atPath: job.input, withDestinationPath: job.out + "/summary.json")
            named.append("out/summary.json")
            protected = job.out + "/summary.json"
        case .metricsFile:
            arguments += ["--metrics-file", "in.dat"]
            named.append("--metrics-file")
        case .layoutFile:
            let layout = try LayoutFiles.reference()
            try writeBytes(Array(layout.utf8), to: job.out + "/report.html")
            arguments[3] = "out/report.html"
            named = ["out/report.html", "layout"]
            protected = job.out + "/report.html"
        case .temporaryName:
            try FileManager.default.moveItem(atPath: job.input, toPath: job.out + "/.totals.csv.tmp-1-2")
            arguments[1] = "out/.totals.csv.tmp-1-2"
            named = ["out/.totals.csv.tmp-1-2", "out/totals.csv"]
            protected = job.out + "/.totals.csv.tmp-1-2"
        }
        let before = try readBytes(protected)
        let entries = job.entries("out")
        let run = try await job.settle(arguments)
        #expect(run.exitStatus == 2, "\(run)")
        for name in named { #expect(run.stderr.contains(name), "stderr should name \(name): \(run)") }
        #expect(try readBytes(protected) == before, "the file the run reads was changed")
        #expect(job.entries("out") == entries, "something was written in --out: \(job.entries("out"))")
        #expect(!FileFacts.exists(job.out + "/.settle-work"), "work started before the check")
    }

    @Test("resume and finalize check their --out against the job's inputs too")
    func resumeAndFinalizeCheck() async throws {
        let job = try SmallJob(prefix: "clash-tasks")
        defer { job.scratch.remove() }
        try FileManager.default.moveItem(atPath: job.input, toPath: job.scratch.file("totals.csv"))
        let first = try await job.settle(["aggregate", "totals.csv", "--layout", "reference", "--out", "out", "--work", "jobs",
                                          "--keep-work", "--quiet"])
        #expect(first.exitStatus == 0, "\(first)")
        let resumed = try await job.settle(["resume", "jobs", "--out", "."])
        #expect(resumed.exitStatus == 2 && resumed.stderr.contains("./totals.csv") && resumed.stderr.contains("input totals.csv"), "\(resumed)")
        let finalized = try await job.settle(["finalize", "--work", "jobs", "--out", job.scratch.path])
        #expect(finalized.exitStatus == 2 && finalized.stderr.contains("input totals.csv"), "\(finalized)")
        #expect(try readBytes(job.scratch.file("totals.csv")) == SmallJob.bytes)
        #expect(!FileFacts.exists(job.scratch.file("summary.json")))
    }

    @Test("settle report --output naming a file the report is made from is refused")
    func reportOverItsSource() async throws {
        let job = try SmallJob(prefix: "clash-report")
        defer { job.scratch.remove() }
        let run = try await job.aggregate([])
        #expect(run.exitStatus == 0, "\(run)")
        let totals = try readBytes(job.out + "/totals.csv")
        let report = try await job.settle(["report", "out", "--output", "./out/totals.csv"])
        #expect(report.exitStatus == 2, "\(report)")
        #expect(report.stderr.contains("out/totals.csv"), "\(report)")
        #expect(try readBytes(job.out + "/totals.csv") == totals)
    }

    @Test("the same input twice (same path, ./path, hard link, symbolic link): exit 2 unless --allow-same-input",
          arguments: ["in.dat", "./in.dat", "hard.dat", "soft.dat"])
    func sameInputTwice(_ second: String) async throws {
        let job = try SmallJob(prefix: "twice")
        defer { job.scratch.remove() }
        try FileManager.default.linkItem(atPath: job.input, toPath: job.scratch.file("hard.dat"))
        try FileManager.default.createSymbolicLink(atPath: job.scratch.file("soft.dat"), withDestinationPath: "in.dat")
        let run = try await job.settle(["aggregate", "in.dat", second, "--layout", "reference", "--out", "out", "--quiet"])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("in.dat") && run.stderr.contains(second) && run.stderr.contains("--allow-same-input"), "\(run)")
        #expect(!FileFacts.exists(job.out + "/totals.csv"))
        let plan = try await job.settle(["plan", "in.dat", second, "--layout", "reference", "--work", "jobs"])
        #expect(plan.exitStatus == 2 && plan.stderr.contains("--allow-same-input"), "\(plan)")

        let allowed = try await job.settle(["aggregate", "in.dat", second, "--layout", "reference", "--out", "out", "--quiet",
                                            "--allow-same-input"])
        #expect(allowed.exitStatus == 0, "\(allowed)")
        let doubled = ReferenceRecords.totalsCSV(SmallJob.details + SmallJob.details)
        #expect(try readBytes(job.out + "/totals.csv") == Array(doubled.utf8))
    }
}
