import CSettleShims

/// The plain loop of `StructuredScanner`: a program whose one detail reads every role at fixed
/// offsets of its own record (`StructuredLayout.plainDetail`, every flat layout). Same program,
/// same rejects as the general loop would give its exact form; specialised because it is the hot
/// path (no classification per record, no context, no scopes).
extension StructuredScanner {
    /// The plain detail's roles and the file's bounds as plain integers, read once per partition.
    struct PlainSlots {
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

        init(_ layout: StructuredLayout, detail index: Int, file: FilePlan) {
            let detail = layout.records[index]
            recordLength = layout.recordLength
            headerOffset = file.headerOffset ?? -1
            trailerOffset = file.trailerOffset ?? Int.max
            positions = detail.codeAt
            singleType = positions.count == 1 && positions[0].length == 1 ? positions[0].offset : -1
            detailCode = detail.code
            // `plainDetail` proved these are the record's own fields.
            guard case .own(let merchantOffset, let merchantLength) = detail.merchantParts[0],
                  case .own(let currencyOffset, let currencyLength) = detail.currency else { preconditionFailure("not a plain detail") }
            (self.merchantOffset, self.merchantLength) = (merchantOffset, merchantLength)
            (self.currencyOffset, self.currencyLength) = (currencyOffset, currencyLength)
            currencyShift = UInt32(8 * (CurrencyCode.capacity - currencyLength))
            let roles = detail.roles
            (amountOffset, amountLength) = (roles.amountOffset, roles.amountLength)
            (directionOffset, directionLength) = (roles.directionOffset, roles.directionLength)
            (debitCode, creditCode) = (detail.debitCodes[0], detail.creditCodes[0])
            (feeOffset, feeLength, hasFee) = (roles.feeOffset, roles.feeLength, roles.hasFee)
            (referenceOffset, referenceLength) = (roles.referenceOffset, roles.referenceLength)
            let dateIndex = file.readsDates ? detail.spec.fields.firstIndex(where: { $0.role == .date }) : nil
            let date = dateIndex.flatMap { index in detail.fields.first { $0.index == index } }
            dateFormat = date.flatMap { DateFormat.ofLayoutField(length: $0.length) }
            dateOffset = date?.offset ?? 0
        }
    }

    /// The hot loop. Per record: no allocation, no String, no dynamic dispatch; rejects (rare) take
    /// the slow path. `onFull` spills the table (called between records, never mid-record). Two
    /// specialisations: plain aggregation carries none of the reconciliation code.
    @inline(__always)
    func runPlain<Mode: ScanMode>(_ mode: Mode.Type, detail detailIndex: Int, result: inout PartitionResult, rejects: inout RejectLog,
                                  onFull: () throws -> Void) throws {
        defer { onReferencesFull = {} }
        let base = self.base
        let references = Mode.reconciling ? self.references : nil
        let partitionPosition = self.partitionPosition
        let currencyTag = Mode.reconciling ? self.currencyTag : 0
        let sideFlag = Mode.reconciling ? self.sideFlag : 0
        let referenceWidth = self.referenceWidth
        let slots = PlainSlots(layout, detail: detailIndex, file: file)
        let recordLength = slots.recordLength, positions = slots.positions, singleType = slots.singleType
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: partition.byteRange,
                                  recordLength: recordLength, framing: file.framing)
        let fields = buffers.fieldBuffers[detailIndex]
        let prefetchDistance = MapWorker.prefetchDistance
        var local = 0
        var sums = ValidSums()
        var pendingCount = 0
        try withUnsafeTemporaryAllocation(of: PendingRecord.self, capacity: prefetchDistance) { pending in
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
                        let position = pendingCount & (prefetchDistance - 1)
                        if pendingCount >= prefetchDistance {
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
                try plainReject(offset: offset, length: length, local: local, code: code, detail: detailIndex,
                                result: &result, rejects: &rejects)
                if Mode.reconciling, sideFlag == 0 {
                    try noteRejectedPlainReference(offset: offset, length: length, detail: detailIndex,
                                                   position: partitionPosition | UInt64(local))
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
        let distance = MapWorker.prefetchDistance
        for sequence in max(0, pendingCount - distance)..<pendingCount {
            if table.isFull { try onFull() }
            table.add(pending[sequence & (distance - 1)])
        }
    }
}
