import Foundation
import Logging
@testable import SettleEngine

/// The marker reader on arbitrary bytes, through the entry points a resume uses: a job of 60
/// records of the bundled sample is planned, mapped and reduced once (3 partitions, 4 buckets);
/// then each input replaces partition 0's and bucket 0's `marker.json`, and `donePartition` and
/// `doneBucket` (with verification) decide whether to trust it.
///
/// Every attempt directory is renamed `attempt-fuzz` (and the markers with it), so that a marker
/// is valid in every fuzzing process: `prepare(corpus:)` writes the job's own markers into the
/// corpus as seeds, and what the fuzzer learns from them stays true in the next run.
final class MarkerFuzz {
    /// Made on first use; libFuzzer runs inputs one at a time on one thread.
    nonisolated(unsafe) static let shared = MarkerFuzz()

    static let attemptName = "attempt-fuzz"

    let job: Job
    let bucketInputs: BucketInputs

    init() {
        let logger = Logger(label: "settle-fuzz") { _ in SwiftLogNoOpLogHandler() }
        let sample = (try? FileIO.readBytes(path: Scratch.repositoryRoot + "/datasets/sample/settlement.dat")) ?? []
        precondition(sample.count > 161 * 60, "the marker target maps the bundled sample (datasets/sample/settlement.dat)")
        let records = Array(sample.prefix(161 * 60))
        let input = records.withUnsafeBytes { Scratch.write($0, name: "marker-input.dat") }
        let directory = JobDirectory(root: Scratch.root + "/marker-job")
        let retry = RetryPolicy(maxAttempts: 1, baseDelayMilliseconds: 1)
        do {
            let job = try JobTasks.plan(inputs: [.init(path: input, layout: "reference")], partitionSizeBytes: 161 * 20, buckets: 4,
                                        directory: directory, restart: true, logger: logger)
            for partition in 0..<job.partitionCount {
                _ = try JobTasks.map(directory: directory, partition: partition, memoryBytes: 8 << 20, retry: retry, logger: logger)
            }
            for bucket in 0..<job.bucketCount {
                _ = try JobTasks.reduce(directory: directory, bucket: bucket, memoryBytes: 8 << 20, retry: retry, logger: logger)
            }
            try Self.renameAttempts(directory, tasks: (0..<job.partitionCount).map(directory.partitionDirectory)
                                        + (0..<job.bucketCount).map(directory.bucketDirectory))
            let opened = try Job.open(directory, logger: logger)
            let results = (0..<opened.partitionCount).compactMap { opened.donePartition($0, verifyRuns: true).result }
            precondition(results.count == opened.partitionCount, "the marker target's markers do not hold up after renaming")
            bucketInputs = try opened.bucketInputs(results)[0]
            self.job = opened
        } catch {
            fatalError("the marker target's job failed: \(error)")
        }
    }

    /// Renames each task's attempt directory `attempt-fuzz` and rewrites every marker to match.
    static func renameAttempts(_ directory: JobDirectory, tasks: [String]) throws {
        var renamed: [String] = []
        for task in tasks {
            let names = try FileManager.default.contentsOfDirectory(atPath: task)
            guard let attempt = names.first(where: { $0.hasPrefix("attempt-") }) else { continue }
            try FileManager.default.moveItem(atPath: task + "/" + attempt, toPath: task + "/" + attemptName)
            renamed.append(attempt)
        }
        for task in tasks {
            let path = task + "/marker.json"
            guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for attempt in renamed { text = text.replacingOccurrences(of: attempt, with: attemptName) }
            // A marker carries a checksum of its own JSON: re-seal the renamed one, or no resume trusts it.
            let bytes = Array(text.utf8)
            let sealed: [UInt8]
            if task.hasPrefix(directory.buckets + "/"), let marker = MarkerIO.decode(BucketMarker.self, bytes: bytes) {
                sealed = try MarkerIO.encodeChecked(marker)
            } else if let marker = MarkerIO.decode(PartitionMarker.self, bytes: bytes) {
                sealed = try MarkerIO.encodeChecked(marker)
            } else {
                sealed = bytes
            }
            try Data(sealed).write(to: URL(fileURLWithPath: path))
        }
    }

    /// Writes partition 0's and bucket 0's markers, as the job has them, into `corpus` (the directory
    /// libFuzzer adds new inputs to), once per process before the corpus is read.
    func prepare(corpus: String) {
        for (name, path) in [("partition-0-marker.json", job.directory.partitionMarker(0)), ("bucket-0-marker.json", job.directory.bucketMarker(0))] {
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }
            _ = FileManager.default.createFile(atPath: corpus + "/" + name, contents: bytes)
        }
    }

    func run(_ bytes: UnsafeRawBufferPointer) {
        let contents = Data(bytes)
        for path in [job.directory.partitionMarker(0), job.directory.bucketMarker(0)] {
            _ = FileManager.default.createFile(atPath: path, contents: contents)
        }
        _ = job.donePartition(0, verifyRuns: true)
        _ = job.doneBucket(0, inputs: bucketInputs, verify: true)
    }
}
