/// One unit of map work: a byte range of one input file that starts and ends on record boundaries.
/// A safe value (no pointer): workers reach the bytes through the file's `MappedFile`.
public struct Partition: Sendable, Equatable {
    public var index: Int
    public var fileIndex: Int
    public var byteStart: Int
    public var byteEnd: Int
    /// Structured layouts: the structure in force at the first record (found by the planner).
    public var context: StructuredContext? = nil
    /// A table ledger's partition: the keys it holds (its byte range is then an estimate, for
    /// progress and checkpoint intervals).
    package var keyRange: KeyRange? = nil

    public var byteRange: Range<Int> { byteStart..<byteEnd }
    public var sizeBytes: Int { byteEnd - byteStart }
}

/// What the planner learned about one input file: framing, where its header and trailer are, and the
/// control totals its trailer declares.
public struct FilePlan: Sendable {
    public var index: Int
    /// As given on the command line.
    public var path: String
    public var layout: CompiledLayout
    public var layoutName: String
    public var sizeBytes: Int
    public var framing: Framing
    public var headerOffset: Int?
    public var trailerOffset: Int?
    /// Header fields by name (text as in the file, trimmed), for the summary.
    public var headerValues: [(name: String, value: String)]
    public var controls: Controls?
    /// Structural findings about the file as a whole (record number 0 in rejects.csv).
    public var fileRejects: [RejectReason]
    /// Set for a ledger file (reconciliation): its CSV columns. `layout` is then the settlement
    /// layout whose reference the ledger is matched on.
    public var ledger: LedgerFile? = nil
    /// True for every ledger file: CSV (`ledger` set) or fixed-width records in a layout.
    public var isLedger = false
    /// The width digit-only references are padded to: the settlement layout's reference field.
    public var referenceWidth = 0
    /// A `--match` pass needs dates: occurrences carry the `date` role (or the ledger's date column).
    public var readsDates = false
    /// `--strict`: physical forms that are otherwise read with a warning are rejects (structured layouts).
    public var strict = false
    /// Set for a file of length-prefixed messages (`MessageSpec`): its blocking and encoding as found.
    public var messages: MessageFraming? = nil
    /// Set for a ledger read from a table (`--ledger postgresql://...`): its source and columns;
    /// `ledger` is then its columns too, and `path` the table's name.
    package var table: TableLedger? = nil

    /// The control totals a trailer declares; nil fields are not in the layout or not readable.
    public struct Controls: Sendable, Equatable {
        public var count: Int128?
        public var debit: Int128?
        public var credit: Int128?
        public var fee: Int128?
        /// False when a trailer field is invalid (its figures cannot be trusted).
        public var readable: Bool
    }
}

/// The whole split: every input file's plan and the partitions in file order, then byte order.
public struct PartitionPlan: Sendable {
    public var files: [FilePlan]
    public var partitions: [Partition]
    public var partitionSizeBytes: Int
}
