/// The map stage over a ledger partition: CSV rows parsed straight from the mapped bytes, each valid
/// row folded into the table (tagged as the ledger's side, for reconciliation.csv) and emitted as
/// an occurrence of its reference; bad rows are rejects with their line and column.
extension MapWorker {
    /// Why a ledger value is not usable, as a reject reason and the role of its column.
    struct LedgerFailure: Error {
        var reason: RejectReason
        var role: Int
    }

    func scanLedger(_ bytes: UnsafeRawBufferPointer, partition: Partition, file: FilePlan, ledger: LedgerFile,
                    result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void,
                    onReferencesFull: () throws -> Void) throws {
        guard let base = bytes.baseAddress, let buffer = references else { return }
        // Unretained: the worker keeps the buffer alive, and the loop must not retain it per row.
        let references = Unmanaged.passUnretained(buffer)
        let decoder = LedgerValueDecoder(spec: ledger.spec, referenceWidth: ledger.referenceWidth, readsDates: file.readsDates)
        let partitionPosition = ReferenceKey.position(partition: partition.index, local: 0)
        let headerCount = ledger.header.count
        var at = partition.byteStart
        var line = 0
        let end = partition.byteEnd
        if at < ledger.dataStart {
            // The first partition holds the header row (and a BOM): counted as lines, not rows.
            line = ledger.headerLines
            at = ledger.dataStart
        }
        var fold = LedgerFold()
        try ledger.columns.withUnsafeBufferPointer { columns in
        try withUnsafeTemporaryAllocation(of: LedgerCSV.Field.self, capacity: columns.count) { fields in
            while at < end {
                for index in 0..<fields.count { fields[index] = LedgerCSV.Field() }
                let row = LedgerCSV.row(base, start: at, limit: end, delimiter: ledger.spec.delimiter, columns: columns, fields: fields)
                let rowStart = at, rowLine = line
                at = row.end
                line += row.lines
                if row.status == .blank { continue }
                var failure: LedgerFailure?
                if row.status == .malformed || row.columnCount != headerCount {
                    failure = LedgerFailure(reason: .badRow, role: -1)
                } else {
                    switch decoder.decode(base, fields: UnsafeBufferPointer(fields)) {
                    case .success(let value):
                        try foldLedgerRow(value, position: partitionPosition | UInt64(rowLine), references: references, fold: &fold,
                                          onFull: onFull, onReferencesFull: onReferencesFull)
                    case .failure(let error):
                        failure = error
                    }
                }
                if let failure {
                    var rawEnd = row.end
                    while rawEnd > rowStart, base.load(fromByteOffset: rawEnd - 1, as: UInt8.self) == 0x0A
                            || base.load(fromByteOffset: rawEnd - 1, as: UInt8.self) == 0x0D { rawEnd -= 1 }
                    let raw = Array(UnsafeRawBufferPointer(start: base + rowStart, count: min(rawEnd - rowStart, RejectLog.maxRawBytes)))
                    try rejectLedgerRow(failure, local: rowLine, byteOffset: rowStart, raw: raw, result: &result, rejects: &rejects)
                }
            }
        }
        }
        result.records = line
        fold.finish(into: &result)
    }

    /// Folds one valid ledger row into the table (tagged as the ledger's side) and emits it as an
    /// occurrence of its reference at `position`.
    @inline(__always)
    func foldLedgerRow(_ value: LedgerValueDecoder.Value, position: UInt64, references: Unmanaged<ReferenceBuffer>, fold: inout LedgerFold,
                       onFull: () throws -> Void, onReferencesFull: () throws -> Void) throws {
        if table.isFull { try onFull() }
        table.add(merchant: value.merchant, currency: value.currency | ReconciliationTag.ledger, isDebit: !value.isCredit,
                  amountMinor: value.amount, feeMinor: 0)
        let key = ReferenceKey(reference: value.reference, position: position)
        let occurrence = Occurrence(merchant: value.merchant, currency: value.currency, amount: value.amount,
                                    flags: Occurrence.ledger | (value.isCredit ? Occurrence.credit : 0), date: value.date)
        if !references._withUnsafeGuaranteedRef({ $0.append(key, occurrence) }) {
            try onReferencesFull()
            _ = references._withUnsafeGuaranteedRef { $0.append(key, occurrence) }
        }
        fold.validRows += 1
        if value.isCredit {
            fold.creditCount += 1
            fold.creditSum += Int128(value.amount)
        } else {
            fold.debitCount += 1
            fold.debitSum += Int128(value.amount)
        }
    }

    /// Logs a ledger row that is not usable (slow path).
    func rejectLedgerRow(_ failure: LedgerFailure, local: Int, byteOffset: Int, raw: [UInt8], result: inout PartitionResult,
                         rejects: inout RejectLog) throws {
        result.rejected += 1
        result.rejectsByReason[Int(failure.reason.rawValue)] += 1
        try rejects.append(RejectEntry(localRecordIndex: local, byteOffset: byteOffset, reason: failure.reason,
                                       recordKind: nil, fieldIndex: failure.role, raw: raw))
    }
}

/// The valid rows of a ledger partition: counts and sums by direction.
struct LedgerFold {
    var validRows = 0, debitCount = 0, creditCount = 0
    var debitSum: Int128 = 0, creditSum: Int128 = 0

    func finish(into result: inout PartitionResult) {
        result.validDetails += validRows
        result.validDebitCount += debitCount
        result.validCreditCount += creditCount
        result.validDebit += debitSum
        result.validCredit += creditSum
    }
}

/// Low byte of a currency key in the aggregate table: which side of reconciliation a partial
/// belongs to. Settlement totals use 0, so totals.csv is unchanged; reconciliation needs currency
/// codes of at most 3 bytes (ISO 4217), leaving the fourth for the tag. Tags sort after the plain
/// key, so one merchant/currency's partials arrive together in the final merge.
public enum ReconciliationTag {
    public static let ledger: UInt32 = 1
    /// Settled occurrences that are not in a matched pair (in a mismatch row instead): matched is
    /// settled minus these, so matching pairs, the vast majority, cost nothing in the join.
    public static let unmatchedSettled: UInt32 = 2
    public static let mismatch: UInt32 = 3
}

/// Turns a ledger row's fields into a reference, merchant, currency, direction and amount.
struct LedgerValueDecoder {
    struct Value {
        var reference: MerchantKey
        var merchant: MerchantKey
        var currency: UInt32
        var amount: Int64
        var isCredit: Bool
        var date: Int32
    }

    let spec: LedgerSpec
    let referenceWidth: Int
    let debitWords: [UInt64]
    let creditWords: [UInt64]

    /// False when the spec has no reference column.
    let hasReference: Bool
    /// The date column's format, when a `--match` pass needs dates and the spec names the column.
    let dateFormat: DateFormat?

    init(spec: LedgerSpec, referenceWidth: Int, readsDates: Bool = false) {
        self.spec = spec
        self.referenceWidth = referenceWidth
        hasReference = spec.columns[LedgerSpec.Role.reference.rawValue] != nil
        dateFormat = readsDates && spec.columns[LedgerSpec.Role.date.rawValue] != nil ? spec.dateFormat : nil
        debitWords = spec.debitWords.map { FieldDecoder.pack(Array($0.utf8.prefix(8))) }
        creditWords = spec.creditWords.map { FieldDecoder.pack(Array($0.utf8.prefix(8))) }
    }

    /// Trims spaces off a field.
    @inline(__always)
    static func trimmed(_ base: UnsafeRawPointer, _ field: LedgerCSV.Field) -> (start: Int, count: Int) {
        var start = field.start, end = field.end
        while start < end && base.load(fromByteOffset: start, as: UInt8.self) == 0x20 { start += 1 }
        while end > start && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x20 { end -= 1 }
        return (start, end - start)
    }

    func decode(_ base: UnsafeRawPointer, fields: UnsafeBufferPointer<LedgerCSV.Field>) -> Result<Value, MapWorker.LedgerFailure> {
        typealias Role = LedgerSpec.Role
        func fail(_ reason: RejectReason, _ role: Role) -> Result<Value, MapWorker.LedgerFailure> {
            .failure(MapWorker.LedgerFailure(reason: reason, role: role.rawValue))
        }
        // Reference.
        let referenceField = fields[Role.reference.rawValue]
        let reference: MerchantKey
        if hasReference {
            if referenceField.hasEscapes {
                return fail(.badText, .reference)
            }
            let trimmedReference = Self.trimmed(base, referenceField)
            if trimmedReference.count == 0 { return fail(.blankField, .reference) }
            guard let normalized = ReferenceNormalizer.normalize(base, offset: referenceField.start,
                                                                 length: referenceField.end - referenceField.start, width: referenceWidth),
                  FieldDecoder.isText(base, offset: trimmedReference.start, length: trimmedReference.count) else {
                return fail(.badText, .reference)
            }
            reference = normalized
        } else {
            // A ledger without references (`columns.reference: null`): every row is a leftover for
            // the `--match` passes keyed on other fields.
            reference = MerchantKey()
        }
        // Merchant: text of at most 32 bytes.
        let merchantField = fields[Role.merchant.rawValue]
        let merchant = Self.trimmed(base, merchantField)
        if merchant.count == 0 { return fail(.blankField, .merchant) }
        guard merchant.count <= MerchantKey.capacity, !merchantField.hasEscapes,
              FieldDecoder.isText(base, offset: merchant.start, length: merchant.count) else { return fail(.badText, .merchant) }
        // Currency: three letters or digits, letters upper-cased.
        let currencyField = Self.trimmed(base, fields[Role.currency.rawValue])
        if currencyField.count == 0 { return fail(.blankField, .currency) }
        guard currencyField.count == 3 else { return fail(.badCode, .currency) }
        var currency: UInt32 = 0
        for index in 0..<3 {
            var byte = base.load(fromByteOffset: currencyField.start + index, as: UInt8.self)
            if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
            guard (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) else { return fail(.badCode, .currency) }
            currency |= UInt32(byte) << UInt32(24 - 8 * index)
        }
        // Amount, and with it the direction when amounts are signed.
        let amountField = Self.trimmed(base, fields[Role.amount.rawValue])
        if amountField.count == 0 { return fail(.blankField, .amount) }
        guard let (amount, negative) = parseAmount(base, start: amountField.start, count: amountField.count,
                                                   scale: spec.decimalAmounts ? CurrencyExponent.of(raw: currency) : 0) else {
            return fail(.badAmount, .amount)
        }
        let isCredit: Bool
        if spec.signed {
            isCredit = negative
        } else {
            if negative { return fail(.badAmount, .amount) }
            let directionField = Self.trimmed(base, fields[Role.direction.rawValue])
            if directionField.count == 0 { return fail(.blankField, .direction) }
            guard directionField.count <= 8 else { return fail(.badCode, .direction) }
            var word: UInt64 = 0
            for index in 0..<directionField.count {
                var byte = base.load(fromByteOffset: directionField.start + index, as: UInt8.self)
                if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
                word = word << 8 | UInt64(byte)
            }
            if debitWords.contains(word) {
                isCredit = false
            } else if creditWords.contains(word) {
                isCredit = true
            } else {
                return fail(.badCode, .direction)
            }
        }
        var date = Occurrence.noDate
        if let dateFormat {
            let dateField = Self.trimmed(base, fields[Role.date.rawValue])
            if dateField.count == 0 { return fail(.blankField, .date) }
            guard let days = dateFormat.days(base, start: dateField.start, count: dateField.count) else { return fail(.badDate, .date) }
            date = days
        }
        return .success(Value(reference: reference, merchant: MerchantKey.load(base, offset: merchant.start, length: merchant.count),
                              currency: currency, amount: amount, isCredit: isCredit, date: date))
    }

    /// `[+-]digits[.digits]` scaled to minor units: `scale` 0 takes no decimal point; more decimals
    /// than `scale` are accepted only as trailing zeros. Nil when malformed or 10^18 or more.
    @inline(__always)
    func parseAmount(_ base: UnsafeRawPointer, start: Int, count: Int, scale: Int) -> (Int64, Bool)? {
        var at = start
        let end = start + count
        var negative = false
        let first = base.load(fromByteOffset: at, as: UInt8.self)
        if first == 0x2D || first == 0x2B {
            negative = first == 0x2D
            at += 1
        }
        var value: Int64 = 0
        var digits = 0
        var decimals = -1
        while at < end {
            let byte = base.load(fromByteOffset: at, as: UInt8.self)
            at += 1
            if byte == 0x2E {
                if decimals >= 0 || !spec.decimalAmounts { return nil }
                decimals = 0
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let digit = Int64(byte - 0x30)
            if decimals >= 0 {
                decimals += 1
                if decimals > scale {
                    if digit != 0 { return nil }
                    continue
                }
            }
            digits += 1
            if digits > 18 { return nil }
            value = value * 10 + digit
        }
        if digits == 0 { return nil }
        for _ in min(max(0, decimals), scale)..<scale {
            value *= 10
            if value >= 1_000_000_000_000_000_000 { return nil }
        }
        return (value, negative)
    }
}
