import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Resumable jobs: kills at random moments, SIGTERM, tampering with the job directory, injected I/O
/// faults and the single-task commands all end in outputs byte-identical to an uninterrupted run.
@Suite("Resume after kills, signals, tampering and faults", .serialized)
struct ResumeTests {
    static let spec = DatasetSpec(layout: "reference", records: 40_000, merchants: 4_000, seed: 77, faults: 0.01)
    /// Many small partitions and spills, so each phase lasts long enough to be hit.
    static let jobOptions = ["--layout", "reference", "--partition-size", "96K", "--buckets", "8", "--memory", "2M", "--workers", "2", "--quiet"]

    /// The outputs of an uninterrupted run, to compare every resumed run with.
    struct Reference {
        var totals: [UInt8]
        var rejects: [UInt8]
        var result: JSONValue
        var stageSeconds: [String: Double]
    }

    static func reference(_ dataset: GeneratedDataset) async throws -> Reference {
        let out = try TemporaryDirectory(prefix: "resume-reference")
        defer { out.remove() }
        let run = try await Self.settle(["aggregate", dataset.settlementPath, "--out", out.path] + jobOptions)
        #expect(run.exitStatus == 1, "\(run)")
        let summary = try JSONValue(contentsOfFile: out.path + "/summary.json")
        var stages: [String: Double] = [:]
        for (name, value) in summary["run"]?["stage_seconds"]?.members ?? [:] { stages[name] = value.seconds }
        let reference = Reference(totals: try readBytes(out.path + "/totals.csv"), rejects: try readBytes(out.path + "/rejects.csv"),
                                  result: try #require(summary["result"]), stageSeconds: stages)
        expectSameBytes(reference.totals, dataset.expectedTotals, "reference totals.csv")
        return reference
    }

    static func expectSameOutputs(_ out: String, _ reference: Reference, _ context: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectSameBytes(try readBytes(out + "/totals.csv"), reference.totals, "totals.csv (\(context))", sourceLocation: sourceLocation)
        expectSameBytes(try readBytes(out + "/rejects.csv"), reference.rejects, "rejects.csv (\(context))", sourceLocation: sourceLocation)
        let summary = try JSONValue(contentsOfFile: out + "/summary.json")
        #expect(summary["status"]?.string == "completed_with_findings", "\(context)", sourceLocation: sourceLocation)
        #expect(summary["result"] == reference.result, "summary.json result differs (\(context))", sourceLocation: sourceLocation)
    }

    // MARK: - Kills

    @Test("SIGKILL at random moments of every phase, then resume: identical outputs")
    func killsAtRandomMoments() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await Self.reference(dataset)
        let seed = UInt64(ProcessInfo.processInfo.environment["SETTLE_CRASH_SEED"] ?? "") ?? 20_261_123
        var random = SplitMix(seed: seed)
        print("crash test: seed \(seed) (replay with SETTLE_CRASH_SEED=\(seed))")
        let phases = ["plan", "map", "reduce", "publish"]
        var landed: [String: Int] = [:]
        var kills = 0
        let started = Date()
        var cycle = 0
        // At least 20 kills, and at least one in every phase, within a time bound.
        while (kills < 20 || phases.contains { landed[$0, default: 0] == 0 }) && Date().timeIntervalSince(started) < 240 {
            cycle += 1
            let out = try TemporaryDirectory(prefix: "crash")
            defer { out.remove() }
            let arguments = ["aggregate", dataset.settlementPath, "--out", out.path] + Self.jobOptions
            // One or two kills per cycle: the second one hits the resumed run.
            for round in 0..<(1 + Int(random.next() % 2)) {
                let target = phases.first { landed[$0, default: 0] == 0 } ?? phases[Int(random.next() % 4)]
                // Planning, reducing and publishing take milliseconds on this small file: until a
                // kill has landed in one, the run pauses there (SETTLE_TEST_DELAY) so that one can.
                let pauses = ["plan": "manifest.json", "reduce": "/buckets/", "publish": "totals.csv"]
                let pause = round == 0 && landed[target, default: 0] == 0 ? pauses[target] : nil
                let process = try Self.start(arguments, environment: pause.map { ["SETTLE_TEST_DELAY": "\($0):400"] } ?? [:])
                // Wait until the run reaches the target phase (read from the job directory), then a
                // random moment more within it.
                Self.waitForPhase(round == 0 ? target : "map", work: out.path + "/.settle-work", process: process)
                let spread = ["plan": 0.02, "map": 0.05, "reduce": 0.004, "publish": 0.004][round == 0 ? target : "map"]!
                usleep(UInt32(spread * random.unit() * 1_000_000))
                let alive = kill(process.processIdentifier, SIGKILL) == 0
                process.waitUntilExit()
                let phase = Self.phase(of: out.path + "/.settle-work", exited: !alive || process.terminationReason == .exit)
                guard let phase else { continue }
                landed[phase, default: 0] += 1
                kills += 1
            }
            let final = try await Self.settle(arguments)
            #expect(final.exitStatus == 1, "cycle \(cycle): \(final)")
            try Self.expectSameOutputs(out.path, reference, "cycle \(cycle), seed \(seed)")
            #expect(!FileManager.default.fileExists(atPath: out.path + "/.settle-work"), "work directory left after a completed run")
        }
        print("crash test: \(kills) kills in \(cycle) cycles: " + phases.map { "\($0) \(landed[$0, default: 0])" }.joined(separator: ", "))
        #expect(kills >= 20)
        for phase in phases { #expect(landed[phase, default: 0] > 0, "no kill landed in \(phase)") }
    }

    /// Polls the job directory until a run is in `phase` (or has ended).
    static func waitForPhase(_ phase: String, work: String, process: Process) {
        let order = ["plan": 0, "map": 1, "reduce": 2, "publish": 3]
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            // No work directory yet: the run is still starting, in no phase yet.
            guard FileManager.default.fileExists(atPath: work) else {
                usleep(500)
                continue
            }
            let now = Self.phase(of: work, exited: false) ?? "publish"
            // "map" is reached once a partition is done, so the kill lands inside map, not at its edge.
            let inMap = now == "map" && ((try? FileManager.default.contentsOfDirectory(atPath: work + "/partitions"))?
                .contains { FileManager.default.fileExists(atPath: work + "/partitions/\($0)/marker.json") } ?? false)
            if order[now]! > order[phase]! || (now == phase && (phase != "map" || inMap)) { return }
            usleep(500)
        }
    }

    /// Which phase a killed run was in, read from what it left; nil when it had already finished.
    static func phase(of work: String, exited: Bool) -> String? {
        let fileManager = FileManager.default
        // No work directory: killed before it was made, or the run had finished: not counted.
        guard fileManager.fileExists(atPath: work) else { return nil }
        guard fileManager.fileExists(atPath: work + "/manifest.json") else { return "plan" }
        guard let manifest = try? JSONValue(contentsOfFile: work + "/manifest.json"),
              let partitions = manifest["partitions"]?.array?.count, let buckets = manifest["buckets"]?.int else { return "plan" }
        let doneMaps = (0..<partitions).filter { fileManager.fileExists(atPath: String(format: "%@/partitions/p%06d/marker.json", work, $0)) }.count
        if doneMaps < partitions { return "map" }
        let doneBuckets = (0..<buckets).filter { fileManager.fileExists(atPath: String(format: "%@/buckets/b%05d/marker.json", work, $0)) }.count
        return doneBuckets < buckets ? "reduce" : "publish"
    }

    // MARK: - SIGTERM

    @Test("SIGTERM in the middle: exit 143, an interrupted summary, and resume completes identically")
    func sigtermThenResume() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await Self.reference(dataset)
        let out = try TemporaryDirectory(prefix: "sigterm")
        defer { out.remove() }
        let work = out.path + "/.settle-work"
        let process = try Self.start(["aggregate", dataset.settlementPath, "--out", out.path] + Self.jobOptions)
        // Wait for the first partition marker, then ask it to stop.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: work + "/partitions/p000000/marker.json") && Date() < deadline { usleep(2000) }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        if process.terminationStatus == 1 {
            // The run finished before the signal arrived: nothing to test on this machine.
            try Self.expectSameOutputs(out.path, reference, "finished before SIGTERM")
            return
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 143)
        let summary = try JSONValue(contentsOfFile: out.path + "/summary.json")
        #expect(summary["status"]?.string == "interrupted")
        #expect(summary["signal"]?.string == "SIGTERM")
        #expect((summary["progress"]?["partitions_done"]?.int ?? 0) >= 1)
        #expect(summary["resume_command"]?.string?.contains("settle resume") == true)
        #expect(!FileManager.default.fileExists(atPath: out.path + "/totals.csv"), "no outputs before the job completes")
        let status = try await Self.settle(["status", work])
        #expect(status.exitStatus == 0 && status.stdout.contains("partitions: ") && status.stdout.contains("lock: free"), "\(status)")
        let resumed = try await Self.settle(["resume", work, "--quiet"])
        #expect(resumed.exitStatus == 1, "\(resumed)")
        try Self.expectSameOutputs(out.path, reference, "after SIGTERM and settle resume")
    }

    // MARK: - Tampering

    @Test("tampered job directories: each gives the documented outcome")
    func tampering() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let shared = try await Self.reference(dataset)
        let scratch = try TemporaryDirectory(prefix: "tamper")
        defer { scratch.remove() }
        // A private copy of the input, so changing it does not disturb other tests.
        let input = scratch.path + "/settlement.dat"
        try FileManager.default.copyItem(atPath: dataset.settlementPath, toPath: input)
        let out = scratch.path + "/out"
        let work = out + "/.settle-work"
        // A checkpoint per partition (each partition then has its own spill runs, which the tampering
        // below damages one by one); CheckpointTests damages the members of larger checkpoints.
        let arguments = ["aggregate", input, "--out", out, "--keep-work", "--checkpoint", "1B"] + Self.jobOptions.filter { $0 != "--quiet" }
        let first = try await Self.settle(arguments)
        #expect(first.exitStatus == 1, "\(first)")
        // This job's own reference: its input path differs from the shared dataset's.
        expectSameBytes(try readBytes(out + "/totals.csv"), shared.totals, "totals.csv of the copy")
        let firstSummary = try JSONValue(contentsOfFile: out + "/summary.json")
        let reference = Reference(totals: try readBytes(out + "/totals.csv"), rejects: try readBytes(out + "/rejects.csv"),
                                  result: try #require(firstSummary["result"]), stageSeconds: [:])

        // A completed job resumed again only re-publishes.
        let again = try await Self.settle(arguments)
        #expect(again.exitStatus == 1 && again.stderr.contains("already done"), "\(again)")
        try Self.expectSameOutputs(out, reference, "completed job resumed")

        // A truncated marker, a deleted spill and a flipped byte in a spill: recomputed with a warning.
        let markerPath = work + "/partitions/p000001/marker.json"
        let marker = try readBytes(markerPath)
        try Data(marker.prefix(marker.count / 2)).write(to: URL(fileURLWithPath: markerPath))
        let spillDirectory = try Self.attemptDirectory(work + "/partitions/p000002")
        try FileManager.default.removeItem(atPath: spillDirectory + "/s0000.run")
        let flipped = try Self.attemptDirectory(work + "/partitions/p000003") + "/s0000.run"
        var bytes = try readBytes(flipped)
        bytes[bytes.count / 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        let repaired = try await Self.settle(arguments)
        #expect(repaired.exitStatus == 1, "\(repaired)")
        #expect(repaired.stderr.contains("partition 1: marker is unreadable"), "\(repaired.stderr)")
        #expect(repaired.stderr.contains("partition 2: spill file"), "\(repaired.stderr)")
        #expect(repaired.stderr.contains("partition 3: spill file") && repaired.stderr.contains("corrupt"), "\(repaired.stderr)")
        try Self.expectSameOutputs(out, reference, "after tampering")

        // A second process on the same job directory is refused, naming the holder.
        let lockFD = open(work + "/lock", O_RDWR)
        #expect(lockFD >= 0)
        #expect(flock(lockFD, LOCK_EX | LOCK_NB) == 0)
        try Data("pid 4242 on host test-holder\n".utf8).write(to: URL(fileURLWithPath: work + "/lock"))
        let locked = try await Self.settle(arguments)
        flock(lockFD, LOCK_UN)
        close(lockFD)
        #expect(locked.exitStatus == 2 && locked.stderr.contains("in use by pid 4242 on host test-holder"), "\(locked)")

        // A changed input: refused with what changed; --restart starts again.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("X".utf8))
        try handle.close()
        let changed = try await Self.settle(arguments)
        #expect(changed.exitStatus == 2, "\(changed)")
        #expect(changed.stderr.contains("size was") && changed.stderr.contains("--restart"), "\(changed.stderr)")
        let restarted = try await Self.settle(arguments + ["--restart"])
        #expect(restarted.exitStatus == 1, "\(restarted)")
        let rejects = try String(contentsOfFile: out + "/rejects.csv", encoding: .utf8)
        #expect(rejects.contains(",short_record,"), "the appended byte is a short record")
        expectSameBytes(try readBytes(out + "/totals.csv"), reference.totals, "totals.csv after --restart")
    }

    @Test("an input truncated while a run maps it: the run dies or finishes, and the resume refuses the changed input")
    func inputTruncatedUnderneath() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let scratch = try TemporaryDirectory(prefix: "truncate")
        defer { scratch.remove() }
        let input = scratch.path + "/settlement.dat"
        try FileManager.default.copyItem(atPath: dataset.settlementPath, toPath: input)
        let out = scratch.path + "/out"
        let arguments = ["aggregate", input, "--out", out, "--keep-work"] + Self.jobOptions
        // The crash is expected: no backtrace (Swift's backtracer was seen to hang on this SIGBUS, and
        // the test with it).
        let process = try Self.start(arguments, environment: ["SWIFT_BACKTRACE": "enable=no"])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/.settle-work/manifest.json") && Date() < deadline { usleep(1000) }
        #expect(truncate(input, 1_000_000) == 0)
        process.waitUntilExit()
        // SIGBUS (a crash) when it touched a page past the new end; or it had read those pages already.
        #expect(process.terminationReason == .uncaughtSignal || process.terminationStatus == 1,
                "status \(process.terminationStatus) reason \(process.terminationReason.rawValue)")
        let resumed = try await Self.settle(arguments)
        #expect(resumed.exitStatus == 2, "\(resumed)")
        #expect(resumed.stderr.contains("size was 6440363 bytes, now 1000000"), "\(resumed.stderr)")
    }

    static func attemptDirectory(_ task: String) throws -> String {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: task).first { $0.hasPrefix("attempt-") })
        return task + "/" + name
    }

    // MARK: - Injected faults

    @Test("a transient write fault is retried; a persistent one exits 2 and a later resume completes")
    func injectedFaults() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await Self.reference(dataset)
        let transientOut = try TemporaryDirectory(prefix: "fault-transient")
        defer { transientOut.remove() }
        let transient = try await Self.settle(["aggregate", dataset.settlementPath, "--out", transientOut.path] + Self.jobOptions.filter { $0 != "--quiet" },
                                              environment: ["SETTLE_FAULT_INJECTION": "write:p000002/:1:1;fsync:b00003/:1:1"])
        #expect(transient.exitStatus == 1, "\(transient)")
        #expect(transient.stderr.contains("partition 2: attempt 1 failed, retrying"), "\(transient.stderr)")
        #expect(transient.stderr.contains("bucket 3: attempt 1 failed, retrying"), "\(transient.stderr)")
        try Self.expectSameOutputs(transientOut.path, reference, "transient faults")
        let summary = try JSONValue(contentsOfFile: transientOut.path + "/summary.json")
        #expect(summary["run"]?["partitions"]?[2]?["attempts"]?.int == 2)

        let persistentOut = try TemporaryDirectory(prefix: "fault-persistent")
        defer { persistentOut.remove() }
        // A checkpoint per partition, so that partition 4 has spill runs of its own to fail reading.
        let arguments = ["aggregate", dataset.settlementPath, "--out", persistentOut.path, "--max-attempts", "3",
                         "--checkpoint", "1B"] + Self.jobOptions
        let persistent = try await Self.settle(arguments, environment: ["SETTLE_FAULT_INJECTION": "read:p000004/:1:*"])
        #expect(persistent.exitStatus == 2, "\(persistent)")
        #expect(persistent.stderr.contains("failed after 3 attempts"), "\(persistent.stderr)")
        #expect(FileManager.default.fileExists(atPath: persistentOut.path + "/.settle-work/manifest.json"), "the job directory stays resumable")
        let resumed = try await Self.settle(arguments)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        try Self.expectSameOutputs(persistentOut.path, reference, "resume after a persistent fault")
    }

    // MARK: - Single-task commands

    @Test("plan, map (twice, and concurrently), reduce and finalize give the outputs of aggregate")
    func singleTaskCommands() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.spec)
        let reference = try await Self.reference(dataset)
        let scratch = try TemporaryDirectory(prefix: "tasks")
        defer { scratch.remove() }
        let work = scratch.path + "/job"
        let out = scratch.path + "/out"
        let plan = try await Self.settle(["plan", dataset.settlementPath, "--work", work, "--json",
                                          "--layout", "reference", "--partition-size", "96K", "--buckets", "8"])
        #expect(plan.exitStatus == 0, "\(plan)")
        let planned = try JSONDecoder().decode(JSONValue.self, from: Data(plan.stdout.utf8))
        let partitions = try #require(planned["partitions"]?.int)
        let buckets = try #require(planned["buckets"]?.int)
        #expect(partitions > 10 && buckets == 8)
        let early = try await Self.settle(["reduce", "--work", work, "--bucket", "0"])
        #expect(early.exitStatus == 2 && early.stderr.contains("not mapped yet"), "\(early)")
        // Partition 0 twice at once, then every partition (0 again: already done).
        async let a = Self.settle(["map", "--work", work, "--partition", "0", "--memory", "2M"])
        async let b = Self.settle(["map", "--work", work, "--partition", "0", "--memory", "2M"])
        let (first, second) = try await (a, b)
        #expect(first.exitStatus == 0 && second.exitStatus == 0, "\(first)\n\(second)")
        // The other partitions say which scheduler attempt they are (0 stays without: the markers
        // of tasks run without --scheduler-attempt have no such field).
        for partition in 0..<partitions {
            let map = try await Self.settle(["map", "--work", work, "--partition", String(partition), "--memory", "2M",
                                             "--scheduler-attempt", String(partition % 3)])
            #expect(map.exitStatus == 0, "\(map)")
        }
        let attempts = try FileManager.default.contentsOfDirectory(atPath: work + "/partitions/p000000").filter { $0.hasPrefix("attempt-") }
        #expect(attempts.count == 1, "the losing attempt of partition 0 removes its files: \(attempts)")
        for bucket in 0..<buckets {
            let reduce = try await Self.settle(["reduce", "--work", work, "--bucket", String(bucket), "--memory", "2M",
                                                "--scheduler-attempt", String(bucket % 2 + 1)])
            #expect(reduce.exitStatus == 0, "\(reduce)")
        }
        let finalize = try await Self.settle(["finalize", "--work", work, "--out", out, "--quiet"])
        #expect(finalize.exitStatus == 1, "\(finalize)")
        try Self.expectSameOutputs(out, reference, "plan/map/reduce/finalize")

        // summary.json records the scheduler's attempt of each task whose marker was used.
        let summary = try JSONValue(contentsOfFile: out + "/summary.json")
        let mapped = try #require(summary["run"]?["partitions"]?.array)
        #expect(mapped.count == partitions)
        for (index, partition) in mapped.enumerated() {
            #expect(partition["scheduler_attempt"]?.int == (index == 0 ? nil : index % 3), "partition \(index): \(partition)")
        }
        let reduced = try #require(summary["run"]?["bucket_tasks"]?.array)
        #expect(!reduced.isEmpty && reduced.count <= buckets)
        for bucket in reduced {
            let index = try #require(bucket["index"]?.int)
            #expect(bucket["scheduler_attempt"]?.int == index % 2 + 1 && bucket["attempts"]?.int == 1, "\(bucket)")
        }
    }

    // MARK: - Processes

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs settle to completion with extra environment variables.
    static func settle(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutcome {
        if environment.isEmpty { return try await Subprocess.settle(arguments) }
        let capture = try TemporaryDirectory(prefix: "env-capture")
        defer { capture.remove() }
        FileManager.default.createFile(atPath: capture.path + "/out", contents: nil)
        FileManager.default.createFile(atPath: capture.path + "/err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: capture.path + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: capture.path + "/err"))
        try process.run()
        process.waitUntilExit()
        return ProcessOutcome(commandLine: arguments.joined(separator: " "), status: process.terminationStatus,
                              signalled: process.terminationReason == .uncaughtSignal, timedOut: false,
                              stdout: (try? String(contentsOfFile: capture.path + "/out", encoding: .utf8)) ?? "",
                              stderr: (try? String(contentsOfFile: capture.path + "/err", encoding: .utf8)) ?? "")
    }
}

/// A small seeded generator, so a failing crash test can be replayed exactly.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension JSONValue {
    /// A number of seconds, written as an integer or a decimal.
    fileprivate var seconds: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}
