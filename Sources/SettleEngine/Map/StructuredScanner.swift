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

    // Per record spec, as plain values in buffers allocated once: the loop copies nothing reference counted.
    let recognizers: UnsafeMutableBufferPointer<StructuredLayout.Recognizer>
    let recognizerView: UnsafeBufferPointer<StructuredLayout.Recognizer>
    /// By the first byte of the record-type code: the first spec that can match (see `StructuredLayout.firstCandidate`).
    let firstCandidate: UnsafeMutablePointer<UInt8>?
    let kinds: UnsafeMutablePointer<StructuredKind>
    let lengths: UnsafeMutablePointer<Int>
    let roles: UnsafeMutablePointer<StructuredLayout.Roles>
    let fieldBuffers: UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>
    let fieldStorage: UnsafeMutableBufferPointer<CompiledLayout.Field>
    /// Direction codes: debit codes then credit codes of each record, `(start, debits, credits)`.
    let codes: UnsafeMutableBufferPointer<UInt64>
    let codeRanges: UnsafeMutablePointer<(start: Int, debits: Int, credits: Int)>
    /// Measure updates of each record, `(start, count)` into `updates`; `where` values in `whereValues`.
    let updates: UnsafeMutableBufferPointer<FlatUpdate>
    let updateRanges: UnsafeMutablePointer<(start: Int, count: Int)>
    let whereValues: UnsafeMutableBufferPointer<UInt64>
    /// Merchant key parts of each record, `(start, count, fromContext)` into `merchantParts`; currency source.
    let merchantParts: UnsafeMutableBufferPointer<StructuredLayout.Source>
    let merchantRanges: UnsafeMutablePointer<(start: Int, count: Int, fromContext: Bool)>
    let currencySources: UnsafeMutablePointer<StructuredLayout.Source>

    /// One measure update as plain values.
    struct FlatUpdate {
        enum Operation: UInt8 { case count, debit, credit, amount, net, fee, field }
        var measure: Int
        var operation: Operation
        var fieldOffset = 0, fieldLength = 0
        var whereOffset = -1, whereLength = 0, whereStart = 0, whereCount = 0
    }

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
    /// The code page's table and ISO 4217 numeric currencies (see `RecordReading`).
    let reading: RecordReading

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
    let hasExternals: UnsafeMutablePointer<Bool>
    let externalFieldStorage: UnsafeMutableBufferPointer<CompiledLayout.Field>
    let externalFieldCount: Int
    let externalFields: UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>
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
        recognizers = .allocate(capacity: count)
        _ = recognizers.initialize(from: layout.recognizers)
        recognizerView = UnsafeBufferPointer(recognizers)
        if let table = layout.firstCandidate {
            firstCandidate = .allocate(capacity: 256)
            firstCandidate!.initialize(from: table, count: 256)
        } else {
            firstCandidate = nil
        }
        kinds = .allocate(capacity: count)
        kinds.initialize(from: layout.records.map(\.kind), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(from: layout.records.map(\.length), count: count)
        roles = .allocate(capacity: count)
        roles.initialize(from: layout.records.indices.map { layout.roles($0) }, count: count)
        let allFields = layout.records.flatMap(\.fields)
        fieldStorage = .allocate(capacity: max(1, allFields.count))
        _ = fieldStorage.initialize(from: allFields)
        fieldBuffers = .allocate(capacity: count)
        var at = 0
        for (index, record) in layout.records.enumerated() {
            (fieldBuffers + index).initialize(to: UnsafeBufferPointer(rebasing: fieldStorage[at..<(at + record.fields.count)]))
            at += record.fields.count
        }
        let allCodes = layout.records.flatMap { $0.debitCodes + $0.creditCodes }
        codes = .allocate(capacity: max(1, allCodes.count))
        _ = codes.initialize(from: allCodes)
        codeRanges = .allocate(capacity: count)
        at = 0
        for (index, record) in layout.records.enumerated() {
            (codeRanges + index).initialize(to: (at, record.debitCodes.count, record.creditCodes.count))
            at += record.debitCodes.count + record.creditCodes.count
        }
        var flat: [FlatUpdate] = [], values: [UInt64] = [], ranges: [(start: Int, count: Int)] = []
        for record in layout.records {
            ranges.append((flat.count, record.updates.count))
            for update in record.updates {
                var item = FlatUpdate(measure: update.measure, operation: .count)
                switch update.operation {
                case .count: item.operation = .count
                case .debit: item.operation = .debit
                case .credit: item.operation = .credit
                case .amount: item.operation = .amount
                case .net: item.operation = .net
                case .fee: item.operation = .fee
                case .field(let offset, let length):
                    item.operation = .field
                    item.fieldOffset = offset
                    item.fieldLength = length
                }
                if update.whereOffset >= 0 {
                    item.whereOffset = update.whereOffset
                    item.whereLength = update.whereLength
                    item.whereStart = values.count
                    item.whereCount = update.whereValues.count
                    values += update.whereValues
                }
                flat.append(item)
            }
        }
        updates = .allocate(capacity: max(1, flat.count))
        _ = updates.initialize(from: flat)
        updateRanges = .allocate(capacity: count)
        updateRanges.initialize(from: ranges, count: count)
        whereValues = .allocate(capacity: max(1, values.count))
        _ = whereValues.initialize(from: values)
        let parts = layout.records.flatMap(\.merchantParts)
        merchantParts = .allocate(capacity: max(1, parts.count))
        _ = merchantParts.initialize(from: parts)
        merchantRanges = .allocate(capacity: count)
        at = 0
        for (index, record) in layout.records.enumerated() {
            (merchantRanges + index).initialize(to: (at, record.merchantParts.count, record.merchantFromContext))
            at += record.merchantParts.count
        }
        currencySources = .allocate(capacity: count)
        currencySources.initialize(from: layout.records.map(\.currency), count: count)
        allMeasures = layout.measures.indices.filter { layout.measures[$0].kinds == nil && layout.measures[$0].sum == nil }
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
        reading = RecordReading(layout: layout, capacity: scratchCapacity)
        hasExternals = .allocate(capacity: count)
        hasExternals.initialize(from: layout.records.map { !$0.externals.isEmpty }, count: count)
        let allExternal = layout.records.flatMap { $0.externals.map(\.field) }
        externalFieldStorage = .allocate(capacity: max(1, allExternal.count))
        _ = externalFieldStorage.initialize(from: allExternal)
        externalFieldCount = allExternal.count
        externalFields = .allocate(capacity: count)
        at = 0
        for (index, record) in layout.records.enumerated() {
            (externalFields + index).initialize(to: UnsafeBufferPointer(rebasing: externalFieldStorage[at..<(at + record.externals.count)]))
            at += record.externals.count
        }
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
        recognizers.deallocate()
        firstCandidate?.deallocate()
        kinds.deallocate()
        lengths.deallocate()
        roles.deallocate()
        fieldBuffers.deallocate()
        _ = fieldStorage.baseAddress.map { $0.deinitialize(count: fieldStorage.count) }
        fieldStorage.deallocate()
        codes.deallocate()
        codeRanges.deallocate()
        updates.deallocate()
        updateRanges.deallocate()
        whereValues.deallocate()
        merchantParts.deallocate()
        merchantRanges.deallocate()
        currencySources.deallocate()
        context.deallocate()
        slotLengths.deallocate()
        slotLeading.deallocate()
        whenHolds.deallocate()
        merchantCache.deallocate()
        merchantCacheVersion.deallocate()
        merchantCacheValid.deallocate()
        scratch.deallocate()
        keyBuffer.deallocate()
        reading.deallocate()
        groupMeasures.deallocate()
        fileMeasures.deallocate()
        hasExternals.deallocate()
        externalFields.deallocate()
        // Only the fields initialised (the buffer has room for one when there are none).
        _ = externalFieldStorage.baseAddress.map { $0.deinitialize(count: externalFieldCount) }
        externalFieldStorage.deallocate()
        assembled.deallocate()
        continuationFound.deallocate()
    }
}
