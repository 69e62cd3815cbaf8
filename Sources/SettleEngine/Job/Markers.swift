import Foundation

/// A partition's marker (`partitions/pNNNNNN/marker.json`): what the partition covered, what it
/// counted, and the spill runs and rejects file it produced (in its attempt directory) with their
/// sizes and CRC-32C checksums. Written last; the partition is done if and only if this file is
/// there and valid: its own checksum holds (`CheckedMarker`) and so do its files'.
public struct PartitionMarker: CheckedMarker, Sendable, Equatable {
    /// A file the marker vouches for. `crc32c` is nil only in markers of an older Settle, which are
    /// therefore never trusted.
    public struct FileEntry: Codable, Sendable, Equatable {
        public var name: String
        public var sizeBytes: Int
        public var entries: Int
        public var crc32c: UInt32?

        init(name: String, sizeBytes: Int, entries: Int, crc32c: UInt32?) {
            self.name = name
            self.sizeBytes = sizeBytes
            self.entries = entries
            self.crc32c = crc32c
        }

        init(_ run: SpillRunInfo) {
            self.init(name: AtomicFile.split(run.path).name, sizeBytes: run.sizeBytes, entries: run.entries, crc32c: run.checksum)
        }

        /// The run this entry describes, in `directory`.
        func run(in directory: String) -> SpillRunInfo {
            SpillRunInfo(path: directory + "/" + name, sizeBytes: sizeBytes, entries: entries, checksum: crc32c)
        }
    }

    public var schema = 1
    /// CRC-32C of the marker itself (see `CheckedMarker`).
    public var checksum: UInt32?
    public var partition: Int
    public var file: Int
    public var byteStart: Int
    public var byteEnd: Int
    public var attempt: String
    public var attempts: Int
    public var records: Int
    public var validDetails: Int
    public var rejected: Int
    public var rejectsByReason: [String: Int]
    public var rejects: FileEntry?
    public var runs: [FileEntry]
    /// Runs of occurrences by reference (reconciliation).
    public var referenceRuns: [FileEntry]?
    public var validDebitCount: Int
    public var validCreditCount: Int
    public var validDebit: String
    public var validCredit: String
    public var validFee: String
    public var rejectedDetails: Int
    public var readableDebitCount: Int
    public var readableCreditCount: Int
    public var readableDebit: String
    public var readableCredit: String
    public var readableFee: String
    public var unreadableAmounts: Int
    public var unreadableFees: Int
    public var worker: Int
    public var seconds: Double
    /// The external scheduler's attempt number of the task that published this marker (`settle map
    /// --scheduler-attempt N`); absent for in-process runs and in markers written before it existed.
    public var schedulerAttempt: Int?
    /// Structured layouts: the partition's scopes, declared control values and warnings.
    public var structured: StructuredPartial?
    /// The checkpoint this partition was spilled with, if any: the partition is done only when
    /// every partition of the group has its marker naming the same group (the owner's marker lists
    /// the group's runs). Absent in markers of single-partition tasks.
    public var checkpoint: CheckpointGroup?
    /// The SHA-256 (hex) of each `ContentDigest` block of the file that starts in this partition, in
    /// order; absent in markers written before content identity existed.
    public var contentBlocks: [String]?

    init(result: PartitionResult, attemptDirectory: String, attempts: Int) {
        partition = result.partition.index
        file = result.partition.fileIndex
        byteStart = result.partition.byteStart
        byteEnd = result.partition.byteEnd
        attempt = AtomicFile.split(attemptDirectory).name
        self.attempts = attempts
        records = result.records
        validDetails = result.validDetails
        rejected = result.rejected
        var reasons: [String: Int] = [:]
        for reason in RejectReason.allCases where result.rejectsByReason[Int(reason.rawValue)] > 0 {
            reasons[reason.code] = result.rejectsByReason[Int(reason.rawValue)]
        }
        rejectsByReason = reasons
        rejects = result.rejectsPath.map {
            FileEntry(name: AtomicFile.split($0).name, sizeBytes: FileIO.fileSize($0) ?? 0, entries: result.rejected,
                      crc32c: result.rejectsChecksum)
        }
        runs = result.runs.map(FileEntry.init)
        referenceRuns = result.referenceRuns.isEmpty ? nil : result.referenceRuns.map(FileEntry.init)
        validDebitCount = result.validDebitCount
        validCreditCount = result.validCreditCount
        validDebit = String(result.validDebit)
        validCredit = String(result.validCredit)
        validFee = String(result.validFee)
        rejectedDetails = result.explanation.rejectedDetails
        readableDebitCount = result.explanation.readableDebitCount
        readableCreditCount = result.explanation.readableCreditCount
        readableDebit = String(result.explanation.readableDebit)
        readableCredit = String(result.explanation.readableCredit)
        readableFee = String(result.explanation.readableFee)
        unreadableAmounts = result.explanation.unreadableAmounts
        unreadableFees = result.explanation.unreadableFees
        worker = result.worker
        seconds = Double(result.endNanoseconds - result.startNanoseconds) / 1e9
        schedulerAttempt = SchedulerAttempt.current
        structured = result.structured
        checkpoint = result.checkpoint
        contentBlocks = result.contentDigests.map(ContentDigest.hexBlocks)
    }

    /// The result this marker records, with absolute paths under `taskDirectory`.
    func result(partition: Partition, taskDirectory: String) throws -> PartitionResult {
        let attemptDirectory = taskDirectory + "/" + attempt
        var result = PartitionResult(partition: partition)
        result.records = records
        result.validDetails = validDetails
        result.rejected = rejected
        for (code, count) in rejectsByReason {
            guard let reason = RejectReason(code: code) else { throw MarkerError.invalid("unknown reason \(code)") }
            result.rejectsByReason[Int(reason.rawValue)] = count
        }
        result.rejectsPath = rejects.map { attemptDirectory + "/" + $0.name }
        result.rejectsChecksum = rejects?.crc32c
        result.runs = runs.map { $0.run(in: attemptDirectory) }
        result.referenceRuns = (referenceRuns ?? []).map { $0.run(in: attemptDirectory) }
        result.structured = structured
        result.checkpoint = checkpoint
        if let contentBlocks {
            guard let digests = ContentDigest.bytes(hexBlocks: contentBlocks) else { throw MarkerError.invalid("bad content_blocks") }
            result.contentDigests = digests
        } else {
            result.contentDigests = nil
        }
        result.validDebitCount = validDebitCount
        result.validCreditCount = validCreditCount
        result.validDebit = try Self.money(validDebit)
        result.validCredit = try Self.money(validCredit)
        result.validFee = try Self.money(validFee)
        result.explanation = RejectExplanation(
            rejectedDetails: rejectedDetails, readableDebitCount: readableDebitCount, readableCreditCount: readableCreditCount,
            readableDebit: try Self.money(readableDebit), readableCredit: try Self.money(readableCredit),
            readableFee: try Self.money(readableFee), unreadableAmounts: unreadableAmounts, unreadableFees: unreadableFees)
        result.worker = worker
        result.attempts = attempts
        // Read back from disk: a negative, huge or NaN `seconds` makes the marker invalid, not a trap.
        guard let nanoseconds = UInt64(exactly: (seconds * 1e9).rounded(.down)) else {
            throw MarkerError.invalid("bad seconds \(seconds)")
        }
        result.endNanoseconds = nanoseconds
        return result
    }

    static func money(_ text: String) throws -> Int128 {
        guard let value = Int128(text) else { throw MarkerError.invalid("bad amount '\(text)'") }
        return value
    }
}

/// A bucket's marker (`buckets/bNNNNN/marker.json`): the merged output of the bucket and the
/// spill runs it was merged from, with the CRC-32C of each file it wrote and of itself.
public struct BucketMarker: CheckedMarker, Sendable, Equatable {
    public var schema = 1
    /// CRC-32C of the marker itself (see `CheckedMarker`).
    public var checksum: UInt32?
    public var bucket: Int
    public var attempt: String
    public var attempts: Int
    public var output: PartitionMarker.FileEntry
    /// The inputs, as `pNNNNNN/attempt-.../sNNNN.run`, so a marker over other runs is not reused.
    public var inputs: [String]
    /// Runs of occurrences by reference joined (reconciliation), likewise.
    public var references: [String]?
    /// What the join wrote (reconciliation).
    public var join: Join?
    public var seconds: Double
    /// The external scheduler's attempt number (`settle reduce --scheduler-attempt N`), if any.
    public var schedulerAttempt: Int? = SchedulerAttempt.current

    public struct Join: Codable, Sendable, Equatable {
        public var mismatches: PartitionMarker.FileEntry
        public var contributions: [PartitionMarker.FileEntry]
        /// Mismatch rows per kind, in `MismatchKind` order (then matches per pass, with `--match`).
        public var counts: [Int]
        /// The `--match` passes the join ran (`MatchSpec.passFingerprint`); nil without `--match`.
        public var match: String? = nil
    }
}

/// The attempt number an external scheduler gave the task running in this context (Spark's
/// `TaskContext.attemptNumber()`, passed as `--scheduler-attempt`); recorded in the marker the task
/// publishes, and from there in `summary.json`. Nil when Settle schedules its own tasks.
public enum SchedulerAttempt {
    @TaskLocal public static var current: Int?
}

enum MarkerError: Error, CustomStringConvertible {
    case invalid(String)
    var description: String {
        switch self {
        case .invalid(let why): return why
        }
    }
}

/// A marker that carries its own CRC-32C: of its JSON encoding with `checksum` absent. A marker
/// whose checksum is missing (an older Settle) or does not match (edited, damaged) is not trusted.
protocol CheckedMarker: Codable {
    var checksum: UInt32? { get set }
}

/// Reading and publishing markers.
enum MarkerIO {
    /// What reading a marker found.
    enum Reading<T> {
        case missing
        case invalid(String)
        case valid(T)
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array(try encoder.encode(value)) + [0x0A]
    }

    /// The marker's JSON with its own checksum filled in.
    static func encodeChecked<T: CheckedMarker>(_ value: T) throws -> [UInt8] {
        var marker = value
        marker.checksum = nil
        marker.checksum = CRC32C.of(try encode(marker))
        return try encode(marker)
    }

    static func decode<T: Decodable>(_ type: T.Type, path: String) -> T? {
        guard let bytes = try? FileIO.readBytes(path: path) else { return nil }
        return decode(type, bytes: bytes)
    }

    static func decode<T: Decodable>(_ type: T.Type, bytes: [UInt8]) -> T? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(type, from: Data(bytes))
    }

    /// Reads a marker and checks its own checksum; never throws or traps on any bytes.
    static func read<T: CheckedMarker>(_ type: T.Type, path: String) -> Reading<T> {
        guard FileIO.exists(path) else { return .missing }
        guard let bytes = try? FileIO.readBytes(path: path) else { return .invalid("marker is unreadable") }
        return check(type, bytes: bytes)
    }

    static func check<T: CheckedMarker>(_ type: T.Type, bytes: [UInt8]) -> Reading<T> {
        guard let marker = decode(type, bytes: bytes) else { return .invalid("marker is unreadable") }
        guard let recorded = marker.checksum else {
            return .invalid("marker has no checksum (written by an older Settle), so its files are not trusted")
        }
        var unchecked = marker
        unchecked.checksum = nil
        guard let encoded = try? encode(unchecked), CRC32C.of(encoded) == recorded else {
            return .invalid("marker does not match its checksum (edited or damaged)")
        }
        return .valid(marker)
    }

    /// A file name within its directory: not empty, no `/`, not `.` or `..`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/")
    }

    /// Whether the file `entry` describes is there, of its size, and of its CRC-32C (read whole
    /// when `verify`); nil when it holds up, else why not. `what` names it ("spill file").
    static func problem(_ entry: PartitionMarker.FileEntry, path: String, what: String, verify: Bool) -> String? {
        guard FileIO.fileSize(path) == entry.sizeBytes else { return "\(what) \(path) is missing or has the wrong size" }
        guard verify else { return nil }
        guard let recorded = entry.crc32c else { return "\(what) \(path) has no checksum in its marker" }
        do {
            let actual = try CRC32C.ofFile(path)
            if actual != recorded {
                return "\(what) \(path) is corrupt: its CRC-32C is \(CRC32C.hex(actual)), the marker says \(CRC32C.hex(recorded))"
            }
        } catch {
            return "\(error)"
        }
        return nil
    }

    /// Writes `bytes` to a temporary name beside `path`, fsyncs it, and links it to `path` unless
    /// that exists; fsyncs the directory. Returns false when another attempt published first.
    static func publishOnce(_ bytes: [UInt8], to path: String) throws -> Bool {
        var file = try AtomicFile(path: path, mode: 0o600)
        try file.write(bytes)
        _ = try file.seal()
        let temporary = file.temporaryPath
        file.abandonAfterSeal()
        defer { Syscalls.unlink(temporary) }
        do {
            let won = try Syscalls.linkNoReplace(temporary, path)
            try Syscalls.fsyncDirectory(AtomicFile.split(path).directory)
            return won
        } catch {
            throw SettleError(.io, "cannot publish \(path): \(error)")
        }
    }
}
