import CSettleShims

/// One worker of the map stage. Owns its aggregate table and LZ4 encoder (reused across partitions)
/// and turns one partition at a time into sorted spill runs plus a rejects file.
public final class MapWorker {
    public let id: Int
    let table: AggregateTable
    let encoder: LZ4FrameEncoder
    let bucketCount: Int
    /// Occurrences by reference, when the job reconciles against a ledger.
    let references: ReferenceBuffer?
    /// Table ledgers' readers (one connection each), by file index: opened at the worker's first
    /// partition of the table, reused for the others, closed with the worker.
    var tableReaders: [Int: any LedgerRowReader] = [:]

    /// `memoryBytes` is the worker's share for its table and, when `reconciling`, its buffer of
    /// occurrences (half each: at `--memory 256MiB` this gave fewer spills than a quarter for the
    /// table, with 100,000 merchants; same time at 1 GiB).
    public init(id: Int, memoryBytes: Int, bucketCount: Int, reconciling: Bool = false) throws {
        self.id = id
        if reconciling {
            table = AggregateTable(memoryBytes: memoryBytes / 2)
            references = ReferenceBuffer(memoryBytes: memoryBytes - memoryBytes / 2, bucketCount: bucketCount)
        } else {
            table = AggregateTable(memoryBytes: memoryBytes)
            references = nil
        }
        do {
            encoder = try LZ4FrameEncoder()
        } catch {
            throw SettleError(.io, "\(error)")
        }
        self.bucketCount = bucketCount
    }

    deinit {
        for reader in tableReaders.values { reader.close() }
    }

    public static func runPath(directory: String, sequence: Int) -> String {
        "\(directory)/s\(pad(sequence, 4)).run"
    }

    /// Runs of occurrences by reference (reconciliation).
    public static func referenceRunPath(directory: String, sequence: Int) -> String {
        "\(directory)/r\(pad(sequence, 4)).run"
    }

    /// Maps one partition into `directory` (an attempt directory of its own): parses every record
    /// in its byte range, folds valid details into the table, spills when the table is full and
    /// once at the end, and logs every reject. Everything it writes is durable when it returns.
    ///
    /// With `accumulating`, the table is not cleared first nor spilled at the end: the partition is
    /// folded into what the worker holds, runs (when the table fills) go to the checkpoint's
    /// directory, and `flush` spills at the checkpoint. The result then lists no runs.
    public func map(_ partition: Partition, file: FilePlan, mapped: MappedFile, directory: String,
                    accumulating checkpoint: SpillSink? = nil) throws -> PartitionResult {
        var result = PartitionResult(partition: partition)
        result.worker = id
        result.startNanoseconds = Syscalls.monotonicNanoseconds()
        var rejects = RejectLog(path: "\(directory)/rejects.rej")
        let sink = checkpoint ?? SpillSink(directory: directory)
        if checkpoint == nil {
            table.clear()
            references?.clear()
        }
        let onReferencesFull = { [self] () throws in try self.spillReferences(into: sink) }
        let onFull = { [self] () throws in try self.spillTable(into: sink) }
        if let table = file.table {
            try scanTable(partition, file: file, table: table, result: &result, rejects: &rejects,
                          onFull: onFull, onReferencesFull: onReferencesFull)
        } else {
        try mapped.withBytes { bytes in
            if let ledger = file.ledger {
                try scanLedger(bytes, partition: partition, file: file, ledger: ledger, result: &result, rejects: &rejects,
                               onFull: onFull, onReferencesFull: onReferencesFull)
            } else if let base = bytes.baseAddress {
                // One scanner for every layout; its plain loop when the program allows it (every
                // flat layout), with or without the reconciliation code.
                let program = file.layout.program
                let scanner = StructuredScanner(layout: program, base: base, partition: partition, file: file, table: table,
                                                references: references)
                scanner.onReferencesFull = onReferencesFull
                if let detail = program.plainDetail {
                    if references == nil {
                        try scanner.runPlain(PlainScan.self, detail: detail, result: &result, rejects: &rejects, onFull: onFull)
                    } else {
                        try scanner.runPlain(ReconcilingScan.self, detail: detail, result: &result, rejects: &rejects, onFull: onFull)
                    }
                } else if file.messages != nil {
                    try scanner.runMessages(result: &result, rejects: &rejects, onFull: onFull)
                } else {
                    try scanner.run(result: &result, rejects: &rejects, onFull: onFull)
                }
            }
            // Content identity of a settlement file (ContentDigest.swift): the blocks starting here,
            // while the pages are mapped. Ledgers are identified by their path (the job key).
            if !file.isLedger { result.contentDigests = ContentDigest.digests(of: bytes, startingIn: partition.byteRange) }
        }
        }
        if checkpoint == nil {
            try spillTable(into: sink)
            try spillReferences(into: sink)
            result.runs = sink.runs
            result.referenceRuns = sink.referenceRuns
        }
        result.rejectsPath = try rejects.finish()
        result.rejectsChecksum = result.rejectsPath == nil ? nil : rejects.checksum.value
        do {
            try Syscalls.fsyncDirectory(directory)
        } catch {
            throw SettleError(.io, "cannot fsync \(directory): \(error)")
        }
        mapped.release(partition.byteRange)
        result.endNanoseconds = Syscalls.monotonicNanoseconds()
        return result
    }

    /// How many records ahead the table slot is prefetched (a power of two).
    static let prefetchDistance = 4
}

/// Which specialisation of the map loop runs: with or without the reconciliation code.
protocol ScanMode { static var reconciling: Bool { get } }
enum PlainScan: ScanMode { static var reconciling: Bool { false } }
enum ReconcilingScan: ScanMode { static var reconciling: Bool { true } }

/// A valid detail record parsed and waiting for its (prefetched) table slot.
struct PendingRecord {
    var merchant: MerchantKey
    var currency: UInt32
    var hash: UInt64
    var isDebit: Bool
    var amountMinor: Int64
    var feeMinor: Int64
}

extension AggregateTable {
    @inline(__always)
    func add(_ record: PendingRecord) {
        add(merchant: record.merchant, currency: record.currency, hash: record.hash, isDebit: record.isDebit,
            amountMinor: record.amountMinor, feeMinor: record.feeMinor)
    }
}

/// Zero-padded decimal, for work file names that sort in order.
func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
