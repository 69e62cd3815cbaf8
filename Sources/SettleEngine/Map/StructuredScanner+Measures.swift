/// Details, measures and controls of `StructuredScanner`: a detail folded into the table, the
/// measures of the group and file in force, and the scopes closed at their trailers.
extension StructuredScanner {
    @inline(__always)
    func detail(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef, rawLength: Int,
                        result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        if fileKey == nil { fileKey = -1 }
        let failure = RecordValidator.firstFailure(pointer, offset: offset, fields: buffers.fieldBuffers[index])
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
        let role = buffers.roles[index]
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
            let range = buffers.codeRanges[index]
            var debit = false
            for position in range.start..<(range.start + range.debits) where buffers.codes[position] == code {
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
        let range = buffers.merchantRanges[index]
        if range.fromContext && merchantCacheVersion[index] == contextVersion {
            return merchantCacheValid[index] ? merchantCache[index] : nil
        }
        var length = 0
        var valid = true
        for position in range.start..<(range.start + range.count) {
            let part = buffers.merchantParts[position]
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
        switch buffers.currencySources[index] {
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
        let range = buffers.updateRanges[index]
        for position in range.start..<(range.start + range.count) {
            let update = buffers.updates[position]
            if update.whereOffset >= 0 {
                let value = FieldDecoder.pack(pointer, offset: offset + update.whereOffset, length: update.whereLength)
                var found = false
                for at in update.whereStart..<(update.whereStart + update.whereCount) where buffers.whereValues[at] == value {
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

    func countUnrecognised() {
        if lookingAhead { return }
        if fileKey == nil && !fileClosed { fileKey = -1 }
        for measure in allMeasures {
            if groupKey != nil { groupMeasures[measure] &+= 1 }
            if fileKey != nil { fileMeasures[measure] &+= 1 }
        }
        if groupKey != nil { groupRecords += 1 }
        if fileKey != nil { fileRecords += 1 }
    }

    func closeGroup() {
        if groupKey != nil { flushGroup() }
    }

    func flushGroup(trailer: StructuredPartial.RecordRef? = nil, trailerValues: [StructuredPartial.Declared]? = nil) {
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

    func flushFile() {
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
    func declared(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, readable: Bool) -> [StructuredPartial.Declared] {
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
}
