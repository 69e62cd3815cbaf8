/// When a map worker that folds partition after partition into its one table spills it and
/// publishes the markers of the partitions it covers (`--checkpoint`). A kill loses at most one
/// interval of work per worker; a longer interval means fewer, fuller tables for the reduce.
public enum CheckpointPolicy: Sendable, Equatable {
    /// Half of a worker's share of the input, at least one partition and at most 1 GiB.
    case automatic
    /// After this many bytes of input since the last checkpoint.
    case bytes(Int)
    /// After this many seconds since the last checkpoint.
    case seconds(Double)
    /// Only when the worker runs out of partitions (or is stopped): a kill loses the whole map.
    case never

    /// Most input one automatic interval covers.
    static let automaticCapBytes = 1 << 30

    /// `never`, `auto`, a duration (`30s`, `500ms`, `2min`, `1h`) or a size (`256MiB`, `1G`: `M`
    /// alone is a size, as in `--memory`); nil when unreadable.
    public static func parse(_ text: String) -> CheckpointPolicy? {
        let value = String(text.filter { $0 != " " }).lowercased()
        if value == "never" { return .never }
        if value == "auto" { return .automatic }
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("min", 60.0), ("h", 3600.0)] where value.hasSuffix(suffix) {
            let number = value.dropLast(suffix.count)
            if let seconds = Double(number), seconds > 0 { return .seconds(seconds * scale) }
            return nil
        }
        if let bytes = ByteSize.parse(value), bytes > 0 { return .bytes(bytes) }
        return nil
    }

    /// The interval in bytes of input for a job of `inputBytes` on `workers` workers with
    /// partitions of `partitionBytes`; nil when the policy is not by bytes.
    func intervalBytes(inputBytes: Int, workers: Int, partitionBytes: Int) -> Int? {
        switch self {
        case .automatic:
            let half = inputBytes / max(1, 2 * workers)
            return min(Self.automaticCapBytes, max(partitionBytes, half))
        case .bytes(let bytes): return bytes
        case .seconds, .never: return nil
        }
    }

    /// Whether a checkpoint holding `bytes` of input, opened `seconds` ago, is due.
    func isDue(bytes: Int, seconds: Double, intervalBytes: Int?) -> Bool {
        if case .seconds(let limit) = self { return seconds >= limit }
        guard let intervalBytes else { return false }
        return bytes >= intervalBytes
    }
}

/// The partitions one checkpoint spilled together, as each of their markers records it. `id` is the
/// owner's attempt directory name (unique per attempt), `owner` the partition whose marker lists
/// the runs, `partitions` every member in the order mapped.
public struct CheckpointGroup: Codable, Sendable, Equatable {
    public var id: String
    public var owner: Int
    public var partitions: [Int]
}

extension Job {
    /// Drops every partition whose checkpoint is not whole: a member missing (a kill between the
    /// markers of one checkpoint), not done, or of another group. Their markers are removed, so the
    /// whole checkpoint is mapped again; returns one warning per checkpoint dropped.
    func dropIncompleteCheckpoints(_ results: inout [PartitionResult?]) -> [String] {
        var warnings: [String] = []
        var changed = true
        while changed {
            changed = false
            for index in results.indices {
                guard let group = results[index]?.checkpoint else { continue }
                let whole = group.partitions.contains(index) && group.partitions.contains(group.owner)
                    && group.partitions.allSatisfy { $0 >= 0 && $0 < results.count && results[$0]?.checkpoint == group }
                guard !whole else { continue }
                for member in group.partitions + [index] where member >= 0 && member < results.count
                    && results[member]?.checkpoint == group {
                    FileIO.unlink(directory.partitionMarker(member))
                    results[member] = nil
                }
                warnings.append("partitions \(Self.list(group.partitions)): their checkpoint is incomplete; they will be recomputed")
                changed = true
            }
        }
        return warnings
    }

    /// Whether every other member of `group` has a readable marker naming the same group (the
    /// check of one partition alone, as `settle map --partition` makes it).
    func checkpointIsWhole(_ group: CheckpointGroup, index: Int) -> Bool {
        guard group.partitions.contains(index), group.partitions.contains(group.owner) else { return false }
        return group.partitions.allSatisfy { member in
            guard member != index else { return true }
            guard member >= 0 && member < partitionCount,
                  case .valid(let marker) = MarkerIO.read(PartitionMarker.self, path: directory.partitionMarker(member))
            else { return false }
            return marker.checkpoint == group
        }
    }

    static func list(_ indexes: [Int]) -> String {
        indexes.prefix(20).map(String.init).joined(separator: ", ") + (indexes.count > 20 ? ", ..." : "")
    }
}
