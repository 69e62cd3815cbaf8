import CSettleShims

/// The map loop of a flat layout (header, detail, trailer): the detail's roles at fixed offsets.
extension MapWorker {
    /// A flat layout's detail roles and the file's bounds as plain integers, read once per partition.
    struct FlatDetailSlots {
        var recordLength: Int
        var headerOffset: Int
        var trailerOffset: Int
        var positions: [(offset: Int, length: Int)]
        /// The offset of a one-byte record-type code, or -1.
        var singleType: Int
        var detailCode: UInt64
        var merchantOffset: Int, merchantLength: Int
        var currencyOffset: Int, currencyLength: Int
        /// CurrencyCode holds its bytes big-endian from the top byte down.
        var currencyShift: UInt32
        var amountOffset: Int, amountLength: Int
        var directionOffset: Int, directionLength: Int
        var debitCode: UInt64, creditCode: UInt64
        var feeOffset: Int, feeLength: Int, hasFee: Bool
        var referenceOffset: Int, referenceLength: Int
        /// Set when the file's occurrences carry dates (`FilePlan.readsDates`) and the layout has a `date` role.
        var dateFormat: DateFormat?, dateOffset: Int

        init(_ layout: CompiledLayout, file: FilePlan) {
            recordLength = layout.recordLength
            headerOffset = file.headerOffset ?? -1
            trailerOffset = file.trailerOffset ?? Int.max
            positions = layout.typePositions
            singleType = positions.count == 1 && positions[0].length == 1 ? positions[0].offset : -1
            detailCode = layout.detail.code
            (merchantOffset, merchantLength) = (layout.merchant.offset, layout.merchant.length)
            (currencyOffset, currencyLength) = (layout.currency.offset, layout.currency.length)
            currencyShift = UInt32(8 * (CurrencyCode.capacity - currencyLength))
            (amountOffset, amountLength) = (layout.amount.offset, layout.amount.length)
            (directionOffset, directionLength) = (layout.direction.offset, layout.direction.length)
            (debitCode, creditCode) = (layout.debitCode, layout.creditCode)
            (feeOffset, feeLength, hasFee) = (layout.fee?.offset ?? 0, layout.fee?.length ?? 0, layout.fee != nil)
            (referenceOffset, referenceLength) = (layout.reference?.offset ?? 0, layout.reference?.length ?? 0)
            let date = file.readsDates ? layout.detail.field(role: .date) : nil
            dateFormat = date.flatMap { DateFormat.ofLayoutField(length: $0.length) }
            dateOffset = date?.offset ?? 0
        }
    }

    /// The hot loop. Per record: no allocation, no String, no dynamic dispatch; rejects (rare) take
    /// the slow path. `onFull` spills the table (called between records, never mid-record).
    @inline(__always)
    func scan<Mode: ScanMode>(_ mode: Mode.Type, _ bytes: UnsafeRawBufferPointer, partition: Partition, file: FilePlan,
                              result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void,
                              onReferencesFull: () throws -> Void) throws {
        guard let base = bytes.baseAddress else { return }
        // Unretained: the worker keeps the buffer alive, and the loop must not retain it per record.
        let references = self.references.map { Unmanaged.passUnretained($0) }
        let partitionPosition = ReferenceKey.position(partition: partition.index, local: 0)
        // A ledger in a layout: its records are the ledger's side (tagged partials, flagged occurrences).
        let currencyTag = Mode.reconciling && file.isLedger ? ReconciliationTag.ledger : 0
        let sideFlag = Mode.reconciling && file.isLedger ? Occurrence.ledger : 0
        let referenceWidth = file.referenceWidth
        let layout = file.layout
        let slots = FlatDetailSlots(layout, file: file)
        let recordLength = slots.recordLength, positions = slots.positions, singleType = slots.singleType
        var cursor = RecordCursor(bytes: bytes, range: partition.byteRange, recordLength: recordLength, framing: file.framing)
        var local = 0
        var sums = ValidSums()
        var pendingCount = 0
        try withUnsafeTemporaryAllocation(of: PendingRecord.self, capacity: Self.prefetchDistance) { pending in
        try layout.detail.fields.withUnsafeBufferPointer { fields in
            while let (offset, length) = cursor.next() {
                defer { local += 1 }
                let code: UInt64?
                if length != recordLength {
                    code = nil
                } else if singleType >= 0 {
                    code = UInt64(base.load(fromByteOffset: offset + singleType, as: UInt8.self))
                } else {
                    code = RecordCursor.typeCode(base, offset: offset, length: length, positions: positions)
                }
                if code == slots.detailCode && offset < slots.trailerOffset && offset != slots.headerOffset {
                    let failure = RecordValidator.firstFailure(base, offset: offset, fields: fields)
                    let direction = FieldDecoder.pack(base, offset: offset + slots.directionOffset, length: slots.directionLength)
                    if failure == nil && (direction == slots.debitCode || direction == slots.creditCode) {
                        let merchantBytes = FieldDecoder.trimmedLength(base, offset: offset + slots.merchantOffset, length: slots.merchantLength)
                        let merchant = MerchantKey.load(base, offset: offset + slots.merchantOffset, length: merchantBytes)
                        let currency = UInt32(truncatingIfNeeded: FieldDecoder.pack(base, offset: offset + slots.currencyOffset,
                                                                                    length: slots.currencyLength)) << slots.currencyShift
                        let amount = FieldDecoder.amount(base, offset: offset + slots.amountOffset, length: slots.amountLength)
                        let fee = slots.hasFee ? FieldDecoder.amount(base, offset: offset + slots.feeOffset, length: slots.feeLength) : 0
                        let isDebit = direction == slots.debitCode
                        // Prefetch this record's slot and fold the record from `prefetchDistance`
                        // records ago, whose slot is in cache by now: the table's cache misses
                        // overlap with parsing.
                        let hash = AggregateKey(merchant: merchant, currency: CurrencyCode(raw: currency | currencyTag)).hashValue64
                        settle_prefetch_write(table.slotAddress(hash: hash))
                        let position = pendingCount & (Self.prefetchDistance - 1)
                        if pendingCount >= Self.prefetchDistance {
                            if table.isFull { try onFull() }
                            table.add(pending[position])
                        }
                        pending[position] = PendingRecord(merchant: merchant, currency: currency | currencyTag, hash: hash, isDebit: isDebit,
                                                          amountMinor: amount, feeMinor: fee)
                        pendingCount &+= 1
                        if Mode.reconciling, let references {
                            let reference = ReferenceNormalizer.normalize(base, offset: offset + slots.referenceOffset,
                                                                          length: slots.referenceLength, width: referenceWidth) ?? MerchantKey()
                            let key = ReferenceKey(reference: reference, position: partitionPosition | UInt64(local))
                            let date = slots.dateFormat?.days(base, start: offset + slots.dateOffset, count: slots.dateFormat!.width)
                            let value = Occurrence(merchant: merchant, currency: currency, amount: amount,
                                                   flags: (isDebit ? 0 : Occurrence.credit) | sideFlag, date: date ?? Occurrence.noDate)
                            if !references._withUnsafeGuaranteedRef({ $0.append(key, value) }) {
                                try onReferencesFull()
                                _ = references._withUnsafeGuaranteedRef { $0.append(key, value) }
                            }
                        }
                        sums.add(isDebit: isDebit, amount: amount, fee: fee)
                        continue
                    }
                }
                try slowRecord(base, offset: offset, length: length, local: local, code: code, file: file,
                               result: &result, rejects: &rejects)
                if Mode.reconciling, sideFlag == 0 {
                    try noteRejectedReference(base, offset: offset, length: length, layout: layout,
                                              position: partitionPosition | UInt64(local), onReferencesFull: onReferencesFull)
                }
            }
        }
        try foldPending(pending, count: pendingCount, onFull: onFull)
        }
        result.records = local
        sums.add(to: &result)
    }

    /// Folds the records still pending at the end of a partition, oldest first.
    private func foldPending(_ pending: UnsafeMutableBufferPointer<PendingRecord>, count pendingCount: Int,
                             onFull: () throws -> Void) throws {
        for sequence in max(0, pendingCount - Self.prefetchDistance)..<pendingCount {
            if table.isFull { try onFull() }
            table.add(pending[sequence & (Self.prefetchDistance - 1)])
        }
    }

    /// A rejected settlement record whose reference is still readable counts for reconciliation
    /// (`settlement_rejected`).
    private func noteRejectedReference(_ base: UnsafeRawPointer, offset: Int, length: Int, layout: CompiledLayout,
                                       position: UInt64, onReferencesFull: () throws -> Void) throws {
        guard let references, let reference = rejectedReference(base, offset: offset, length: length, layout: layout) else { return }
        let key = ReferenceKey(reference: reference, position: position)
        let value = Occurrence(merchant: MerchantKey(), currency: 0, amount: 0, flags: Occurrence.rejected)
        if !references.append(key, value) {
            try onReferencesFull()
            _ = references.append(key, value)
        }
    }

    /// The reference of a rejected record that still counts for reconciliation: its record-type
    /// code is the detail's, the line holds the whole reference field and that field is valid.
    private func rejectedReference(_ base: UnsafeRawPointer, offset: Int, length: Int, layout: CompiledLayout) -> MerchantKey? {
        guard let field = layout.reference, field.offset + field.length <= length,
              layout.typePositions.allSatisfy({ $0.offset + $0.length <= length }),
              RecordCursor.typeCode(base, offset: offset, length: length, positions: layout.typePositions) == layout.detail.code
        else { return nil }
        guard [field].withUnsafeBufferPointer({ RecordValidator.firstFailure(base, offset: offset, fields: $0) == nil }) else { return nil }
        return ReferenceNormalizer.normalize(base, offset: offset + field.offset, length: field.length, width: field.length)
    }
}
