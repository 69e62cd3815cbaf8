import Foundation
import Testing

/// `--match` and `--open-items` kept by a job's manifest: `settle resume` and the task commands
/// (`plan`, `map`, `reduce`, `finalize`, as Spark drives them) match with the passes and carry the
/// open items the job was started with, and give the outputs a single `aggregate` gives; a resume
/// given other passes is refused.
@Suite("Matching passes and open items across resume and tasks", .serialized)
struct MatchingResumeTests {
    static let files = ["matches.csv", "mismatches.csv", "reconciliation.csv", "totals.csv", "open_items.csv"]

    static func prepare(_ scenario: DatedScenario) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "match-resume")
        try writeBytes(scenario.settlementBytes, to: directory.path + "/settlement.dat")
        try writeBytes(Array(scenario.ledgerText.utf8), to: directory.path + "/ledger.csv")
        try writeBytes(Array(MatchingDatesEndToEndTests.issuePasses.utf8), to: directory.path + "/match.yaml")
        try writeBytes(Array("passes:\n  - name: exact\n".utf8), to: directory.path + "/other.yaml")
        try writeBytes(Array(scenario.ledgerSpec.utf8), to: directory.path + "/spec.yaml")
        return directory
    }

    static let job = ["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--ledger-spec", "spec.yaml", "--match", "match.yaml"]

    static func read(_ path: String) -> [UInt8] { (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }

    @Test("plan, map, reduce and finalize with --match (dates) and --open-items give aggregate's outputs and store")
    func tasks() async throws {
        let scenario = DatedScenario.generate(seed: 11, size: 800, references: true)
        let directory = try Self.prepare(scenario)
        let open = ["--open-items", "store-a", "--as-of", "2024-01-12"]
        let direct = try await Subprocess.settle(["aggregate"] + Self.job + open + ["--out", "direct", "--partition-size", "16K", "--buckets", "3"],
                                                 in: directory.path)
        // Night one: every unmatched item is open, not yet a finding.
        #expect(direct.exitStatus == 0, "\(direct.stderr)")
        let plan = try await Subprocess.settle(["plan"] + Self.job + ["--open-items", "store-b", "--as-of", "2024-01-12", "--work", "job",
                                                                      "--partition-size", "16K", "--buckets", "3", "--json"], in: directory.path)
        #expect(plan.exitStatus == 0, "\(plan.stderr)")
        let manifest = String(decoding: Self.read(directory.path + "/job/manifest.json"), as: UTF8.self)
        #expect(manifest.contains("\"match\"") && manifest.contains("\"open_items\"") && manifest.contains("2024-01-12"))
        let counts = try JSONDecoder().decode(JSONValue.self, from: Data(plan.stdout.utf8))
        let partitions = counts["partitions"]?.int ?? 0, buckets = counts["buckets"]?.int ?? 0
        #expect(partitions > 1 && buckets == 3)
        for partition in 0..<partitions {
            let map = try await Subprocess.settle(["map", "--work", "job", "--partition", "\(partition)"], in: directory.path)
            #expect(map.exitStatus == 0, "\(map.stderr)")
        }
        for bucket in 0..<buckets {
            let reduce = try await Subprocess.settle(["reduce", "--work", "job", "--bucket", "\(bucket)"], in: directory.path)
            #expect(reduce.exitStatus == 0, "\(reduce.stderr)")
        }
        let finalize = try await Subprocess.settle(["finalize", "--work", "job", "--out", "tasks"], in: directory.path)
        #expect(finalize.exitStatus == 0, "\(finalize.stderr)")
        for name in Self.files {
            #expect(!Self.read(directory.path + "/direct/" + name).isEmpty && Self.read(directory.path + "/direct/" + name) == Self.read(directory.path + "/tasks/" + name),
                    "\(name): tasks and aggregate differ")
        }
        let heads = ["store-a", "store-b"].map { String(decoding: Self.read(directory.path + "/\($0)/HEAD"), as: UTF8.self) }
        #expect(heads.allSatisfy { $0.contains("current open-2024-01-12-") }, "\(heads)")
    }

    @Test("settle resume keeps the job's passes; --match with another file is refused (exit 2); the same file is accepted")
    func resume() async throws {
        let scenario = DatedScenario.generate(seed: 12, size: 600, references: true)
        let directory = try Self.prepare(scenario)
        let direct = try await Subprocess.settle(["aggregate"] + Self.job + ["--out", "direct"], in: directory.path)
        #expect(direct.exitStatus == 1, "\(direct.stderr)")
        let plan = try await Subprocess.settle(["plan"] + Self.job + ["--work", "job"], in: directory.path)
        #expect(plan.exitStatus == 0, "\(plan.stderr)")
        let refused = try await Subprocess.settle(["resume", "job", "--out", "other", "--match", "other.yaml"], in: directory.path)
        #expect(refused.exitStatus == 2)
        #expect(refused.stderr.contains("was started with --match match.yaml; --match other.yaml differs"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/other/totals.csv"))
        let resumed = try await Subprocess.settle(["resume", "job", "--out", "resumed"], in: directory.path)
        #expect(resumed.exitStatus == 1, "\(resumed.stderr)")
        for name in Self.files where name != "open_items.csv" {
            #expect(Self.read(directory.path + "/direct/" + name) == Self.read(directory.path + "/resumed/" + name), "\(name): resume and aggregate differ")
        }
        let again = try await Subprocess.settle(["plan"] + Self.job + ["--work", "job2"], in: directory.path)
        #expect(again.exitStatus == 0)
        let same = try await Subprocess.settle(["resume", "job2", "--out", "same", "--match", "match.yaml"], in: directory.path)
        #expect(same.exitStatus == 1, "\(same.stderr)")
        #expect(Self.read(directory.path + "/same/matches.csv") == Self.read(directory.path + "/direct/matches.csv"))
        // aggregate over a job directory started with other passes: refused, naming the change.
        let third = try await Subprocess.settle(["plan"] + Self.job + ["--work", "job3"], in: directory.path)
        #expect(third.exitStatus == 0)
        let changed = try await Subprocess.settle(["aggregate", "settlement.dat", "--layout", "reference", "--ledger", "ledger.csv",
                                                   "--ledger-spec", "spec.yaml", "--match", "other.yaml", "--work", "job3", "--out", "changed"],
                                                  in: directory.path)
        #expect(changed.exitStatus == 2 && changed.stderr.contains("--match"), "\(changed.stderr)")
    }
}
