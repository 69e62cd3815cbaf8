import Foundation
import SettleEngine
import Testing

/// `result.files[].content_sha256` in summary.json, the content identity the reprocessing guard and
/// the job key rest on: the SHA-256 of the file's 4 MiB blocks' SHA-256 digests (not `sha256sum`),
/// computed here independently of the engine's partitions, and the same whatever the workers, the
/// partition size, or a resume after a failure.
@Suite("Content identity of the inputs (content_sha256)", .serialized)
struct ContentIdentityTests {
    /// Over 8 MiB, so the file has three blocks and partitions of every size cross block boundaries.
    static let spec = DatasetSpec(layout: "reference", records: 60_000, merchants: 2_000, seed: 1911, faults: 0.01)

    /// The documented definition, computed from the file's bytes alone.
    static func contentIdentity(_ path: String) throws -> String {
        let bytes = try readBytes(path)
        var digests: [UInt8] = []
        for start in stride(from: 0, to: bytes.count, by: 4 << 20) {
            var block = SHA256()
            block.update(bytes[start..<min(bytes.count, start + (4 << 20))])
            digests += block.finalize()
        }
        return SHA256.hash(digests)
    }

    static func contentSHA256(_ out: String) throws -> String? {
        try JSONValue(contentsOfFile: out + "/summary.json")["result"]?["files"]?[0]?["content_sha256"]?.string
    }

    @Test("content_sha256: the documented block digest, equal across workers, partition sizes and a resume", .timeLimit(.minutes(5)))
    func equalAcrossRuns() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let expected = try Self.contentIdentity(dataset.settlementPath)
        let plain = try await FileFacts.sha256(dataset.settlementPath)
        #expect(expected != plain, "it is not sha256sum")
        #expect(try readBytes(dataset.settlementPath).count > 8 << 20)
        var results: [JSONValue] = []
        for options in [["--workers", "1", "--partition-size", "64K"], ["--workers", "2", "--partition-size", "1M"], []] {
            let out = try TemporaryDirectory(prefix: "identity")
            defer { out.remove() }
            let run = try await SettleChild.run(["aggregate", dataset.settlementPath, "--layout", "reference", "--out", out.path, "--quiet"] + options)
            try #require(run.exitStatus == 1, "\(run)")
            #expect(try Self.contentSHA256(out.path) == expected, "\(options)")
            results.append(try #require(try JSONValue(contentsOfFile: out.path + "/summary.json")["result"]))
        }
        #expect(results.allSatisfy { $0 == results[0] }, "the whole result is the same")

        // A run that fails at partition 10 (a persistent write fault), then the same command again: it resumes.
        let out = try TemporaryDirectory(prefix: "identity-resume")
        defer { out.remove() }
        let arguments = ["aggregate", dataset.settlementPath, "--layout", "reference", "--out", out.path, "--quiet",
                         "--workers", "1", "--partition-size", "256K", "--max-attempts", "1"]
        let failed = try await SettleChild.run(arguments, environment: ["SETTLE_FAULT_INJECTION": "write:p000010/:1:*"])
        try #require(failed.exitStatus == 2, "\(failed)")
        let resumed = try await SettleChild.run(arguments)
        try #require(resumed.exitStatus == 1, "\(resumed)")
        let summary = try JSONValue(contentsOfFile: out.path + "/summary.json")
        #expect((summary["run"]?["partitions_resumed"]?.int ?? 0) >= 10, "\(summary["run"]?["partitions_resumed"] as Any)")
        #expect(try Self.contentSHA256(out.path) == expected)
        #expect(summary["result"] == results[0])
    }
}
