/// A valid detail folded into the worker's table: its amount, direction and fee, merchant key
/// and currency, and (reconciling) its reference occurrence.
extension StructuredScanner {
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
        if hasGroupHeaders && groupKey == nil {
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
    func merchantKey(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) -> MerchantKey? {
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

    func merchantFieldIndex(_ index: Int) -> Int {
        let spec = records[index].spec
        for part in layout.records[index].merchantParts {
            if case .own(let at, _) = part, let field = spec.fields.firstIndex(where: { $0.position.offset == at }) { return field }
        }
        return -1
    }

    @inline(__always)
    func currencyCode(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) -> UInt32 {
        if let constant = constantCurrency { return constant }
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
}
