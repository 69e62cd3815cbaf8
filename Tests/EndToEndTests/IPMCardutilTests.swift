import Foundation
import Testing

/// The independent check: adelosa/cardutil (Python) writes IPM files and Settle's totals equal what
/// cardutil reads from them; and cardutil reads Settle's generated files to their ground truth.
/// Needs a Python with cardutil: SETTLE_CARDUTIL_PYTHON, or `.venv-ipm/bin/python` in the package
/// (tools/test.sh makes one with pip); skipped, saying so, when neither has it.
@Suite("Mastercard IPM against cardutil", .enabled(if: Cardutil.python != nil, Cardutil.skipReason))
struct IPMCardutilTests {
    static let written = [(blocked: true, encoding: "cp500", details: 5_000), (blocked: false, encoding: "latin_1", details: 2_000)]

    @Test("Settle's totals equal cardutil's reading of a file cardutil wrote", arguments: written)
    func cardutilWritten(_ file: (blocked: Bool, encoding: String, details: Int)) async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-cardutil")
        defer { directory.remove() }
        let flags = (file.blocked ? [] : ["--unblocked"]) + ["--encoding", file.encoding]
        _ = try await Cardutil.run(["write", directory.file("cardutil.ipm"), "--details", String(file.details), "--seed", "5"] + flags)
        let expected = try await Cardutil.run(["totals", directory.file("cardutil.ipm")] + flags)
        for (workers, size) in [("2", "4099"), ("1", "1G")] {
            let run = try await AggregateRun.run(["cardutil.ipm", "--layout", "mastercard-ipm", "--workers", workers, "--partition-size", size,
                                                  "--quiet"], out: "out-\(workers)-\(size)", in: directory.path)
            #expect(run.outcome.exitStatus == 0, "\(run.outcome)")
            expectSameBytes(try run.totals(), Array(expected.stdout.utf8), "totals.csv against cardutil (\(workers) workers, \(size))")
            try IPMFile.expectChecksPassed(run)
            let found = try #require(try run.summary()["result"]?["files"]?[0])
            #expect(found["framing"]?.string == (file.blocked ? "rdw-1014" : "rdw"))
            #expect("messages \(found["records"]?.int ?? -1)" == expected.stderr.split(separator: "\n").last.map(String.init))
        }
    }

    @Test("cardutil reads Settle's generated files to their ground truth", arguments: [("1014", "ebcdic-cp500", "cp500"), ("none", "ascii", "latin_1")])
    func settleGenerated(_ blocking: String, _ encoding: String, _ python: String) async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-generated")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 3_000, seed: 31, blocking: blocking, encoding: encoding)
        let read = try await Cardutil.run(["totals", directory.file("settlement.ipm"), "--encoding", python] + (blocking == "none" ? ["--unblocked"] : []))
        expectSameBytes(Array(read.stdout.utf8), try readBytes(directory.file("expected/totals.csv")), "cardutil's totals of settlement.ipm")
        let summary = try JSONValue(contentsOfFile: directory.file("expected/summary.json"))
        #expect("messages \(summary["messages"]?.int ?? -1)" == read.stderr.split(separator: "\n").last.map(String.init))
    }
}

/// The Python that has cardutil, if any.
enum Cardutil {
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["SETTLE_CARDUTIL_PYTHON"], SettleBinary.packageRoot + "/.venv-ipm/bin/python"]
        for case let path? in candidates where FileManager.default.isExecutableFile(atPath: path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-c", "import cardutil"]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 { return path }
        }
        return nil
    }()

    static let skipReason: Comment = "no Python with cardutil (set SETTLE_CARDUTIL_PYTHON, or run tools/test.sh, which pip-installs it; PyPI unreachable?)"

    static func run(_ arguments: [String]) async throws -> ProcessOutcome {
        let python = try #require(python)
        let outcome = try await Subprocess.run(python, [SettleBinary.packageRoot + "/tools/ipm/cardutil_ipm.py"] + arguments)
        guard outcome.exitStatus == 0 else { throw FileProblem(path: "tools/ipm/cardutil_ipm.py", problem: "failed:\n\(outcome)") }
        return outcome
    }
}
