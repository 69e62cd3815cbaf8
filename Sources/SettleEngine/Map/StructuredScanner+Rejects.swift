/// Rejects in `StructuredScanner`: a record's length and field checks, and its reject entry.
extension StructuredScanner {
    /// The record's length reject if it has one, else its first invalid field.
    func check(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                       lengthReject: RejectReason?, result: inout PartitionResult, rejects: inout RejectLog) throws {
        if let lengthReject {
            try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
        } else {
            try validate(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
        }
    }

    private func validate(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                          result: inout PartitionResult, rejects: inout RejectLog) throws {
        if let failure = RecordValidator.firstFailure(pointer, offset: offset, fields: buffers.fieldBuffers[index]) {
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
    func noteRejectedReference(spec: Int, byteOffset: Int, rawLength: Int, local: Int) throws {
        guard let references = references?.takeUnretainedValue(), sideFlag == 0, buffers.kinds[spec] == .detail,
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
