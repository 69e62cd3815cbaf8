/// The reduce stage of a job: per bucket, a k-way merge of the bucket's slices of every spill run,
/// in an attempt directory, with a marker published last.
/// What one reduce bucket merges: its slice of every partial-aggregate run and, when the job
/// reconciles, of every run of occurrences by reference.
public struct BucketInputs: Sendable, Equatable {
    public var runs: [MergeInput] = []
    public var references: [MergeInput] = []
    public var isEmpty: Bool { runs.isEmpty && references.isEmpty }
}

/// What a reduced bucket produced: its final aggregates and, when it joined references, its
/// mismatch rows (a run by kind), per-merchant reconciliation partials and counts per kind.
public struct BucketOutput: Sendable {
    public var totals: MergeInput
    public var mismatches: String?
    public var contributions: [MergeInput] = []
    public var counts: [Int] = []
}

extension Job {
    /// True when the job has ledger files to reconcile against.
    public var reconciling: Bool { plan.files.contains(where: \.isLedger) }

    /// Which runs hold which bucket, from the runs' own indexes.
    public func bucketInputs(_ partitions: [PartitionResult]) throws -> [BucketInputs] {
        var inputs = [BucketInputs](repeating: BucketInputs(), count: bucketCount)
        for result in partitions {
            for run in result.runs {
                let reader = try RunReader(path: run.path)
                for (bucket, range) in reader.buckets where bucket < bucketCount {
                    inputs[bucket].runs.append(MergeInput(path: run.path, bucket: bucket, entries: range.entries))
                }
            }
            for run in result.referenceRuns {
                let reader = try RunReader(path: run.path)
                for (bucket, range) in reader.buckets where bucket < bucketCount {
                    inputs[bucket].references.append(MergeInput(path: run.path, bucket: bucket, entries: range.entries))
                }
            }
        }
        return inputs.map { BucketInputs(runs: $0.runs.sorted { $0.path < $1.path }, references: $0.references.sorted { $0.path < $1.path }) }
    }

    /// The inputs as the marker records them: paths relative to the partitions directory.
    func relativeInputs(_ inputs: [MergeInput]) -> [String] {
        inputs.map { $0.path.hasPrefix(directory.partitions + "/") ? String($0.path.dropFirst(directory.partitions.count + 1)) : $0.path }
    }

    /// The bucket's merged output from its marker, or nil when it is not done (or its marker is
    /// unreadable, without or against its own checksum, over other inputs, or its outputs are
    /// missing, of the wrong size or, with `verify`, of another CRC-32C than the marker's: then the
    /// marker is removed and `warning` says why).
    public func doneBucket(_ bucket: Int, inputs: BucketInputs, verify: Bool, match: MatchSpec? = nil) -> (output: BucketOutput?, warning: String?) {
        let markerPath = directory.bucketMarker(bucket)
        func invalid(_ why: String) -> (BucketOutput?, String?) {
            FileIO.unlink(markerPath)
            return (nil, "bucket \(bucket): \(why); it will be reduced again")
        }
        let marker: BucketMarker
        switch MarkerIO.read(BucketMarker.self, path: markerPath) {
        case .missing: return (nil, nil)
        case .invalid(let why): return invalid(why)
        case .valid(let read): marker = read
        }
        guard marker.bucket == bucket else { return invalid("marker is for bucket \(marker.bucket)") }
        guard marker.inputs == relativeInputs(inputs.runs), (marker.references ?? []) == relativeInputs(inputs.references) else {
            return invalid("marker was made from other spill runs")
        }
        guard inputs.references.isEmpty || marker.join != nil else { return invalid("marker has no join output") }
        guard marker.join == nil || marker.join?.match == match?.fingerprint else { return invalid("marker was joined with other --match passes") }
        var files = [marker.output]
        if let join = marker.join { files += [join.mismatches] + join.contributions }
        guard MarkerIO.isPlainName(marker.attempt), files.allSatisfy({ MarkerIO.isPlainName($0.name) }) else {
            return invalid("marker names a file outside its attempt directory")
        }
        let attempt = directory.bucketDirectory(bucket) + "/" + marker.attempt + "/"
        for entry in files {
            if let problem = MarkerIO.problem(entry, path: attempt + entry.name, what: "output", verify: verify) { return invalid(problem) }
        }
        var output = BucketOutput(totals: MergeInput(path: attempt + marker.output.name, bucket: 0, entries: marker.output.entries))
        if let join = marker.join {
            output.mismatches = attempt + join.mismatches.name
            output.contributions = join.contributions.map { MergeInput(path: attempt + $0.name, bucket: 0, entries: $0.entries) }
            output.counts = join.counts
        }
        return (output, nil)
    }

    /// Reduces one bucket with retries and publishes its marker; returns the merged output.
    public func reduceBucket(_ bucket: Int, inputs: BucketInputs, locator: RecordLocator, table: AggregateTable,
                             encoder: LZ4FrameEncoder, fanIn: Int, retry: RetryPolicy, match: MatchSpec? = nil,
                             onRetry: (Int, SettleError) -> Void = { _, _ in }) throws -> BucketOutput {
        let taskDirectory = directory.bucketDirectory(bucket)
        return try retry.run("reduce of bucket \(bucket)", onRetry: onRetry) { attempt in
            let start = Syscalls.monotonicNanoseconds()
            let attemptDirectory = try directory.newAttempt(in: taskDirectory)
            do {
                let reducer = BucketReducer(bucket: bucket, outputPath: attemptDirectory + "/out.run")
                let (keys, info) = try reducer.reduce(inputs.runs, table: table, fanIn: fanIn, encoder: encoder,
                                                      scratchDirectory: attemptDirectory)
                var output = BucketOutput(totals: MergeInput(path: info.path, bucket: 0, entries: keys))
                var join: BucketMarker.Join?
                if !inputs.references.isEmpty {
                    let result = try JoinReducer(bucket: bucket, directory: attemptDirectory, locator: locator, match: match)
                        .join(inputs.references, table: table, fanIn: fanIn, encoder: encoder)
                    output.mismatches = result.mismatches.path
                    output.contributions = result.contributions.map { MergeInput(path: $0.path, bucket: 0, entries: $0.entries) }
                    output.counts = result.counts
                    join = BucketMarker.Join(mismatches: .init(result.mismatches), contributions: result.contributions.map(PartitionMarker.FileEntry.init),
                                             counts: result.counts, match: match?.fingerprint)
                }
                try Syscalls.fsyncDirectory(attemptDirectory)
                let marker = BucketMarker(bucket: bucket, attempt: AtomicFile.split(attemptDirectory).name, attempts: attempt,
                                          output: .init(name: "out.run", sizeBytes: info.sizeBytes, entries: keys, crc32c: info.checksum),
                                          inputs: relativeInputs(inputs.runs),
                                          references: inputs.references.isEmpty ? nil : relativeInputs(inputs.references),
                                          join: join,
                                          seconds: Double(Syscalls.monotonicNanoseconds() - start) / 1e9)
                if try MarkerIO.publishOnce(try MarkerIO.encodeChecked(marker), to: directory.bucketMarker(bucket)) {
                    return output
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
