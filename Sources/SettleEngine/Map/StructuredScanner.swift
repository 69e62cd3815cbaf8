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

    // MARK: - The loop

    @inline(__always)
    private func classify(_ pointer: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        StructuredLayout.classify(recognizerView, firstCandidate: firstCandidate, pointer, offset: offset, length: length,
                                  whenHolds: whenHolds)
    }

    func run(result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        defer { onReferencesFull = {} }
        loadStartContext()
        var start = partition.byteStart
        var local = 0
        if start == 0 && !strict && partition.byteEnd >= 3 && base.load(as: UInt8.self) == 0xEF
            && base.load(fromByteOffset: 1, as: UInt8.self) == 0xBB && base.load(fromByteOffset: 2, as: UInt8.self) == 0xBF {
            warn(.bom, local: 0)
            start = 3
        }
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: start..<partition.byteEnd,
                                  recordLength: layout.recordLength, framing: file.framing)
        let recordLength = layout.recordLength
        while let (offset, length) = cursor.next() {
            if length == recordLength {
                try record(base, offset: offset, length: length, byteOffset: offset, rawLength: length, local: local,
                           result: &result, rejects: &rejects, onFull: onFull)
                local += 1
                continue
            }
            try physical(offset: offset, length: length, local: &local, result: &result, rejects: &rejects, onFull: onFull)
        }
        if pendingSpec >= 0 { try lookAhead(result: &result, rejects: &rejects, onFull: onFull) }
        flushGroup()
        flushFile()
        result.records = local
        sums.add(to: &result)
        for (index, warning) in StructuredWarning.allCases.enumerated() where warningCounts[index] > 0 {
            partial.warnings.append(.init(kind: warning.rawValue, count: warningCounts[index], first: warningFirst[index]))
        }
        result.structured = partial
    }

    /// A line that is not `record_length` long: another kind's length, trimmed, multi-byte, several
    /// records back to back, blank, or simply wrong (read as `StructuredLine` says).
    func physical(offset: Int, length: Int, local: inout Int, result: inout PartitionResult, rejects: inout RejectLog,
                  onFull: () throws -> Void) throws {
        let recordLength = layout.recordLength
        let spec = length > 0 ? classify(base, offset: offset, length: length, whenHolds: whenHolds) : nil
        let form = StructuredLine.form(base, offset: offset, length: length, spec: spec, layout: layout, framing: file.framing,
                                       strict: strict)
        // After the trailer of a layout that ignores what follows: whatever the line is.
        if fileClosed && layout.afterTrailer == .ignore && form != .lineEnds {
            try afterTrailer(byteOffset: offset, rawLength: length, local: local, result: &result, rejects: &rejects)
            local += 1
            return
        }
        switch form {
        case .lineEnds:
            return
        case .blank:
            if strict {
                try reject(.shortRecord, spec: -1, field: -1, byteOffset: offset, rawLength: 0, local: local, result: &result, rejects: &rejects)
            } else {
                warn(.blankLine, local: local)
            }
            local += 1
        case .multibyte(let characters):
            warn(.multibyte, local: local)
            StructuredLayout.transcode(base, offset: offset, length: length, into: scratch)
            try record(UnsafeRawPointer(scratch), offset: 0, length: characters, byteOffset: offset, rawLength: length,
                       local: local, result: &result, rejects: &rejects, onFull: onFull)
            local += 1
        case .unseparated(let count):
            warn(.unseparated, local: local)
            for piece in 0..<count {
                let at = offset + piece * recordLength
                try record(base, offset: at, length: recordLength, byteOffset: at, rawLength: recordLength, local: local,
                           result: &result, rejects: &rejects, onFull: onFull)
                local += 1
            }
        case .record:
            // Another kind's own length, overlong, or shorter than its kind (padded back by `record`).
            try record(base, offset: offset, length: length, byteOffset: offset, rawLength: length, local: local,
                       result: &result, rejects: &rejects, onFull: onFull)
            local += 1
        }
    }

    /// One record (of any length): recognised, checked against its kind's length, then handled.
    @inline(__always)
    func record(_ pointer: UnsafeRawPointer, offset: Int, length: Int, byteOffset: Int, rawLength: Int, local: Int,
                        result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        var pointer = pointer, offset = offset, length = length
        var spec = classify(pointer, offset: offset, length: length, whenHolds: whenHolds)
        // Shorter than its kind (trailing blanks trimmed), or too short even to be recognised:
        // padded back with blanks and recognised again (the padding may complete a match).
        let target = StructuredLine.padTarget(spec: spec, length: length, kindLength: spec.map { lengths[$0] } ?? 0,
                                              recordLength: layout.recordLength)
        // A record of the wrong length is rejected, but still plays its part in the structure (a
        // group header opens its group, a trailer closes it), read padded or cut to its kind's
        // length: so the structure never depends on where partitions start.
        var lengthReject: RejectReason?
        if target > 0 {
            if let padded = StructuredLine.repaired(pointer, offset: offset, length: length, target: target, layout: layout,
                                                    whenHolds: whenHolds, scratch: scratch, capacity: scratchCapacity) {
                if strict {
                    lengthReject = .shortRecord
                } else {
                    warn(.trimmed, local: local)
                }
                pointer = UnsafeRawPointer(scratch)
                offset = 0
                length = target
                spec = padded
            }
        }
        guard let index = spec else {
            if lookingAhead { return }
            countUnrecognised()
            if fileClosed, layout.afterTrailer == .ignore {
                try afterTrailer(byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result, rejects: &rejects)
                return
            }
            try reject(length < layout.recordLength ? .shortRecord : .unknownRecordType, spec: -1, field: -1, byteOffset: byteOffset,
                       rawLength: rawLength, local: local, result: &result, rejects: &rejects)
            return
        }
        // A continuation attaches to a detail, or to a continuation that did; an orphan changes nothing.
        let attached = lastKind == .detail || lastKind == .continuation
        if kinds[index] != .continuation {
            lastKind = kinds[index]
        } else if attached {
            lastKind = .continuation
        }
        if length > lengths[index] {
            lengthReject = .overlongRecord
            length = lengths[index]
        }
        let kind = kinds[index]
        // A detail waiting for its continuations: this one may hold its roles; any other kind ends it.
        if pendingSpec >= 0 {
            if kind == .continuation {
                capture(index, pointer, offset: offset)
                if lookingAhead { return }
            } else if lookingAhead {
                lookaheadDone = true
                return
            } else {
                try resolvePending(result: &result, rejects: &rejects, onFull: onFull)
            }
        }
        if fileClosed && kind != .filler && !(kind == .fileHeader && layout.afterTrailer == .nextFile) {
            try afterTrailer(byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result, rejects: &rejects, spec: index)
            return
        }
        let ref = StructuredPartial.RecordRef(spec: index, partition: partition.index, local: local, offset: byteOffset)
        // One logical file per physical file: only the planned file header and trailer are theirs.
        if singleFile && ((kind == .fileHeader && byteOffset != file.headerOffset) || (kind == .fileTrailer && byteOffset != file.trailerOffset)) {
            try count(spec: index, pointer, offset: offset)
            try reject(kind == .fileHeader ? .unexpectedHeader : .unexpectedTrailer, spec: index, field: -1, ref: ref,
                       rawLength: rawLength, result: &result, rejects: &rejects)
            return
        }
        switch kind {
        case .detail:
            if let lengthReject {
                if fileKey == nil { fileKey = -1 }
                try count(spec: index, pointer, offset: offset)
                try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
                return
            }
            if hasExternals[index] {
                try startEntry(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects,
                               onFull: onFull)
                return
            }
            try detail(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects, onFull: onFull)
        case .continuation:
            let orphan = !attached
            try count(spec: index, pointer, offset: offset)
            if let lengthReject {
                try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
            } else if orphan {
                try reject(.orphanContinuation, spec: index, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local,
                           result: &result, rejects: &rejects)
            } else {
                try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            }
        case .other:
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .filler:
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .groupHeader:
            closeGroup()
            groupKey = byteOffset
            groupHeader = ref
            clearSlots(from: 0, to: layout.groupSlotCount)
            writeContext(index, pointer, offset: offset)
            try count(spec: index, pointer, offset: offset)
            groupHeaderValues = records[index].spec.controls.isEmpty ? nil : declared(index, pointer, offset: offset, readable: lengthReject == nil)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .groupTrailer:
            if groupKey == nil && layout.hasGroupHeaders {
                try count(spec: index, pointer, offset: offset)
                try reject(lengthReject ?? .unexpectedTrailer, spec: index, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local,
                           result: &result, rejects: &rejects)
                return
            }
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            flushGroup(trailer: ref, trailerValues: declared(index, pointer, offset: offset, readable: lengthReject == nil))
        case .fileHeader:
            closeGroup()
            flushFile()
            fileKey = byteOffset
            fileClosed = false
            fileHeader = ref
            clearSlots(from: 0, to: layout.slotNames.count)
            writeContext(index, pointer, offset: offset)
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .fileTrailer:
            closeGroup()
            if fileKey == nil { fileKey = -1 }
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            fileTrailer = ref
            fileTrailerValues = declared(index, pointer, offset: offset, readable: lengthReject == nil)
            fileClosed = true
        }
    }

    // MARK: - Details

    @inline(__always)
    func detail(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                        result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        if fileKey == nil { fileKey = -1 }
        let failure = RecordValidator.firstFailure(pointer, offset: offset, fields: fieldBuffers[index])
        if let failure {
            try applyUpdates(index, pointer, offset: offset, valid: false, isDebit: false, amount: 0, fee: 0)
            try reject(failure.reason, spec: index, field: failure.fieldIndex, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
            return
        }
        if layout.hasGroupHeaders && groupKey == nil {
            try applyUpdates(index, pointer, offset: offset, valid: false, isDebit: false, amount: 0, fee: 0)
            try reject(.noGroup, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
            return
        }
        let role = roles[index]
        var amount: Int64 = 0
        var isDebit = false
        if role.hasAmount {
            if role.amountSigned {
                let value = FieldDecoder.signedAmount(pointer, offset: offset + role.amountOffset, length: role.amountLength) ?? 0
                isDebit = value < 0
                amount = value < 0 ? -value : value
            } else {
                amount = FieldDecoder.amount(pointer, offset: offset + role.amountOffset, length: role.amountLength)
            }
            amount &*= role.amountMultiplier
        }
        if role.hasDirection {
            let code = FieldDecoder.pack(pointer, offset: offset + role.directionOffset, length: role.directionLength)
            let range = codeRanges[index]
            var debit = false
            for position in range.start..<(range.start + range.debits) where codes[position] == code {
                debit = true
                break
            }
            // A negative signed amount turns the direction over.
            isDebit = role.amountSigned && isDebit ? !debit : debit
        }
        var fee: Int64 = 0
        if role.hasFee {
            if role.feeSigned {
                fee = FieldDecoder.signedAmount(pointer, offset: offset + role.feeOffset, length: role.feeLength) ?? 0
            } else {
                fee = FieldDecoder.amount(pointer, offset: offset + role.feeOffset, length: role.feeLength)
            }
            fee &*= role.feeMultiplier
        }
        guard let merchant = merchantKey(index, pointer, offset: offset) else {
            try applyUpdates(index, pointer, offset: offset, valid: false, isDebit: false, amount: 0, fee: 0)
            try reject(.badText, spec: index, field: merchantFieldIndex(index), ref: ref, rawLength: rawLength, result: &result,
                       rejects: &rejects)
            return
        }
        let currency = currencyCode(index, pointer, offset: offset)
        // Unretained: the worker keeps its table alive, and the loop must not retain it per record.
        let table = Unmanaged.passUnretained(self.table)
        if table._withUnsafeGuaranteedRef({ $0.isFull }) { try onFull() }
        table._withUnsafeGuaranteedRef {
            $0.add(merchant: merchant, currency: currency | currencyTag, isDebit: isDebit, amountMinor: amount, feeMinor: fee)
        }
        if let references {
            let reference = role.hasReference
                ? ReferenceNormalizer.normalize(pointer, offset: offset + role.referenceOffset, length: role.referenceLength,
                                                width: referenceWidth) ?? MerchantKey()
                : MerchantKey()
            let key = ReferenceKey(reference: reference, position: partitionPosition | UInt64(ref.local))
            let value = Occurrence(merchant: merchant, currency: currency, amount: amount, flags: (isDebit ? 0 : Occurrence.credit) | sideFlag)
            if !references._withUnsafeGuaranteedRef({ $0.append(key, value) }) {
                try onReferencesFull()
                _ = references._withUnsafeGuaranteedRef { $0.append(key, value) }
            }
        }
        sums.add(isDebit: isDebit, amount: amount, fee: fee)
        try applyUpdates(index, pointer, offset: offset, valid: true, isDebit: isDebit, amount: amount, fee: fee)
    }

    /// The merchant key: parts trimmed, empty parts dropped, joined with `|`. Nil when longer than a key holds.
    @inline(__always)
    private func merchantKey(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) -> MerchantKey? {
        let range = merchantRanges[index]
        if range.fromContext && merchantCacheVersion[index] == contextVersion {
            return merchantCacheValid[index] ? merchantCache[index] : nil
        }
        var length = 0
        var valid = true
        for position in range.start..<(range.start + range.count) {
            let part = merchantParts[position]
            let bytes: UnsafeRawPointer
            var start: Int, count: Int
            switch part {
            case .own(let at, let fieldLength):
                bytes = pointer
                (start, count) = Self.trimmed(pointer, offset: offset + at, length: fieldLength)
            case .context(let slot):
                bytes = UnsafeRawPointer(context)
                start = layout.slotOffsets[slot]
                count = slotLengths[slot]
            case .missing:
                continue
            }
            if count == 0 { continue }
            if length > 0 {
                if length >= MerchantKey.capacity { valid = false; break }
                keyBuffer.storeBytes(of: StructuredSpec.merchantSeparator, toByteOffset: length, as: UInt8.self)
                length += 1
            }
            if length + count > MerchantKey.capacity {
                valid = false
                break
            }
            keyBuffer.advanced(by: length).copyMemory(from: bytes + start, byteCount: count)
            length += count
        }
        let key = valid ? MerchantKey.load(UnsafeRawPointer(keyBuffer), offset: 0, length: length) : nil
        if range.fromContext {
            merchantCacheVersion[index] = contextVersion
            merchantCacheValid[index] = valid
            if let key { merchantCache[index] = key }
        }
        return key
    }

    private func merchantFieldIndex(_ index: Int) -> Int {
        let spec = records[index].spec
        for part in layout.records[index].merchantParts {
            if case .own(let at, _) = part, let field = spec.fields.firstIndex(where: { $0.position.offset == at }) { return field }
        }
        return -1
    }

    @inline(__always)
    private func currencyCode(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) -> UInt32 {
        if let constant = layout.constantCurrency { return constant }
        let bytes: UnsafeRawPointer
        let start: Int, count: Int
        switch currencySources[index] {
        case .own(let at, let length):
            bytes = pointer
            (start, count) = Self.trimmed(pointer, offset: offset + at, length: min(length, CurrencyCode.capacity))
        case .context(let slot):
            bytes = UnsafeRawPointer(context)
            start = layout.slotOffsets[slot]
            count = min(slotLengths[slot], CurrencyCode.capacity)
        case .missing:
            return 0
        }
        guard count > 0 else { return 0 }
        return UInt32(truncatingIfNeeded: FieldDecoder.pack(bytes, offset: start, length: count)) << UInt32(8 * (CurrencyCode.capacity - count))
    }

    // MARK: - Measures and scopes

    /// Adds a record to the measures of the group and file in force.
    @inline(__always)
    func applyUpdates(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, valid: Bool, isDebit: Bool, amount: Int64,
                              fee: Int64) throws {
        let inGroup = groupKey != nil
        if fileKey == nil { fileKey = -1 }
        if inGroup { groupRecords += 1 }
        fileRecords += 1
        let range = updateRanges[index]
        for position in range.start..<(range.start + range.count) {
            let update = updates[position]
            if update.whereOffset >= 0 {
                let value = FieldDecoder.pack(pointer, offset: offset + update.whereOffset, length: update.whereLength)
                var found = false
                for at in update.whereStart..<(update.whereStart + update.whereCount) where whereValues[at] == value {
                    found = true
                    break
                }
                if !found { continue }
            }
            let delta: Int128
            switch update.operation {
            case .count: delta = 1
            case .debit:
                guard valid && isDebit else { continue }
                delta = Int128(amount)
            case .credit:
                guard valid && !isDebit else { continue }
                delta = Int128(amount)
            case .amount:
                guard valid else { continue }
                delta = Int128(amount)
            case .net:
                guard valid else { continue }
                delta = isDebit ? -Int128(amount) : Int128(amount)
            case .fee:
                guard valid else { continue }
                delta = Int128(fee)
            case .field:
                let at = offset + update.fieldOffset
                if update.fieldLength <= 18 {
                    let value = FieldDecoder.amount(pointer, offset: at, length: update.fieldLength)
                    guard value >= 0 else { continue }
                    delta = Int128(value)
                } else {
                    guard FieldDecoder.isDigits(pointer, offset: at, length: update.fieldLength) else { continue }
                    delta = PartitionPlanner.digitsValue(pointer, offset: at, length: update.fieldLength)
                }
            }
            if inGroup { groupMeasures[update.measure] &+= delta }
            fileMeasures[update.measure] &+= delta
        }
    }

    @inline(__always)
    func count(spec index: Int, _ pointer: UnsafeRawPointer, offset: Int) throws {
        try applyUpdates(index, pointer, offset: offset, valid: false, isDebit: false, amount: 0, fee: 0)
    }

    private func countUnrecognised() {
        if lookingAhead { return }
        if fileKey == nil && !fileClosed { fileKey = -1 }
        for measure in allMeasures {
            if groupKey != nil { groupMeasures[measure] &+= 1 }
            if fileKey != nil { fileMeasures[measure] &+= 1 }
        }
        if groupKey != nil { groupRecords += 1 }
        if fileKey != nil { fileRecords += 1 }
    }

    private func closeGroup() {
        if groupKey != nil { flushGroup() }
    }

    private func flushGroup(trailer: StructuredPartial.RecordRef? = nil, trailerValues: [StructuredPartial.Declared]? = nil) {
        guard let key = groupKey else { return }
        partial.scopes.append(.init(isFile: false, key: key, measures: (0..<measureCount).map { String(groupMeasures[$0]) },
                                    header: groupHeader, headerValues: groupHeaderValues, trailer: trailer,
                                    trailerValues: trailerValues, records: groupRecords))
        for index in 0..<measureCount { groupMeasures[index] = 0 }
        groupKey = nil
        groupHeader = nil
        groupHeaderValues = nil
        groupRecords = 0
    }

    private func flushFile() {
        guard let key = fileKey else { return }
        if fileRecords > 0 || fileHeader != nil || fileTrailer != nil {
            partial.scopes.append(.init(isFile: true, key: key, measures: (0..<measureCount).map { String(fileMeasures[$0]) },
                                        header: fileHeader, headerValues: nil, trailer: fileTrailer, trailerValues: fileTrailerValues,
                                        records: fileRecords))
        }
        for index in 0..<measureCount { fileMeasures[index] = 0 }
        fileKey = nil
        fileHeader = nil
        fileTrailer = nil
        fileTrailerValues = nil
        fileRecords = 0
    }

    /// The values a record's controls declare, read from its fields; none when the record has the
    /// wrong length (`readable` false): its checks then fail as unreadable.
    private func declared(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, readable: Bool) -> [StructuredPartial.Declared] {
        let spec = records[index].spec
        guard readable else { return spec.controls.map { _ in .init(value: nil, other: nil) } }
        return spec.controls.map { control in
            guard let field = spec.fields.first(where: { $0.name == control.field }) else { return .init(value: nil, other: nil) }
            let at = offset + field.position.offset, length = field.position.length
            if case .equals(let name) = control.measure {
                let (start, count) = Self.trimmed(pointer, offset: at, length: length)
                let own = String(decoding: UnsafeRawBufferPointer(start: pointer + start, count: count), as: UTF8.self)
                var other: String?
                var justified = false
                if let slot = layout.slotNames.prefix(layout.groupSlotCount).firstIndex(of: name) {
                    other = String(decoding: UnsafeRawBufferPointer(start: context + layout.slotOffsets[slot], count: slotLengths[slot]),
                                   as: UTF8.self)
                    justified = other == own && count > 0 && slotLeading[slot] != start - at
                }
                return .init(value: own, other: other, justified: justified)
            }
            switch field.type {
            case .signedAmount:
                return .init(value: FieldDecoder.signedAmount(pointer, offset: at, length: length).map { String($0) }, other: nil)
            default:
                guard FieldDecoder.isDigits(pointer, offset: at, length: length) else { return .init(value: nil, other: nil) }
                return .init(value: String(PartitionPlanner.digitsValue(pointer, offset: at, length: length)), other: nil)
            }
        }
    }

    // MARK: - Context

    /// Loads the file and group headers in force at the partition's start (read, not counted: the
    /// partition that holds them counts them).
    private func loadStartContext() {
        guard let start = partition.context else { return }
        lastKind = start.previousKind
        if let offset = start.fileHeader {
            let (at, length) = recordAt(offset)
            loadHeader(at: at, length: length, kind: .fileHeader)
            fileKey = offset
            fileClosed = start.fileClosed
        } else if start.fileClosed {
            fileKey = -1
            fileClosed = true
        }
        if let offset = start.groupHeader {
            let (at, length) = recordAt(offset)
            loadHeader(at: at, length: length, kind: .groupHeader)
            if start.groupOpen { groupKey = offset }
        }
    }

    private func loadHeader(at offset: Int, length: Int, kind: StructuredKind) {
        var pointer = base, start = offset
        if length < layout.recordLength {
            StructuredLine.pad(base, offset: offset, length: length, to: layout.recordLength, scratch: scratch, capacity: scratchCapacity)
            pointer = UnsafeRawPointer(scratch)
            start = 0
        }
        let size = max(length, layout.recordLength)
        guard let index = classify(pointer, offset: start, length: size, whenHolds: whenHolds),
              kinds[index] == kind else { return }
        if kind == .fileHeader { clearSlots(from: 0, to: layout.slotNames.count) } else { clearSlots(from: 0, to: layout.groupSlotCount) }
        writeContext(index, pointer, offset: start)
    }

    private func recordAt(_ offset: Int) -> (Int, Int) {
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: offset..<file.sizeBytes,
                                  recordLength: layout.recordLength, framing: file.framing)
        return cursor.next() ?? (offset, 0)
    }

    private func clearSlots(from: Int, to: Int) {
        for slot in from..<to { slotLengths[slot] = 0 }
    }

    private func writeContext(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) {
        for write in records[index].contextWrites {
            let (start, count) = Self.trimmed(pointer, offset: offset + write.offset, length: write.length)
            (context + layout.slotOffsets[write.slot]).update(from: pointer.advanced(by: start).assumingMemoryBound(to: UInt8.self), count: count)
            slotLengths[write.slot] = count
            slotLeading[write.slot] = start - (offset + write.offset)
        }
        contextVersion += 1
        updateWhen()
    }

    private func updateWhen() {
        guard layout.usesWhen else { return }
        for (index, record) in records.enumerated() where record.whenSlot >= 0 {
            let slot = record.whenSlot
            let value = UnsafeBufferPointer(start: context + layout.slotOffsets[slot], count: slotLengths[slot])
            whenHolds[index] = record.whenValues.contains { $0.elementsEqual(value) }
        }
    }

    // MARK: - Physical forms

    /// `spec`: the kind the record was recognised as, if any (a detail's reference still counts).
    private func afterTrailer(byteOffset: Int, rawLength: Int, local: Int, result: inout PartitionResult, rejects: inout RejectLog,
                              spec: Int = -1) throws {
        if lookingAhead { return }
        if layout.afterTrailer == .ignore && !strict {
            warn(.afterTrailer, local: local)
            return
        }
        try reject(.afterTrailer, spec: -1, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result,
                   rejects: &rejects)
        if spec >= 0 { try noteRejectedReference(spec: spec, byteOffset: byteOffset, rawLength: rawLength, local: local) }
    }

    private func warn(_ warning: StructuredWarning, local: Int) {
        if lookingAhead { return }
        let index = StructuredWarning.allCases.firstIndex(of: warning)!
        warningCounts[index] += 1
        if warningFirst[index].count < StructuredPartial.warningPositions { warningFirst[index].append([partition.index, local]) }
    }

    static func trimmed(_ pointer: UnsafeRawPointer, offset: Int, length: Int) -> (start: Int, count: Int) {
        var start = offset, end = offset + length
        while start < end && pointer.load(fromByteOffset: start, as: UInt8.self) == 0x20 { start += 1 }
        while end > start && pointer.load(fromByteOffset: end - 1, as: UInt8.self) == 0x20 { end -= 1 }
        return (start, end - start)
    }

    // MARK: - Rejects

    /// The record's length reject if it has one, else its first invalid field.
    private func check(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                       lengthReject: RejectReason?, result: inout PartitionResult, rejects: inout RejectLog) throws {
        if let lengthReject {
            try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
        } else {
            try validate(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
        }
    }

    private func validate(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                          result: inout PartitionResult, rejects: inout RejectLog) throws {
        if let failure = RecordValidator.firstFailure(pointer, offset: offset, fields: fieldBuffers[index]) {
            try reject(failure.reason, spec: index, field: failure.fieldIndex, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
        }
    }

    func reject(_ reason: RejectReason, spec: Int, field: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                        result: inout PartitionResult, rejects: inout RejectLog) throws {
        try reject(reason, spec: spec, field: field, byteOffset: ref.offset, rawLength: rawLength, local: ref.local, result: &result,
                   rejects: &rejects)
    }

    func reject(_ reason: RejectReason, spec: Int, field: Int, byteOffset: Int, rawLength: Int, local: Int,
                        result: inout PartitionResult, rejects: inout RejectLog) throws {
        if lookingAhead { return }
        result.rejected += 1
        result.rejectsByReason[Int(reason.rawValue)] += 1
        let raw = Array(UnsafeRawBufferPointer(start: base + byteOffset, count: min(rawLength, RejectLog.maxRawBytes)))
        var entry = RejectEntry(localRecordIndex: local, byteOffset: byteOffset, reason: reason, recordKind: nil, fieldIndex: field, raw: raw)
        entry.specIndex = spec
        // Rejects stay in byte order: those after a waiting detail wait for it.
        if pendingSpec >= 0 { heldRejects.append(entry) } else { try rejects.append(entry) }
        if spec >= 0 { try noteRejectedReference(spec: spec, byteOffset: byteOffset, rawLength: rawLength, local: local) }
    }

    /// A rejected detail whose reference can still be read from its line (the whole field there and
    /// valid): an occurrence that matches nothing but turns a ledger row's `missing_in_settlement`
    /// into `settlement_rejected`, as in the flat loop. Ledger records never count so.
    private func noteRejectedReference(spec: Int, byteOffset: Int, rawLength: Int, local: Int) throws {
        guard let references = references?.takeUnretainedValue(), sideFlag == 0, kinds[spec] == .detail,
              let field = records[spec].reference, field.offset + field.length <= rawLength,
              [field].withUnsafeBufferPointer({ RecordValidator.firstFailure(base, offset: byteOffset, fields: $0) == nil }),
              let reference = ReferenceNormalizer.normalize(base, offset: byteOffset + field.offset, length: field.length,
                                                            width: referenceWidth)
        else { return }
        let key = ReferenceKey(reference: reference, position: partitionPosition | UInt64(local))
        let value = Occurrence(merchant: MerchantKey(), currency: 0, amount: 0, flags: Occurrence.rejected)
        if !references.append(key, value) {
            try onReferencesFull()
            _ = references.append(key, value)
        }
    }
}
