import Foundation
import Testing

/// Exit statuses: 0 clean, 1 completed with findings, 2 could not run, and for 2 a message on stderr
/// that names what is wrong; nothing published when the run could not start.
@Suite("Exit codes")
struct ExitCodeTests {
    static let clean = DatasetSpec(layout: "reference", records: 1_000, merchants: 50, seed: 401, faults: 0)
    static let faulty = DatasetSpec(layout: "reference", records: 1_000, merchants: 50, seed: 402, faults: 0.03)

    @Test("0 for a clean file, 1 for a file with faults", arguments: [clean, faulty])
    func completedRuns(_ spec: DatasetSpec) async throws {
        let dataset = try await SharedDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "exit")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference"], out: out.path, in: dataset.directory)
        #expect(run.outcome.exitStatus == (spec.faults > 0 ? 1 : 0), "\(run.outcome)")
        #expect(run.outcome.stdout.isEmpty, "results go to files; progress to stderr")
        #expect(run.outcome.stderr.contains(spec.faults > 0 ? "rejects" : "no rejects"), "\(run.outcome)")
        #expect(try run.summary()["status"]?.string == (spec.faults > 0 ? "completed_with_findings" : "completed"))
    }

    @Test("2 for a missing input file, naming it")
    func missingFile() async throws {
        let work = try TemporaryDirectory(prefix: "missing")
        defer { work.remove() }
        let run = try await AggregateRun.run(["no-such-file.dat", "--layout", "reference"], out: "out", in: work.path)
        #expect(run.outcome.exitStatus == 2, "\(run.outcome)")
        #expect(run.outcome.stderr.contains("no-such-file.dat"), "\(run.outcome)")
        #expect(!run.outcome.stderr.contains("SettleError"), "no type dumps: \(run.outcome)")
        #expect(!FileFacts.exists(work.file("out/totals.csv")))
        #expect(!FileFacts.exists(work.file("out/summary.json")))
    }

    @Test("2 for an unknown layout name, naming it", arguments: [["--layout", "nosuch"], ["--input", "settlement.dat:nosuch"]])
    func unknownLayout(_ layoutArguments: [String]) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let out = try TemporaryDirectory(prefix: "unknown")
        defer { out.remove() }
        let files = layoutArguments[0] == "--layout" ? ["settlement.dat"] : []
        let run = try await AggregateRun.run(files + layoutArguments, out: out.path + "/out", in: dataset.directory)
        #expect(run.outcome.exitStatus == 2, "\(run.outcome)")
        #expect(run.outcome.stderr.contains("nosuch"), "\(run.outcome)")
        #expect(run.outcome.stderr.contains("reference") && run.outcome.stderr.contains("wide"), "lists the built-in layouts: \(run.outcome)")
        #expect(!FileFacts.exists(out.path + "/out/totals.csv"))
    }

    @Test("2 for an invalid layout file: the message names the file, the field and the overlap")
    func invalidLayoutFile() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "badlayout")
        defer { work.remove() }
        let layoutPath = work.file("overlapping.yaml")
        try writeBytes(Array(try LayoutFiles.overlapping().utf8), to: layoutPath)
        let run = try await AggregateRun.run([dataset.settlementPath, "--layout", layoutPath], out: work.file("out"))
        #expect(run.outcome.exitStatus == 2, "\(run.outcome)")
        for needle in [layoutPath, "terminal_id", "merchant_id", "overlap", "38-45", "25-39"] {
            #expect(run.outcome.stderr.contains(needle), "stderr should mention \(needle): \(run.outcome)")
        }
        #expect(!FileFacts.exists(work.file("out/totals.csv")))
    }

    /// Usage errors are "could not run" (2) like every other reason a run cannot start.
    @Test("2 for a bad --memory value", arguments: ["lots", "12XB", "-1G", "0", ""])
    func badMemory(_ value: String) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let out = try TemporaryDirectory(prefix: "memory")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--memory", value], out: out.path + "/out",
                                             in: dataset.directory)
        #expect(run.outcome.exitStatus == 2, "\(run.outcome)")
        #expect(run.outcome.stderr.contains("--memory"), "\(run.outcome)")
        #expect(!FileFacts.exists(out.path + "/out/totals.csv"))
    }
}

/// Layout files written by the tests: the reference layout with one thing broken.
enum LayoutFiles {
    static var referencePath: String { SettleBinary.packageRoot + "/datasets/layouts/reference.yaml" }

    static func reference() throws -> String { try String(contentsOfFile: referencePath, encoding: .utf8) }

    /// terminal_id moved to start inside merchant_id (25-39): positions 38-45 overlap it.
    static func overlapping() throws -> String {
        try replacing("{name: terminal_id, start: 40,", with: "{name: terminal_id, start: 38,")
    }

    /// txn_type (2 bytes at 100) stretched past the 160-byte record.
    static func pastRecordEnd() throws -> String {
        try replacing("{name: txn_type,    start: 100, length: 2,", with: "{name: txn_type,    start: 159, length: 5,")
    }

    /// An amount field of a type that does not exist.
    static func unknownType() throws -> String {
        try replacing("type: amount, role: amount}", with: "type: money, role: amount}")
    }

    private static func replacing(_ original: String, with replacement: String) throws -> String {
        let text = try reference()
        guard text.contains(original) else {
            throw FileProblem(path: referencePath, problem: "no '\(original)' to replace; update the test to the layout")
        }
        return text.replacingOccurrences(of: original, with: replacement)
    }
}
