/// Rejects of the plain loop (`StructuredScanner+Plain.swift`), as the program's exact form says:
/// everything that is not a valid detail (the planned file header and trailer, whose fields are
/// checked, and every reject), and a rejected detail's readable amount.
extension StructuredScanner {
    /// Everything that is not a valid detail: the header, the trailer, and rejects.
    func plainReject(offset: Int, length: Int, local: Int, code: UInt64?, detail: Int,
                     result: inout PartitionResult, rejects: inout RejectLog) throws {
        let isHeader = offset == file.headerOffset
        let isTrailer = offset == file.trailerOffset
        let afterTrailer = file.trailerOffset.map { offset > $0 } ?? false
        var reason: RejectReason?
        var kind: RecordKind?
        var fieldIndex = -1
        // One blank line ending the file is its end, not a record (planning warned about it).
        if length == 0 && !file.strict
            && FileShapeHints.trailingBlankLine(base, size: file.sizeBytes, framing: file.framing) == offset {
            return
        }
        if length < layout.recordLength {
            reason = .shortRecord
        } else if length > layout.recordLength {
            reason = .overlongRecord
        } else if isHeader || isTrailer {
            // The planner found them, so the program has them.
            let spec = layout.firstRecord(isHeader ? .fileHeader : .fileTrailer)!
            if let failure = RecordValidator.firstFailure(base, offset: offset, fields: buffers.fieldBuffers[spec]) {
                reason = failure.reason
                kind = records[spec].kind.flatKind
                fieldIndex = failure.fieldIndex
            }
        } else if afterTrailer {
            reason = .afterTrailer
        } else if let code, let spec = layout.record(code: code) {
            switch records[spec].kind {
            case .fileHeader: reason = .unexpectedHeader
            case .fileTrailer: reason = .unexpectedTrailer
            default:
                kind = .detail
                if let failure = RecordValidator.firstFailure(base, offset: offset, fields: buffers.fieldBuffers[spec]) {
                    reason = failure.reason
                    fieldIndex = failure.fieldIndex
                } else {
                    // Valid bytes but a direction code that is neither debit nor credit.
                    reason = .badCode
                    fieldIndex = records[spec].direction!.index
                }
            }
        } else {
            reason = .unknownRecordType
        }
        guard let reason else { return }
        result.rejected += 1
        result.rejectsByReason[Int(reason.rawValue)] += 1
        if !isHeader && !isTrailer && !afterTrailer {
            explain(offset: offset, length: length, isDetail: kind == .detail, detail: detail, into: &result.explanation)
        }
        let raw = Array(UnsafeRawBufferPointer(start: base + offset, count: min(length, RejectLog.maxRawBytes)))
        try rejects.append(RejectEntry(localRecordIndex: local, byteOffset: offset, reason: reason, recordKind: kind,
                                       fieldIndex: fieldIndex, raw: raw))
    }

    /// Adds a rejected record's still-readable amount, direction and fee (when it is a detail) to the explanation.
    private func explain(offset: Int, length: Int, isDetail: Bool, detail index: Int, into explanation: inout RejectExplanation) {
        explanation.rejectedDetails += 1
        let detail = records[index]
        func readable(_ field: CompiledLayout.Field) -> Int64? {
            guard isDetail, field.offset + field.length <= length else { return nil }
            let value = FieldDecoder.amount(base, offset: offset + field.offset, length: field.length)
            return value >= 0 ? value : nil
        }
        let field = detail.direction!
        let direction = isDetail && field.offset + field.length <= length
            ? FieldDecoder.pack(base, offset: offset + field.offset, length: field.length) : 0
        let debitCode = detail.debitCodes[0], creditCode = detail.creditCodes[0]
        if let amount = readable(detail.amount!), direction == debitCode || direction == creditCode {
            if direction == debitCode {
                explanation.readableDebitCount += 1
                explanation.readableDebit += Int128(amount)
            } else {
                explanation.readableCreditCount += 1
                explanation.readableCredit += Int128(amount)
            }
        } else {
            explanation.unreadableAmounts += 1
        }
        if let fee = detail.fee {
            if let value = readable(fee) { explanation.readableFee += Int128(value) } else { explanation.unreadableFees += 1 }
        }
    }

    /// A rejected settlement record whose reference is still readable counts for reconciliation
    /// (`settlement_rejected`): its record-type code is the detail's, the line holds the whole
    /// reference field and that field is valid.
    func noteRejectedPlainReference(offset: Int, length: Int, detail index: Int, position: UInt64) throws {
        let detail = records[index]
        guard let references = references?.takeUnretainedValue(), let field = detail.reference, field.offset + field.length <= length,
              detail.codeAt.allSatisfy({ $0.offset + $0.length <= length }),
              RecordCursor.typeCode(base, offset: offset, length: length, positions: detail.codeAt) == detail.code,
              [field].withUnsafeBufferPointer({ RecordValidator.firstFailure(base, offset: offset, fields: $0) == nil }),
              let reference = ReferenceNormalizer.normalize(base, offset: offset + field.offset, length: field.length, width: field.length)
        else { return }
        let key = ReferenceKey(reference: reference, position: position)
        let value = Occurrence(merchant: MerchantKey(), currency: 0, amount: 0, flags: Occurrence.rejected)
        if !references.append(key, value) {
            try onReferencesFull()
            _ = references.append(key, value)
        }
    }
}
