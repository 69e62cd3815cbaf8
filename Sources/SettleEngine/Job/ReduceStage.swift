/// The reduce stage of a job: per bucket, a k-way merge of the bucket's slices of every spill run,
/// in an attempt directory, with a marker published last.
extension Job {
    /// Which runs hold which bucket, from the runs' own indexes.
    public func bucketInputs(_ partitions: [PartitionResult]) throws -> [[MergeInput]] {
        var inputs = [[MergeInput]](repeating: [], count: bucketCount)
        for result in partitions {
            for run in result.runs {
                let reader = try RunReader(path: run.path)
                for (bucket, range) in reader.buckets where bucket < bucketCount {
                    inputs[bucket].append(MergeInput(path: run.path, bucket: bucket, entries: range.entries))
                }
            }
        }
        return inputs.map { $0.sorted { $0.path < $1.path } }
    }

    /// The inputs as the marker records them: paths relative to the partitions directory.
    func relativeInputs(_ inputs: [MergeInput]) -> [String] {
        inputs.map { $0.path.hasPrefix(directory.partitions + "/") ? String($0.path.dropFirst(directory.partitions.count + 1)) : $0.path }
    }

    /// The bucket's merged output from its marker, or nil when it is not done (or its marker is
    /// over other inputs, or its output is missing or corrupt: then the marker is removed).
    public func doneBucket(_ bucket: Int, inputs: [MergeInput], verify: Bool) -> (output: MergeInput?, warning: String?) {
        let markerPath = directory.bucketMarker(bucket)
        guard FileIO.exists(markerPath) else { return (nil, nil) }
        func invalid(_ why: String) -> (MergeInput?, String?) {
            FileIO.unlink(markerPath)
            return (nil, "bucket \(bucket): \(why); it will be reduced again")
        }
        guard let marker = MarkerIO.decode(BucketMarker.self, path: markerPath), marker.bucket == bucket else {
            return invalid("marker is unreadable")
        }
        guard marker.inputs == relativeInputs(inputs) else { return invalid("marker was made from other spill runs") }
        let path = directory.bucketDirectory(bucket) + "/" + marker.attempt + "/" + marker.output.name
        guard FileIO.fileSize(path) == marker.output.sizeBytes else { return invalid("output \(path) is missing or has the wrong size") }
        if verify {
            do {
                let entries = try RunReader(path: path).verify()
                if entries != marker.output.entries { return invalid("output \(path) holds \(entries) keys, marker says \(marker.output.entries)") }
            } catch {
                return invalid("\(error)")
            }
        }
        return (MergeInput(path: path, bucket: 0, entries: marker.output.entries), nil)
    }

    /// Reduces one bucket with retries and publishes its marker; returns the merged output.
    public func reduceBucket(_ bucket: Int, inputs: [MergeInput], table: AggregateTable, encoder: LZ4FrameEncoder, fanIn: Int,
                             retry: RetryPolicy,
                             onRetry: (Int, SettleError) -> Void = { _, _ in }) throws -> MergeInput {
        let taskDirectory = directory.bucketDirectory(bucket)
        return try retry.run("reduce of bucket \(bucket)", onRetry: onRetry) { attempt in
            let start = Syscalls.monotonicNanoseconds()
            let attemptDirectory = try directory.newAttempt(in: taskDirectory)
            do {
                let reducer = BucketReducer(bucket: bucket, outputPath: attemptDirectory + "/out.run")
                let (keys, info) = try reducer.reduce(inputs, table: table, fanIn: fanIn, encoder: encoder,
                                                      scratchDirectory: attemptDirectory)
                try Syscalls.fsyncDirectory(attemptDirectory)
                let marker = BucketMarker(bucket: bucket, attempt: AtomicFile.split(attemptDirectory).name, attempts: attempt,
                                          output: .init(name: "out.run", sizeBytes: info.sizeBytes, entries: keys),
                                          inputs: relativeInputs(inputs),
                                          seconds: Double(Syscalls.monotonicNanoseconds() - start) / 1e9)
                if try MarkerIO.publishOnce(try MarkerIO.encode(marker), to: directory.bucketMarker(bucket)) {
                    return MergeInput(path: info.path, bucket: 0, entries: keys)
                }
                FileIO.removeTree(attemptDirectory)
                guard let winner = doneBucket(bucket, inputs: inputs, verify: false).output else {
                    throw SettleError(.io, "bucket \(bucket): another attempt published a marker that does not hold up")
                }
                return winner
            } catch let error as SettleError {
                FileIO.removeTree(attemptDirectory)
                throw error
            } catch {
                FileIO.removeTree(attemptDirectory)
                throw SettleError(.io, "bucket \(bucket): \(error)")
            }
        }
    }
}
