/// Everything that defines one aggregation run. Options that change results (inputs, layouts) are
/// separate in spirit from those that change only speed (workers, memory, partition size, buckets):
/// any value of the latter gives byte-identical outputs.
public struct AggregateOptions: Sendable {
    public struct Input: Sendable, Equatable {
        /// As given on the command line; rejects and per-file figures use it verbatim.
        public var path: String
        /// A built-in layout name or a layout file path; `ledger` for a ledger file.
        public var layout: String

        public init(path: String, layout: String) {
            self.path = path
            self.layout = layout
        }

        /// A ledger file to reconcile the settlement files against (CSV, read by the job's ledger spec).
        public static func ledger(_ path: String) -> Input { Input(path: path, layout: ledgerLayout) }
        public static let ledgerLayout = "ledger"
        public var isLedger: Bool { layout == Self.ledgerLayout }
    }

    /// The ledger spec file (`--ledger-spec`); nil for the default columns.
    public var ledgerSpec: String?
    /// The layout of fixed-width ledger files (`--ledger-layout`); nil: ledgers are CSV.
    public var ledgerLayout: String?
    /// `--strict`: structured layouts reject the physical forms otherwise read with a warning.
    public var strict = false
    /// `--allow-same-input`: one file may be given twice (its records then count twice).
    public var allowSameInput = false
    /// `--excel-safe`: text cells of the CSV outputs that a spreadsheet would run as a formula get a
    /// leading `'` (see `CSVText.appendField`); numeric columns are never changed.
    public var excelSafe = false
    /// `--match`: the matching passes, loaded and checked (nil: the exact rule, outputs as always).
    public var match: MatchSpec?
    /// `--open-items DIR --as-of ...`: items carried from night to night (implies `match`, by default exact).
    public var openItems: OpenItemsOptions?
    /// `--metrics-file` (written by the CLI): checked, like every output, against the files the run reads.
    public var metricsFile: String?

    public static let defaultMemoryBytes = 1 << 30
    public static let defaultPartitionSizeBytes = 64 << 20
    public static let defaultBuckets = 16
    /// Buffers a map worker owns besides its table: LZ4 context and staging, file buffers, rejects.
    public static let workerOverheadBytes = 3 << 20

    public var inputs: [Input]
    public var outDirectory: String
    public var workDirectory: String?
    public var workers: Int
    public var memoryBytes: Int
    public var partitionSizeBytes: Int
    public var buckets: Int
    public var keepWork: Bool
    /// Discard the job directory's state and start again.
    public var restart: Bool
    public var retry: RetryPolicy
    /// `--checkpoint`: when a map worker spills its table and publishes the partitions it covers.
    public var checkpoint: CheckpointPolicy = .automatic

    public init(inputs: [Input], outDirectory: String, workDirectory: String? = nil, workers: Int? = nil,
                memoryBytes: Int = defaultMemoryBytes, partitionSizeBytes: Int = defaultPartitionSizeBytes,
                buckets: Int = defaultBuckets, keepWork: Bool = false, restart: Bool = false,
                retry: RetryPolicy = RetryPolicy()) {
        self.inputs = inputs
        self.outDirectory = outDirectory
        self.workDirectory = workDirectory
        self.workers = workers ?? Syscalls.processorCount
        self.memoryBytes = memoryBytes
        self.partitionSizeBytes = partitionSizeBytes
        self.buckets = buckets
        self.keepWork = keepWork
        self.restart = restart
        self.retry = retry
    }

    public var resolvedWorkDirectory: String { workDirectory ?? JobDirectory.defaultPath(out: outDirectory) }

    /// Memory for one map worker's table.
    public var tableBytesPerWorker: Int {
        max(0, memoryBytes - workers * Self.workerOverheadBytes) / max(1, workers)
    }

    /// Checks option values before any work starts.
    public func validate(requireInputs: Bool = true) throws {
        if requireInputs && inputs.isEmpty { throw SettleError(.usage, "no input files: give FILE... or --input PATH:LAYOUT") }
        if workers < 1 || workers > 1024 { throw SettleError(.usage, "--workers must be between 1 and 1024, got \(workers)") }
        if memoryBytes < 1 << 20 { throw SettleError(.usage, "--memory must be at least 1 MiB, got \(memoryBytes) bytes") }
        if partitionSizeBytes < 1 { throw SettleError(.usage, "--partition-size must be at least 1 byte") }
        if buckets < 1 || buckets > 65536 { throw SettleError(.usage, "--buckets must be between 1 and 65536, got \(buckets)") }
        if retry.maxAttempts < 1 { throw SettleError(.usage, "--max-attempts must be at least 1") }
    }
}
