/// Details whose roles come from other records of their entry (`roles:` in the layout): the
/// detail's bytes are copied into `assembled` with each external role field after them, context
/// fields at once, continuation fields as the continuations are read. The detail waits until a
/// record that is not a continuation (or the end of the file) and is then read from the assembled
/// record like any other; one whose continuation never came is a `missing_continuation` reject.
///
/// A detail waiting at the partition's end reads on past it (`lookAhead`), counting nothing: the
/// next partition counts and checks those continuations itself, so the outcome never depends on
/// where partitions start.
extension StructuredScanner {
    /// Starts the entry of a detail with external roles (its length already checked).
    func startEntry(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                    result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        let record = records[index]
        assembled.copyMemory(from: pointer + offset, byteCount: record.length)
        (assembled + record.length).initializeMemory(as: UInt8.self, repeating: 0x20, count: record.assembledLength - record.length)
        for external in record.externals where external.slot >= 0 {
            // The header's bytes as read: the trimmed value at its leading blanks.
            let slot = external.slot
            let leading = min(slotLeading[slot], external.length - slotLengths[slot])
            (assembled + external.targetOffset + max(0, leading))
                .copyMemory(from: context + layout.slotOffsets[slot], byteCount: min(slotLengths[slot], external.length))
        }
        for continuation in record.continuations { continuationFound[continuation] = false }
        pendingSpec = index
        pendingRef = ref
        pendingRawLength = rawLength
        if record.continuations.isEmpty { try resolvePending(result: &result, rejects: &rejects, onFull: onFull) }
    }

    /// A continuation read while a detail waits: the first of each spec the detail names gives its fields.
    func capture(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) {
        guard !continuationFound[index], records[pendingSpec].continuations.contains(index) else { return }
        continuationFound[index] = true
        for external in records[pendingSpec].externals where external.continuation == index {
            (assembled + external.targetOffset).copyMemory(from: pointer + offset + external.sourceOffset, byteCount: external.length)
        }
    }

    /// Reads the waiting detail from its assembled record, then the rejects held behind it.
    func resolvePending(result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        let index = pendingSpec
        pendingSpec = -1
        defer { heldRejects.removeAll(keepingCapacity: true) }
        let record = records[index]
        let pointer = UnsafeRawPointer(assembled)
        if let missing = record.continuations.firstIndex(where: { !continuationFound[$0] }) {
            if fileKey == nil { fileKey = -1 }
            try applyUpdates(index, pointer, offset: 0, valid: false, isDebit: false, amount: 0, fee: 0)
            try reject(.missingContinuation, spec: index, field: record.fields.count + record.externals.count + missing, ref: pendingRef,
                       rawLength: pendingRawLength, result: &result, rejects: &rejects)
        } else if let failure = RecordValidator.firstFailure(pointer, offset: 0, fields: buffers.externalFields[index]) {
            if fileKey == nil { fileKey = -1 }
            try applyUpdates(index, pointer, offset: 0, valid: false, isDebit: false, amount: 0, fee: 0)
            try reject(failure.reason, spec: index, field: failure.fieldIndex, ref: pendingRef, rawLength: pendingRawLength,
                       result: &result, rejects: &rejects)
        } else {
            try detail(index, pointer, offset: 0, ref: pendingRef, rawLength: pendingRawLength, result: &result, rejects: &rejects,
                       onFull: onFull)
        }
        for entry in heldRejects { try rejects.append(entry) }
    }

    /// The partition ended with a detail waiting: reads the records after it, as the next
    /// partition will, until one that is not a continuation or the end of the file.
    func lookAhead(result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: partition.byteEnd..<file.sizeBytes,
                                  recordLength: layout.recordLength, framing: file.framing)
        lookingAhead = true
        lookaheadDone = false
        var local = 0
        while !lookaheadDone, pendingSpec >= 0, let (offset, length) = cursor.next() {
            if length == layout.recordLength {
                try record(base, offset: offset, length: length, byteOffset: offset, rawLength: length, local: local, result: &result,
                           rejects: &rejects, onFull: onFull)
            } else {
                try physical(offset: offset, length: length, local: &local, result: &result, rejects: &rejects, onFull: onFull)
            }
        }
        lookingAhead = false
        try resolvePending(result: &result, rejects: &rejects, onFull: onFull)
    }
}
