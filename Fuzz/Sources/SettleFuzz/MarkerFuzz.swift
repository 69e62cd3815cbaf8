import Foundation
import Logging
@testable import SettleEngine

/// The marker reader on arbitrary bytes, through the entry points a resume uses: a job of 60
/// records of the bundled sample is planned, mapped and reduced once (3 partitions, 4 buckets);
/// then each input replaces partition 0's and bucket 0's `marker.json`, and `donePartition` and
/// `doneBucket` (with verification) decide whether to trust it.
final class MarkerFuzz {
    /// Made on first use; libFuzzer runs inputs one at a time on one thread.
    nonisolated(unsafe) static let shared = MarkerFuzz()

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
            let opened = try Job.open(directory, logger: logger)
            let results = (0..<opened.partitionCount).compactMap { opened.donePartition($0, verifyRuns: true).result }
            bucketInputs = try opened.bucketInputs(results)[0]
            self.job = opened
        } catch {
            fatalError("the marker target's job failed: \(error)")
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
