/// The map loop for a structured layout: recognises each record (code, matches, conditions on the
/// context), keeps the context of the group and file headers in force, folds valid details into
/// the worker's table, accumulates every scope's control measures and notes physical-form warnings.
///
/// One scanner maps one partition. Its buffers (context, scratch record, measures) are allocated
/// once; per record it neither allocates nor calls through an existential or a closure.
final class StructuredScanner {
    let layout: StructuredLayout
    let records: [StructuredLayout.Record]
    let base: UnsafeRawPointer
    let partition: Partition
    let file: FilePlan
    let table: AggregateTable
    let strict: Bool
    let measureCount: Int
    /// Measures fed by every physical record (`count: [all]`), for records no spec recognises.
    let allMeasures: [Int]
    /// The layout has one logical file per physical file (its bounds come from the plan).
    let singleFile: Bool
    /// Owns `buffers` (built once per layout); held for the scanner's lifetime, never read per record.
    let tables: StructuredTables
    /// Per record spec, as plain values in the layout's buffers: the loop copies nothing reference counted.
    let buffers: StructuredTables.Buffers
    let recognizerView: UnsafeBufferPointer<StructuredLayout.Recognizer>

    typealias FlatUpdate = StructuredTables.FlatUpdate

    // Context: one flat buffer of slots, the length of each slot's (trimmed) value.
    let context: UnsafeMutablePointer<UInt8>
    let slotLengths: UnsafeMutablePointer<Int>
    /// Leading blanks of each slot's value as read (before trimming), for justification.
    let slotLeading: UnsafeMutablePointer<Int>
    let whenHolds: UnsafeMutablePointer<Bool>
    var contextVersion = 0
    let merchantCache: UnsafeMutablePointer<MerchantKey>
    let merchantCacheVersion: UnsafeMutablePointer<Int>
    let merchantCacheValid: UnsafeMutablePointer<Bool>
    /// A record padded, transcoded or cut out of a longer line.
    let scratch: UnsafeMutableRawPointer
    let scratchCapacity: Int
    let keyBuffer: UnsafeMutableRawPointer

    // Scopes.
    let groupMeasures: UnsafeMutablePointer<Int128>
    let fileMeasures: UnsafeMutablePointer<Int128>
    var groupKey: Int?
    var groupRecords = 0
    var groupHeader: StructuredPartial.RecordRef?
    var groupHeaderValues: [StructuredPartial.Declared]?
    var fileKey: Int?
    var fileClosed = false
    var fileRecords = 0
    var fileHeader: StructuredPartial.RecordRef?
    var fileTrailer: StructuredPartial.RecordRef?
    var fileTrailerValues: [StructuredPartial.Declared]?
    var lastKind: StructuredKind?
    var partial = StructuredPartial()
    var warningCounts = [Int](repeating: 0, count: StructuredWarning.allCases.count)
    var warningFirst = [[[Int]]](repeating: [], count: StructuredWarning.allCases.count)

    // Sums of valid details.
    var sums = ValidSums()

    // Reconciliation: each detail's reference goes to the worker's buffer of occurrences, as in the
    // flat loop (unretained: the worker keeps the buffer alive and the loop must not retain it).
    let references: Unmanaged<ReferenceBuffer>?
    let referenceWidth: Int
    /// A ledger in a layout: its partials are tagged and its occurrences flagged as the ledger's.
    let currencyTag: UInt32
    let sideFlag: UInt8
    let partitionPosition: UInt64
    var onReferencesFull: () throws -> Void = {}

    // Details whose roles come from other records of their entry (see StructuredScanner+Entry.swift).
    /// The waiting detail's bytes, then its external role fields.
    let assembled: UnsafeMutableRawPointer
    /// By continuation spec: read for the waiting detail.
    let continuationFound: UnsafeMutablePointer<Bool>
    var pendingSpec = -1
    var pendingRef = StructuredPartial.RecordRef(spec: 0, partition: 0, local: 0, offset: 0)
    var pendingRawLength = 0
    var heldRejects: [RejectEntry] = []
    /// Reading past the partition's end for a waiting detail's continuations: nothing is counted.
    var lookingAhead = false
    var lookaheadDone = false

    init(layout: StructuredLayout, base: UnsafeRawPointer, partition: Partition, file: FilePlan, table: AggregateTable,
         references: ReferenceBuffer? = nil) {
        self.references = references.map { Unmanaged.passUnretained($0) }
        referenceWidth = file.referenceWidth
        currencyTag = references != nil && file.isLedger ? ReconciliationTag.ledger : 0
        sideFlag = references != nil && file.isLedger ? Occurrence.ledger : 0
        partitionPosition = ReferenceKey.position(partition: partition.index, local: 0)
        self.layout = layout
        self.records = layout.records
        self.base = base
        self.partition = partition
        self.file = file
        self.table = table
        self.strict = file.strict
        measureCount = layout.measures.count
        singleFile = layout.afterTrailer != .nextFile
        let count = layout.records.count
        let tables = layout.tables
        self.tables = tables
        buffers = tables.buffers
        recognizerView = UnsafeBufferPointer(tables.buffers.recognizers)
        allMeasures = tables.allMeasures
        context = .allocate(capacity: max(1, layout.contextBytes))
        slotLengths = .allocate(capacity: max(1, layout.slotNames.count))
        slotLengths.initialize(repeating: 0, count: max(1, layout.slotNames.count))
        slotLeading = .allocate(capacity: max(1, layout.slotNames.count))
        slotLeading.initialize(repeating: 0, count: max(1, layout.slotNames.count))
        whenHolds = .allocate(capacity: max(1, layout.records.count))
        whenHolds.initialize(repeating: false, count: max(1, layout.records.count))
        merchantCache = .allocate(capacity: max(1, layout.records.count))
        merchantCache.initialize(repeating: MerchantKey(), count: max(1, layout.records.count))
        merchantCacheVersion = .allocate(capacity: max(1, layout.records.count))
        merchantCacheVersion.initialize(repeating: -1, count: max(1, layout.records.count))
        merchantCacheValid = .allocate(capacity: max(1, layout.records.count))
        merchantCacheValid.initialize(repeating: false, count: max(1, layout.records.count))
        scratchCapacity = layout.maxLength + 16
        scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
        keyBuffer = .allocate(byteCount: 64, alignment: 8)
        assembled = .allocate(byteCount: layout.maxAssembledLength + 16, alignment: 8)
        continuationFound = .allocate(capacity: count)
        continuationFound.initialize(repeating: false, count: count)
        groupMeasures = .allocate(capacity: max(1, layout.measures.count))
        groupMeasures.initialize(repeating: 0, count: max(1, layout.measures.count))
        fileMeasures = .allocate(capacity: max(1, layout.measures.count))
        fileMeasures.initialize(repeating: 0, count: max(1, layout.measures.count))
        updateWhen()
    }

    deinit {
        context.deallocate()
        slotLengths.deallocate()
        slotLeading.deallocate()
        whenHolds.deallocate()
        merchantCache.deallocate()
        merchantCacheVersion.deallocate()
        merchantCacheValid.deallocate()
        scratch.deallocate()
        keyBuffer.deallocate()
        groupMeasures.deallocate()
        fileMeasures.deallocate()
        assembled.deallocate()
        continuationFound.deallocate()
    }
}
