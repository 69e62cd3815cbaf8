import Foundation
import Testing

/// Every file a marker vouches for carries a CRC-32C in the marker, and the marker one of its own:
/// a flipped byte or an edited figure is found before anything is merged, redone with a warning,
/// and the outputs are byte-identical to an uninterrupted run.
@Suite("Work-file integrity: checksums in markers", .serialized)
struct IntegrityTests {
    struct Job {
        var input: String
        var out: String
        var work: String { out + "/.settle-work" }
        var arguments: [String] { ["aggregate", input, "--out", out, "--keep-work"] + ResumeTests.jobOptions.filter { $0 != "--quiet" } }
    }

    /// A completed job over a private copy of the shared dataset, and its outputs.
    static func completedJob(_ scratch: TemporaryDirectory) async throws -> (Job, ResumeTests.Reference) {
        let dataset = try await SharedDatasets.shared.dataset(ResumeTests.spec)
        let job = Job(input: scratch.path + "/settlement.dat", out: scratch.path + "/out")
        try FileManager.default.copyItem(atPath: dataset.settlementPath, toPath: job.input)
        let first = try await ResumeTests.settle(job.arguments)
        #expect(first.exitStatus == 1, "\(first)")
        expectSameBytes(try readBytes(job.out + "/totals.csv"), dataset.expectedTotals, "totals.csv of the first run")
        let summary = try JSONValue(contentsOfFile: job.out + "/summary.json")
        let reference = ResumeTests.Reference(totals: try readBytes(job.out + "/totals.csv"), rejects: try readBytes(job.out + "/rejects.csv"),
                                              result: try #require(summary["result"]), stageSeconds: [:])
        return (job, reference)
    }

    static func flipByte(_ path: String, at fraction: Double = 0.5) throws {
        var bytes = try readBytes(path)
        bytes[Int(Double(bytes.count - 1) * fraction)] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The first (or last) task directory under `directory` whose marker's attempt holds `file`.
    static func firstTask(under directory: String, holding file: String, last: Bool = false) throws -> (index: Int, file: String) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in last ? names.reversed() : names {
            guard let marker = try? JSONValue(contentsOfFile: directory + "/" + name + "/marker.json"),
                  let attempt = marker["attempt"]?.string else { continue }
            let path = directory + "/" + name + "/" + attempt + "/" + file
            guard FileManager.default.fileExists(atPath: path) else { continue }
            return (try #require(Int(name.dropFirst())), path)
        }
        throw CocoaError(.fileNoSuchFile)
    }

    @Test("a flipped byte in a finished bucket's out.run: settle reduce and aggregate redo it, with a warning")
    func corruptBucketOutput() async throws {
        let scratch = try TemporaryDirectory(prefix: "integrity-bucket")
        defer { scratch.remove() }
        let (job, reference) = try await Self.completedJob(scratch)
        let (bucket, output) = try Self.firstTask(under: job.work + "/buckets", holding: "out.run")
        try Self.flipByte(output)
        let reduce = try await ResumeTests.settle(["reduce", "--work", job.work, "--bucket", String(bucket), "--memory", "2M"])
        #expect(reduce.exitStatus == 0, "\(reduce)")
        #expect(reduce.stderr.contains("bucket \(bucket): output \(output) is corrupt: its CRC-32C is"), "\(reduce.stderr)")
        #expect(reduce.stderr.contains("bucket \(bucket): reduced") && !reduce.stderr.contains("already done"), "\(reduce.stderr)")

        let (again, outputAgain) = try Self.firstTask(under: job.work + "/buckets", holding: "out.run")
        #expect(again == bucket)
        try Self.flipByte(outputAgain, at: 0.1)
        let repaired = try await ResumeTests.settle(job.arguments)
        #expect(repaired.exitStatus == 1, "\(repaired)")
        #expect(repaired.stderr.contains("bucket \(bucket): output \(outputAgain) is corrupt") && repaired.stderr.contains("it will be reduced again"),
                "\(repaired.stderr)")
        try ResumeTests.expectSameOutputs(job.out, reference, "after a corrupt bucket output")
    }

    @Test("a flipped byte in a partition's rejects.rej, an edited count and a marker without checksum: recomputed, with a warning")
    func corruptPartitionFiles() async throws {
        let scratch = try TemporaryDirectory(prefix: "integrity-partition")
        defer { scratch.remove() }
        let (job, reference) = try await Self.completedJob(scratch)
        let partitions = job.work + "/partitions"
        let (flipped, rejects) = try Self.firstTask(under: partitions, holding: "rejects.rej", last: true)
        try Self.flipByte(rejects)
        // Partition 0's marker with one more record than it counted; partition 1's without its checksum.
        let edited = partitions + "/p000000/marker.json"
        let text = try String(contentsOfFile: edited, encoding: .utf8)
        let records = try #require(text.firstRange(of: /"records" : (\d+)/))
        let count = try #require(Int(text[records].split(separator: " ").last!))
        try text.replacingCharacters(in: records, with: "\"records\" : \(count + 1)").write(toFile: edited, atomically: false, encoding: .utf8)
        let old = partitions + "/p000001/marker.json"
        let oldText = try String(contentsOfFile: old, encoding: .utf8)
        let checksum = try #require(oldText.firstRange(of: /\n\s*"checksum" : \d+,/))
        try oldText.replacingCharacters(in: checksum, with: "").write(toFile: old, atomically: false, encoding: .utf8)

        let repaired = try await ResumeTests.settle(job.arguments)
        #expect(repaired.exitStatus == 1, "\(repaired)")
        #expect(repaired.stderr.contains("partition \(flipped): rejects file \(rejects) is corrupt: its CRC-32C is"), "\(repaired.stderr)")
        #expect(repaired.stderr.contains("partition 0: marker does not match its checksum (edited or damaged); it will be recomputed"),
                "\(repaired.stderr)")
        #expect(repaired.stderr.contains("partition 1: marker has no checksum (written by an older Settle)"), "\(repaired.stderr)")
        try ResumeTests.expectSameOutputs(job.out, reference, "after corrupt partition files")
        // The redone partitions have markers that hold up again: a further run only re-publishes.
        let again = try await ResumeTests.settle(job.arguments)
        #expect(again.exitStatus == 1 && !again.stderr.contains("recomputed") && !again.stderr.contains("reduced again"), "\(again)")
        try ResumeTests.expectSameOutputs(job.out, reference, "completed again")
    }
}
