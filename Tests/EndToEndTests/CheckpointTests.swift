import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Checkpointed accumulation: a map worker folds partition after partition into its one table and
/// publishes the markers of every partition a spill covers together. Every interval gives the
/// outputs of the ground truth, a kill between the markers of one checkpoint (or a damaged member)
/// redoes the whole checkpoint, and `settle map --partition` still marks one partition alone.
@Suite("Checkpointed accumulation in the map stage", .serialized)
struct CheckpointTests {
    static let spec = ResumeTests.spec
    static let jobOptions = ResumeTests.jobOptions

    /// The partition markers of a kept job directory, by partition index.
    static func markers(_ work: String) throws -> [Int: JSONValue] {
        var markers: [Int: JSONValue] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: work + "/partitions") where name.hasPrefix("p") {
            let path = work + "/partitions/" + name + "/marker.json"
            guard FileManager.default.fileExists(atPath: path), let index = Int(name.dropFirst()) else { continue }
            markers[index] = try JSONValue(contentsOfFile: path)
        }
        return markers
    }

    @Test("every interval, `never` included, gives the reference outputs; groups list their runs once",
          arguments: [("300K", 2), ("never", 1), ("never", 2), ("1s", 2), ("96K", 2)])
    func intervals(checkpoint: String, workers: Int) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await ResumeTests.reference(dataset)
        let out = try TemporaryDirectory(prefix: "checkpoint-\(checkpoint)")
        defer { out.remove() }
        let options = Self.jobOptions.filter { $0 != "2" && $0 != "--workers" } + ["--workers", String(workers)]
        let run = try await ResumeTests.settle(["aggregate", dataset.settlementPath, "--out", out.path, "--keep-work",
                                                "--checkpoint", checkpoint] + options)
        #expect(run.exitStatus == 1, "\(run)")
        try ResumeTests.expectSameOutputs(out.path, reference, "--checkpoint \(checkpoint), \(workers) workers")
        let markers = try Self.markers(out.path + "/.settle-work")
        let partitions = markers.count
        #expect(partitions > 60, "the job has \(partitions) partitions")
        var groups: [String: [Int]] = [:]
        for (index, marker) in markers {
            let group = try #require(marker["checkpoint"], "partition \(index) has no checkpoint")
            let id = try #require(group["id"]?.string)
            let owner = try #require(group["owner"]?.int)
            let members = try #require(group["partitions"]?.array).compactMap(\.int)
            #expect(members.contains(index) && members.contains(owner))
            // Only the owner lists the checkpoint's runs.
            let runs = marker["runs"]?.array?.count ?? 0
            #expect(index == owner ? runs >= 1 : runs == 0, "partition \(index): \(runs) runs, owner \(owner)")
            groups[id, default: []].append(index)
        }
        for members in groups.values { #expect(Set(members).count == members.count) }
        switch checkpoint {
        case "never": #expect(groups.count == workers, "one checkpoint per worker: \(groups.count)")
        case "96K": #expect(groups.count >= partitions / 2, "about one partition per checkpoint: \(groups.count)")
        default: #expect(groups.count >= 2 && groups.count < partitions / 2, "\(groups.count) checkpoints")
        }
    }

    @Test("a kill between the markers of one checkpoint: the resume redoes that checkpoint, identical outputs")
    func killBetweenMarkers() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await ResumeTests.reference(dataset)
        let out = try TemporaryDirectory(prefix: "checkpoint-kill")
        defer { out.remove() }
        let work = out.path + "/.settle-work"
        let arguments = ["aggregate", dataset.settlementPath, "--out", out.path, "--checkpoint", "never"]
            + Self.jobOptions.filter { $0 != "2" && $0 != "--workers" } + ["--workers", "1"]
        // One worker, one checkpoint over every partition: its markers are published 0, 1, 2, ...;
        // the run pauses before partition 5's marker and is killed there.
        let process = try ResumeTests.start(arguments, environment: ["SETTLE_TEST_DELAY": "p000005/.marker.json:5000"])
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: work + "/partitions/p000004/marker.json") && process.isRunning && Date() < deadline {
            usleep(2000)
        }
        #expect(kill(process.processIdentifier, SIGKILL) == 0)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let left = try Self.markers(work)
        #expect(left.keys.sorted() == [0, 1, 2, 3, 4], "markers published before the kill: \(left.keys.sorted())")
        let resumed = try await ResumeTests.settle(arguments)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        try ResumeTests.expectSameOutputs(out.path, reference, "resume after a kill between the markers of a checkpoint")
    }

    @Test("a damaged member or owner makes the whole checkpoint count as not done")
    func damagedMembers() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await ResumeTests.reference(dataset)
        for damage in ["member marker", "owner run"] {
            let out = try TemporaryDirectory(prefix: "checkpoint-damage")
            defer { out.remove() }
            let work = out.path + "/.settle-work"
            let arguments = ["aggregate", dataset.settlementPath, "--out", out.path, "--keep-work", "--checkpoint", "400K"] + Self.jobOptions
            let first = try await ResumeTests.settle(arguments)
            #expect(first.exitStatus == 1, "\(first)")
            let markers = try Self.markers(work)
            let (index, marker) = try #require(markers.first { ($0.value["checkpoint"]?["partitions"]?.array?.count ?? 0) >= 3 })
            let group = try #require(marker["checkpoint"])
            let owner = try #require(group["owner"]?.int)
            let member = try #require(group["partitions"]?.array?.compactMap(\.int).first { $0 != owner })
            if damage == "member marker" {
                try FileManager.default.removeItem(atPath: String(format: "%@/partitions/p%06d/marker.json", work, member))
            } else {
                let ownerMarker = try #require(markers[owner])
                let attempt = try #require(ownerMarker["attempt"]?.string)
                let run = try #require(ownerMarker["runs"]?.array?.first?["name"]?.string)
                let path = String(format: "%@/partitions/p%06d/%@/%@", work, owner, attempt, run)
                // Same size, other bytes: only the CRC-32C tells.
                var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                bytes[bytes.count / 2] ^= 0xFF
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                // A reduce must run again for the runs to be checked: drop one bucket's marker.
                try FileManager.default.removeItem(atPath: work + "/buckets/b00000/marker.json")
            }
            let resumed = try await ResumeTests.settle(["resume", work])
            #expect(resumed.exitStatus == 1, "\(damage): \(resumed)")
            #expect(resumed.stderr.contains("their checkpoint is incomplete"), "\(damage) (partition \(index)): \(resumed.stderr)")
            try ResumeTests.expectSameOutputs(out.path, reference, "resume after a damaged \(damage)")
        }
    }

    @Test("--checkpoint rejects what it cannot read")
    func badValue() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let out = try TemporaryDirectory(prefix: "checkpoint-bad")
        defer { out.remove() }
        let run = try await ResumeTests.settle(["aggregate", dataset.settlementPath, "--out", out.path, "--checkpoint", "soon"] + Self.jobOptions)
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("--checkpoint: cannot read 'soon'"), "\(run.stderr)")
    }
}
