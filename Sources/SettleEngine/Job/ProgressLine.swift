/// One progress report made from a `JobProgress.Snapshot`: the figures an operator watches (partitions
/// or buckets done, records, rates, rejects, ETA), as a line of text for stderr or as fields for a
/// JSON log record. Pure: the caller supplies the clock, so tests can pin every figure.
public struct ProgressLine: Sendable, Equatable {
    /// `map`, `reduce`, `publish` (the engine's `finalize` stage), `done`, or `plan`.
    public var stage: String
    public var partitionsDone: Int
    public var partitionsTotal: Int
    public var bucketsDone: Int
    public var bucketsTotal: Int
    public var records: Int
    public var rejects: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    /// Over what this process has mapped since its map stage began; nil before then.
    public var recordsPerSecond: Double?
    public var bytesPerSecond: Double?
    /// Seconds until the map stage ends at the current byte rate; nil when unknown.
    public var etaSeconds: Double?

    public init(_ snapshot: JobProgress.Snapshot, nowNanoseconds: UInt64) {
        stage = snapshot.stage == "finalize" ? "publish" : snapshot.stage
        partitionsDone = snapshot.partitionsDone
        partitionsTotal = snapshot.partitionsTotal
        bucketsDone = snapshot.bucketsDone
        bucketsTotal = snapshot.bucketsTotal
        records = snapshot.records
        rejects = snapshot.rejects
        bytesDone = snapshot.bytesDone
        bytesTotal = snapshot.bytesTotal
        // Rates are over the map stage: after it, over the time up to its last partition.
        let end = snapshot.stage == "map" || snapshot.lastPartitionNanoseconds == 0 ? nowNanoseconds : snapshot.lastPartitionNanoseconds
        if snapshot.mapStartNanoseconds > 0 && end > snapshot.mapStartNanoseconds {
            let seconds = Double(end - snapshot.mapStartNanoseconds) / 1e9
            let bytes = Double(snapshot.bytesDone - snapshot.bytesResumed)
            recordsPerSecond = Double(snapshot.records - snapshot.recordsResumed) / seconds
            bytesPerSecond = bytes / seconds
            if snapshot.stage == "map", bytes > 0 {
                etaSeconds = Double(snapshot.bytesTotal - snapshot.bytesDone) / (bytes / seconds)
            }
        }
    }

    /// `map 12/24 partitions (50%), 5,000,000 records, 4.9M records/s, 742.0 MiB/s, 37 rejects, ETA 1s`
    public var text: String {
        var parts: [String] = []
        switch stage {
        case "map", "done":
            let percent = bytesTotal > 0 ? bytesDone * 100 / bytesTotal : 0
            parts.append("\(stage) \(partitionsDone)/\(partitionsTotal) partitions (\(percent)%)")
        case "reduce":
            parts.append("reduce \(bucketsDone)/\(bucketsTotal) buckets")
        default:
            parts.append(stage)
        }
        parts.append("\(Self.grouped(records)) records")
        if let recordsPerSecond, let bytesPerSecond {
            parts.append("\(Self.compact(recordsPerSecond)) records/s")
            parts.append("\(ByteSize.format(Int(bytesPerSecond)))/s")
        }
        parts.append("\(Self.grouped(rejects)) rejects")
        if stage == "map" { parts.append("ETA \(etaSeconds.map(Self.duration) ?? "--")") }
        return parts.joined(separator: ", ")
    }

    /// The same figures as JSON-ready fields, in a fixed order (numbers as numbers).
    public var fields: [(key: String, value: JSONLine.Value)] {
        var fields: [(key: String, value: JSONLine.Value)] = [
            ("stage", .string(stage)),
            ("partitions_done", .integer(partitionsDone)), ("partitions_total", .integer(partitionsTotal)),
            ("buckets_done", .integer(bucketsDone)), ("buckets_total", .integer(bucketsTotal)),
            ("records", .integer(records)), ("rejects", .integer(rejects)),
            ("bytes_done", .integer(bytesDone)), ("bytes_total", .integer(bytesTotal)),
        ]
        if let recordsPerSecond { fields.append(("records_per_second", .integer(Int(recordsPerSecond)))) }
        if let bytesPerSecond { fields.append(("bytes_per_second", .integer(Int(bytesPerSecond)))) }
        if let etaSeconds { fields.append(("eta_seconds", .integer(Int(etaSeconds.rounded(.up))))) }
        return fields
    }

    /// The clock `init(_:nowNanoseconds:)` expects (monotonic).
    public static func nowNanoseconds() -> UInt64 { Syscalls.monotonicNanoseconds() }

    /// 5000000 -> "5,000,000".
    public static func grouped(_ value: Int) -> String {
        (value < 0 ? "-" : "") + groupDigits(String(value.magnitude))
    }

    /// "1234567" -> "1,234,567" (digits only, no sign).
    static func groupDigits(_ digits: String) -> String {
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// 4_912_345 -> "4.9M"; 912_345 -> "912.3k"; 912 -> "912".
    static func compact(_ value: Double) -> String {
        func oneDecimal(_ x: Double) -> String {
            let tenths = Int((x * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)"
        }
        if value >= 1e9 { return oneDecimal(value / 1e9) + "G" }
        if value >= 1e6 { return oneDecimal(value / 1e6) + "M" }
        if value >= 1e3 { return oneDecimal(value / 1e3) + "k" }
        return String(Int(value.rounded()))
    }

    /// 5 -> "5s"; 65 -> "1m05s"; 3725 -> "1h02m".
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(pad(whole % 60, 2))s" }
        return "\(whole / 3600)h\(pad(whole / 60 % 60, 2))m"
    }
}
