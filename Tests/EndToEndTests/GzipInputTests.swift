import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Gzip-compressed inputs (`settle aggregate FILE.gz`): the bundled sample compressed by the `gzip`
/// command gives the uncompressed run's outputs (rejects name the file as given); several members;
/// a killed job resumes without decompressing again; the task commands; damaged files; a .gz ledger.
@Suite("Gzip-compressed inputs", .serialized)
struct GzipInputTests {
    static let sampleDirectory = SettleBinary.packageRoot + "/datasets/sample"

    /// A scratch directory holding the sample (`settlement.dat`), its gzip (`settlement.dat.gz`, by
    /// the gzip command) and the outputs of the uncompressed run (`plain/`). Commands run inside it.
    struct Scratch {
        let directory: TemporaryDirectory
        var path: String { directory.path }
        let plainTotals: [UInt8]
        let plainRejects: [UInt8]
        let plainResult: JSONValue

        static func make(_ prefix: String) async throws -> Scratch {
            let directory = try TemporaryDirectory(prefix: prefix)
            try FileManager.default.copyItem(atPath: sampleDirectory + "/settlement.dat", toPath: directory.file("settlement.dat"))
            try await gzip(directory.file("settlement.dat"))
            let plain = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"], out: "plain", in: directory.path)
            #expect(plain.outcome.exitStatus == 1, "\(plain.outcome)")
            expectSameBytes(try plain.totals(), try readBytes(sampleDirectory + "/expected/totals.csv"), "uncompressed totals.csv")
            return Scratch(directory: directory, plainTotals: try plain.totals(), plainRejects: try plain.rejectsBytes(),
                           plainResult: try #require(try plain.summary()["result"]))
        }

        /// Checks an output directory against the uncompressed run: totals byte for byte; rejects and
        /// the summary's result byte for byte once `name` (the file as given) is read as `settlement.dat`.
        func expectPlainOutputs(_ out: String, name: String = "settlement.dat.gz", _ context: String,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
            expectSameBytes(try readBytes(out + "/totals.csv"), plainTotals, "totals.csv (\(context))", sourceLocation: sourceLocation)
            let rejects = try readBytes(out + "/rejects.csv")
            let lines = String(decoding: rejects, as: UTF8.self).split(separator: "\n").dropFirst()
            #expect(lines.count == 68 && lines.allSatisfy { $0.hasPrefix(name + ",") },
                    "every reject names \(name) (\(context))", sourceLocation: sourceLocation)
            let renamed = String(decoding: rejects, as: UTF8.self).replacingOccurrences(of: "\n" + name + ",", with: "\nsettlement.dat,")
            expectSameBytes(Array(renamed.utf8), plainRejects, "rejects.csv, file renamed (\(context))", sourceLocation: sourceLocation)
            let result = try #require(try JSONValue(contentsOfFile: out + "/summary.json")["result"])
            #expect(result["files"]?[0]?["path"]?.string == name, sourceLocation: sourceLocation)
            #expect(result.renamingStrings(name, to: "settlement.dat") == plainResult,
                    "summary.json result (\(context))", sourceLocation: sourceLocation)
        }

        func remove() { directory.remove() }
    }

    @Test("the sample compressed with gzip gives the uncompressed run's totals, rejects and result")
    func sampleMatchesPlain() async throws {
        let scratch = try await Scratch.make("gzip-sample")
        defer { scratch.remove() }
        let run = try await AggregateRun.run(["settlement.dat.gz", "--layout", "reference", "--partition-size", "200K"], out: "gz", in: scratch.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try scratch.expectPlainOutputs(run.outDirectory, "settlement.dat.gz")
        #expect(run.outcome.stderr.contains("settle: decompressing settlement.dat.gz (gzip) into gz/.settle-work/inputs/0-settlement.dat\n"), "\(run.outcome)")
        #expect(run.outcome.stderr.contains("settle: decompressed settlement.dat.gz: \(try readBytes(scratch.path + "/settlement.dat.gz").count) bytes to 1610363 in "))
        #expect(try JSONValue(contentsOfFile: run.summaryPath)["result"]?["files"]?[0]?["size_bytes"]?.int == 1_610_363,
                "size_bytes is the decompressed size")
        #expect(!FileFacts.exists(run.outDirectory + "/.settle-work"), "the copy goes with the work directory")

        // Recognised by its content: a gzip file named like the plain one gives byte-identical rejects.
        try FileManager.default.createDirectory(atPath: scratch.path + "/named", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: scratch.path + "/settlement.dat.gz", toPath: scratch.path + "/named/settlement.dat")
        let named = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--quiet"], out: "out", in: scratch.path + "/named")
        #expect(named.outcome.exitStatus == 1, "\(named.outcome)")
        expectSameBytes(try named.totals(), scratch.plainTotals, "totals.csv (gzip without .gz)")
        expectSameBytes(try named.rejectsBytes(), scratch.plainRejects, "rejects.csv (gzip without .gz)")
    }

    @Test("several gzip members, cut in the middle of records, read as one file")
    func multipleMembers() async throws {
        let scratch = try await Scratch.make("gzip-members")
        defer { scratch.remove() }
        let plain = try readBytes(scratch.path + "/settlement.dat")
        var concatenated: [UInt8] = []
        for (index, range) in [0..<500_001, 500_001..<1_100_007, 1_100_007..<plain.count].enumerated() {
            let piece = scratch.path + "/piece\(index)"
            try writeBytes(Array(plain[range]), to: piece)
            try await Self.gzip(piece)
            concatenated += try readBytes(piece + ".gz")
        }
        try writeBytes(concatenated, to: scratch.path + "/members.gz")
        let run = try await AggregateRun.run(["members.gz", "--layout", "reference", "--quiet"], out: "out", in: scratch.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        try scratch.expectPlainOutputs(run.outDirectory, name: "members.gz", "three members")
    }

    @Test("a killed job resumes on the decompressed copy without decompressing again; a lost copy is made again; a changed .gz is refused")
    func killedJobResumes() async throws {
        let scratch = try await Scratch.make("gzip-resume")
        defer { scratch.remove() }
        let arguments = ["aggregate", "settlement.dat.gz", "--layout", "reference", "--out", "out", "--partition-size", "64K",
                         "--workers", "1", "--memory", "2M", "--keep-work", "--log-level", "info", "--checkpoint", "1B"]
        let work = scratch.path + "/out/.settle-work"
        let copy = work + "/inputs/0-settlement.dat"
        // A checkpoint per partition, each marker published as its partition ends. Partition 5 pauses at its first write, so the kill lands with partitions 0 to 4 done.
        let process = try Self.start(arguments, in: scratch.path, environment: ["SETTLE_TEST_DELAY": "p000005/:20000"])
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && !FileFacts.exists(work + "/partitions/p000004/marker.json") && Date() < deadline { usleep(2000) }
        #expect(kill(process.processIdentifier, SIGKILL) == 0, "the run ended before the kill")
        process.waitUntilExit()
        #expect(!FileFacts.exists(work + "/partitions/p000005/marker.json") && !FileFacts.exists(scratch.path + "/out/totals.csv"))
        let before = try Self.identity(copy)

        let resumed = try await Subprocess.settle(arguments, in: scratch.path)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        #expect(!resumed.stderr.contains("decompressing"), "\(resumed)")
        #expect(resumed.stderr.contains("settle: settlement.dat.gz: using its decompressed copy out/.settle-work/inputs/0-settlement.dat (1610363 bytes), made earlier"), "\(resumed)")
        #expect(resumed.stderr.contains("partitions already done"), "\(resumed)")
        #expect(try Self.identity(copy) == before, "the copy is the one the killed run made (inode and mtime)")
        try scratch.expectPlainOutputs(scratch.path + "/out", "resumed after SIGKILL")

        // The copy lost: made again, with a warning.
        try FileManager.default.removeItem(atPath: copy)
        let again = try await Subprocess.settle(arguments, in: scratch.path)
        #expect(again.exitStatus == 1, "\(again)")
        #expect(again.stderr.contains("settle: warning: settlement.dat.gz: its decompressed copy out/.settle-work/inputs/0-settlement.dat is missing: decompressing it again"), "\(again)")
        #expect(FileFacts.exists(copy))
        try scratch.expectPlainOutputs(scratch.path + "/out", "copy made again")

        // The .gz changed (another member appended): refused, as a changed input always is.
        let original = try readBytes(scratch.path + "/settlement.dat.gz")
        try writeBytes(original + original, to: scratch.path + "/settlement.dat.gz")
        let changed = try await Subprocess.settle(arguments, in: scratch.path)
        #expect(changed.exitStatus == 2, "\(changed)")
        #expect(changed.stderr.contains("settlement.dat.gz: size was \(original.count) bytes, now \(2 * original.count)"), "\(changed)")
    }

    @Test("plan, then map, reduce and finalize on a .gz: the copy is made by plan, reused by the tasks, made again if lost")
    func taskCommands() async throws {
        let scratch = try await Scratch.make("gzip-tasks")
        defer { scratch.remove() }
        let plan = try await Subprocess.settle(["plan", "settlement.dat.gz", "--layout", "reference", "--work", "job",
                                                "--partition-size", "256K", "--buckets", "4", "--json"], in: scratch.path)
        #expect(plan.exitStatus == 0, "\(plan)")
        #expect(plan.stderr.contains("settle: decompressing settlement.dat.gz (gzip) into job/inputs/0-settlement.dat"), "\(plan)")
        let partitions = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(plan.stdout.utf8))["partitions"]?.int)
        #expect(partitions == 7)
        for partition in 0..<partitions {
            if partition == 3 { try FileManager.default.removeItem(atPath: scratch.path + "/job/inputs/0-settlement.dat") }
            let map = try await Subprocess.settle(["map", "--work", "job", "--partition", String(partition)], in: scratch.path)
            #expect(map.exitStatus == 0, "\(map)")
            let warned = map.stderr.contains("settle: warning: settlement.dat.gz: its decompressed copy job/inputs/0-settlement.dat is missing: decompressing it again")
            #expect(warned == (partition == 3) && map.stderr.contains("decompressing") == (partition == 3), "partition \(partition): \(map)")
        }
        for bucket in 0..<4 {
            let reduce = try await Subprocess.settle(["reduce", "--work", "job", "--bucket", String(bucket)], in: scratch.path)
            #expect(reduce.exitStatus == 0 && !reduce.stderr.contains("decompress"), "\(reduce)")
        }
        let finalize = try await Subprocess.settle(["finalize", "--work", "job", "--out", "out", "--quiet"], in: scratch.path)
        #expect(finalize.exitStatus == 1, "\(finalize)")
        try scratch.expectPlainOutputs(scratch.path + "/out", "plan/map/reduce/finalize")
    }

    @Test("a truncated or corrupt .gz: exit 2, the file and the compressed byte offset named, no outputs, no copy")
    func damagedFiles() async throws {
        let scratch = try await Scratch.make("gzip-damaged")
        defer { scratch.remove() }
        let compressed = try readBytes(scratch.path + "/settlement.dat.gz")
        try writeBytes(Array(compressed[0..<100_000]), to: scratch.path + "/cut.gz")
        var flipped = compressed
        flipped[compressed.count - 7] ^= 0x40 // in the CRC-32 of the member's trailer
        try writeBytes(flipped, to: scratch.path + "/flipped.gz")
        try writeBytes(compressed + Array("not gzip".utf8), to: scratch.path + "/trailing.gz")
        let cases = [
            ("cut.gz", "truncated gzip data: the file ends at compressed byte 100000, inside member 1 (the member started at compressed byte 0)"),
            ("flipped.gz", "corrupt gzip data at compressed byte \(compressed.count - 4) (member 1): the member's CRC-32 does not match its data (zlib: incorrect data check)"),
            ("trailing.gz", "data that is not gzip at compressed byte \(compressed.count), after the end of member 1"),
        ]
        for (name, problem) in cases {
            let run = try await AggregateRun.run([name, "--layout", "reference"], out: "out-" + name, in: scratch.path)
            #expect(run.outcome.exitStatus == 2, "\(run.outcome)")
            #expect(run.outcome.stderr.contains("settle: error: cannot decompress input file \(name): \(problem)\n"), "\(run.outcome)")
            let published = (try? FileManager.default.contentsOfDirectory(atPath: run.outDirectory)) ?? []
            #expect(published == [".settle-work"], "no outputs: \(published)")
            let inputs = (try? FileManager.default.contentsOfDirectory(atPath: run.outDirectory + "/.settle-work/inputs")) ?? []
            #expect(inputs.isEmpty, "no copy and no temporary file: \(inputs)")
        }
        let plan = try await Subprocess.settle(["plan", "cut.gz", "--layout", "reference", "--work", "job"], in: scratch.path)
        #expect(plan.exitStatus == 2 && plan.stderr.contains("cannot decompress input file cut.gz: truncated gzip data"), "\(plan)")
        #expect(!FileFacts.exists(scratch.path + "/job/manifest.json"))
    }

    @Test("a .gz ledger reconciles like the plain one")
    func gzipLedger() async throws {
        let scratch = try await Scratch.make("gzip-ledger")
        defer { scratch.remove() }
        try FileManager.default.copyItem(atPath: Self.sampleDirectory + "/ledger.csv", toPath: scratch.path + "/ledger.csv")
        try await Self.gzip(scratch.path + "/ledger.csv")
        let run = try await AggregateRun.run(["settlement.dat.gz", "--layout", "reference", "--ledger", "ledger.csv.gz", "--quiet"],
                                             out: "out", in: scratch.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        expectSameBytes(try readBytes(run.outDirectory + "/reconciliation.csv"),
                        try readBytes(Self.sampleDirectory + "/expected/reconciliation.csv"), "reconciliation.csv")
        let mismatches = String(decoding: try readBytes(run.outDirectory + "/mismatches.csv"), as: UTF8.self)
            .replacingOccurrences(of: ",settlement.dat.gz,", with: ",settlement.dat,").replacingOccurrences(of: ",ledger.csv.gz,", with: ",ledger.csv,")
        expectSameBytes(Array(mismatches.utf8), try readBytes(Self.sampleDirectory + "/expected/mismatches.csv"), "mismatches.csv, files renamed")
        #expect(mismatches.contains(",ledger.csv,"))
    }

    // MARK: - Helpers

    /// `gzip -k -n PATH`: PATH.gz beside PATH, by the gzip command (not by Settle's code).
    static func gzip(_ path: String) async throws {
        let outcome = try await Subprocess.run("/usr/bin/env", ["gzip", "-k", "-n", "-f", path])
        guard outcome.exitStatus == 0 else { throw FileProblem(path: path, problem: "gzip failed: \(outcome)") }
    }

    /// Inode and modification time of a file: the same pair means the same file, not rewritten.
    static func identity(_ path: String) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return "\(attributes[.systemFileNumber] ?? "?") \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
    }

    static func start(_ arguments: [String], in directory: String, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

extension JSONValue {
    /// The same value with every string equal to `old` replaced by `new`.
    fileprivate func renamingStrings(_ old: String, to new: String) -> JSONValue {
        switch self {
        case .string(let value): .string(value == old ? new : value)
        case .array(let items): .array(items.map { $0.renamingStrings(old, to: new) })
        case .object(let members): .object(members.mapValues { $0.renamingStrings(old, to: new) })
        default: self
        }
    }
}
