import Synchronization

/// A ledger that is a table of rows in key order (a database table or a read-only query, keyed by a
/// unique, non-null integer column), read as MapReduce input like a file: the plan cuts its key
/// range into ranges of about `--partition-size` worth of rows, each a partition with a marker, and
/// each map task reads its range in keyset pages (`WHERE key > last AND key <= end ORDER BY key
/// LIMIT n`), never the whole table at once. Rows go through the same `LedgerSpec` columns and
/// `LedgerValueDecoder` as a CSV ledger; a row's locator is the table's name and its key.
///
/// The engine knows tables only through these protocols; a source kind (PostgreSQL, or an in-memory
/// one in tests) registers an opener for its URL scheme with `LedgerSources.register`.
package protocol LedgerRowSource: Sendable {
    /// What `ledger_file` shows: the table's name (or `query`).
    var name: String { get }
    /// The source for messages: host, database and table (never a password).
    var display: String { get }
    /// The ledger columns read, in the order a page holds them (the spec's, without the key).
    var columns: [String] { get }
    /// Row count, key range and bytes per row, asked once at plan (and again at resume, to refuse a
    /// changed table). Throws, naming host, database and table, when a column is missing or the
    /// source cannot be reached.
    func facts() throws -> LedgerTableFacts
    /// A reader for one map worker: opened once, reused for every partition the worker maps.
    func makeReader() throws -> any LedgerRowReader
}

/// One worker's reader of a table ledger (for PostgreSQL: one connection).
package protocol LedgerRowReader: AnyObject {
    /// Fills `page` (emptied first) with at most `limit` rows whose key is in `(after, through]`,
    /// in ascending key order.
    func readPage(after: Int64, through: Int64, limit: Int, into page: inout LedgerPage) throws
    /// Releases the reader's connection; called once, when the worker is done.
    func close()
}

/// What the plan learns of a table ledger; recorded in the manifest (`Manifest.TableIdentity`).
package struct LedgerTableFacts: Sendable, Equatable {
    package var rowCount: Int
    /// The smallest and largest key; nil for an empty table.
    package var minKey: Int64?
    package var maxKey: Int64?
    /// Estimated bytes per row (for cutting ranges of about `--partition-size`).
    package var bytesPerRow: Int

    package init(rowCount: Int, minKey: Int64?, maxKey: Int64?, bytesPerRow: Int) {
        self.rowCount = rowCount
        self.minKey = minKey
        self.maxKey = maxKey
        self.bytesPerRow = bytesPerRow
    }
}

/// The rows of a table ledger whose key is in `(low, high]`.
package struct KeyRange: Sendable, Equatable, Codable {
    package var low: Int64
    package var high: Int64

    package init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}

/// One page of rows: each row's key and its fields' text, packed in one buffer that is reused page
/// after page (no allocation per row once it has grown). A NULL is an empty field.
package struct LedgerPage {
    package private(set) var bytes: [UInt8] = []
    package private(set) var keys: [Int64] = []
    /// `fields[row * columnCount + column]`, byte ranges in `bytes`.
    package private(set) var fields: [LedgerCSV.Field] = []
    package let columnCount: Int

    package init(columnCount: Int) { self.columnCount = columnCount }

    package var count: Int { keys.count }

    package mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
    }

    /// Starts a row; its `columnCount` fields follow with `appendField`.
    package mutating func appendRow(key: Int64) { keys.append(key) }

    /// The current row's next field: its text, or nil for NULL.
    package mutating func appendField(_ text: UnsafeRawBufferPointer?) {
        let start = bytes.count
        if let text { bytes.append(contentsOf: text) }
        fields.append(LedgerCSV.Field(start: start, end: bytes.count, hasEscapes: false))
    }

    package mutating func appendField(_ text: [UInt8]?) {
        guard let text else { return appendField(nil as UnsafeRawBufferPointer?) }
        text.withUnsafeBytes { appendField($0) }
    }

    /// True when every row has all its fields.
    package var isComplete: Bool { fields.count == keys.count * columnCount }
}

/// The kinds of table ledger Settle can read, by URL scheme.
package enum LedgerSources {
    /// Opens a source for `url`, reading `spec`'s columns (checked later, by `facts`).
    package typealias Opener = @Sendable (_ url: String, _ spec: LedgerSpec) throws -> any LedgerRowSource

    private static let kinds = Mutex<[(prefixes: [String], open: Opener)]>([])

    /// Registers (once per process) the opener of URLs that start with one of `prefixes`.
    package static func register(prefixes: [String], open: @escaping Opener) {
        kinds.withLock { kinds in
            kinds.removeAll { $0.prefixes == prefixes }
            kinds.append((prefixes, open))
        }
    }

    /// True when `path` is a table URL (`postgresql://...`) rather than a file.
    package static func isTable(_ path: String) -> Bool {
        path.hasPrefix("postgresql://") || path.hasPrefix("postgres://")
            || kinds.withLock { $0.contains { $0.prefixes.contains(where: path.hasPrefix) } }
    }

    package static func open(_ url: String, spec: LedgerSpec) throws -> any LedgerRowSource {
        guard let opener = kinds.withLock({ $0.first { $0.prefixes.contains(where: url.hasPrefix) }?.open }) else {
            throw SettleError(.usage, "ledger \(url.prefix { $0 != "?" && $0 != "@" })...: this settle has no reader for such a ledger URL")
        }
        return try opener(url, spec)
    }
}

/// Cuts a table ledger's key range into partitions of about `partitionSizeBytes` worth of rows,
/// assuming keys spread evenly over the range: from the facts alone, so a resume that finds the
/// same facts plans the same ranges.
package enum KeyRangePlanner {
    /// The widest range: a row's position in its partition (`key - low - 1`) has 40 bits.
    package static let maxSpan: Int64 = 1 << 40 - 1

    package static func ranges(_ facts: LedgerTableFacts, partitionSizeBytes: Int) -> [KeyRange] {
        guard facts.rowCount > 0, let minKey = facts.minKey, let maxKey = facts.maxKey, minKey >= 0, maxKey >= minKey else { return [] }
        let rowsPerPartition = max(1, partitionSizeBytes / max(1, facts.bytesPerRow))
        let partitions = (facts.rowCount + rowsPerPartition - 1) / rowsPerPartition
        let span = Int128(maxKey) - Int128(minKey) + 1
        let step = Int64(min(Int128(maxSpan), max(1, (span + Int128(partitions) - 1) / Int128(partitions))))
        var ranges: [KeyRange] = []
        var low = minKey - 1
        while low < maxKey {
            let high = maxKey - low <= step ? maxKey : low + step
            ranges.append(KeyRange(low: low, high: high))
            low = high
        }
        return ranges
    }

    /// Estimated byte offsets of each range (rows assumed spread evenly over the key range), for
    /// progress and checkpoint intervals; strictly increasing, so each partition has its own.
    package static func estimatedOffsets(_ ranges: [KeyRange], facts: LedgerTableFacts) -> [Range<Int>] {
        guard let minKey = facts.minKey, let maxKey = facts.maxKey else { return [] }
        let span = Int128(maxKey) - Int128(minKey) + 1
        let totalBytes = Int128(facts.rowCount) * Int128(max(1, facts.bytesPerRow))
        var offsets: [Range<Int>] = []
        var start = 0
        for range in ranges {
            let bytes = Int(max(1, totalBytes * (Int128(range.high) - Int128(range.low)) / span))
            offsets.append(start..<(start + bytes))
            start += bytes
        }
        return offsets
    }
}

/// A table ledger as the plan resolved it: the source, its columns as a `LedgerFile` (the header
/// names are the columns read; rejects name them) and the facts the ranges were cut from.
package struct TableLedger: Sendable {
    package var source: any LedgerRowSource
    package var ledger: LedgerFile
    package var facts: LedgerTableFacts

    /// Rows per keyset page: about 1 MiB of rows, between 256 and 8,192.
    package var pageRows: Int { max(256, min(8192, (1 << 20) / max(1, facts.bytesPerRow))) }
}

extension PartitionPlanner {
    /// A table ledger's file plan and partitions: one per key range, in key order.
    static func planTable(_ table: TableLedger, layout: CompiledLayout, partitionSizeBytes: Int,
                          files: inout [FilePlan], partitions: inout [Partition]) {
        let fileIndex = files.count
        let ranges = KeyRangePlanner.ranges(table.facts, partitionSizeBytes: partitionSizeBytes)
        let offsets = KeyRangePlanner.estimatedOffsets(ranges, facts: table.facts)
        for (range, bytes) in zip(ranges, offsets) {
            partitions.append(Partition(index: partitions.count, fileIndex: fileIndex, byteStart: bytes.lowerBound,
                                        byteEnd: bytes.upperBound, keyRange: range))
        }
        var plan = FilePlan(index: fileIndex, path: table.source.name, layout: layout, layoutName: "ledger",
                            sizeBytes: offsets.last?.upperBound ?? 0, framing: .lf, headerOffset: nil, trailerOffset: nil,
                            headerValues: [], controls: nil, fileRejects: [], ledger: table.ledger, isLedger: true,
                            referenceWidth: table.ledger.referenceWidth)
        plan.table = table
        files.append(plan)
    }
}
