/// The kinds of rows in `mismatches.csv`, in the order the file is sorted by (bytewise by code).
public enum MismatchKind: Int, CaseIterable, Sendable {
    case amountMismatch, currencyMismatch, directionMismatch, duplicateInLedger, duplicateInSettlement,
         merchantMismatch, missingInLedger, missingInSettlement, settlementRejected

    public var code: String {
        switch self {
        case .amountMismatch: "amount_mismatch"
        case .currencyMismatch: "currency_mismatch"
        case .directionMismatch: "direction_mismatch"
        case .duplicateInLedger: "duplicate_in_ledger"
        case .duplicateInSettlement: "duplicate_in_settlement"
        case .merchantMismatch: "merchant_mismatch"
        case .missingInLedger: "missing_in_ledger"
        case .missingInSettlement: "missing_in_settlement"
        case .settlementRejected: "settlement_rejected"
        }
    }
}

/// One side of a mismatch row: what the occurrence says and where it is (the file's index in the
/// job, and its 1-based record number or line).
public struct MismatchSide: Sendable, Equatable {
    public var occurrence: Occurrence
    public var file: Int
    public var number: Int
}

/// One row of `mismatches.csv` before formatting (file paths are added when it is written).
public struct MismatchRow: Sendable, Equatable {
    public var settled: MismatchSide?
    public var ledger: MismatchSide?

    /// `difference = settled - ledger`, signed (debit positive); an absent or unreadable side is 0.
    public var difference: Int128 {
        let settledAmount = settled.map { $0.occurrence.isRejected ? 0 : $0.occurrence.signedAmount } ?? 0
        return settledAmount - (ledger?.occurrence.signedAmount ?? 0)
    }
}

/// Mismatch rows in a run: the key is the reference and the row's sort position (the settled
/// side's if it has one, else the ledger's), the run's "buckets" are the kinds.
///
///     u8 sides (1 settled, 2 ledger), then per side present:
///     u8 merchant length n, n bytes, u8 currency length c, c bytes, u8 flags,
///     LEB128 amount, LEB128 file index, LEB128 record number or line
public enum MismatchCodec: SpillCodec {
    public static let maxSize = 1 + 32 + 10 + 1 + 2 * (1 + 32 + 1 + 4 + 1 + 10 + 5 + 10 + 10)
    public static var emptyKey: MismatchKey { MismatchKey(reference: MerchantKey(), position: 0) }
    public static var emptyValue: MismatchRow { MismatchRow(settled: nil, ledger: nil) }

    public static func store(_ key: MismatchKey, _ value: MismatchRow, to pointer: UnsafeMutableRawPointer) -> Int {
        let referenceLength = key.reference.byteCount
        pointer.storeBytes(of: UInt8(referenceLength), as: UInt8.self)
        key.reference.storeAll(to: pointer + 1)
        var at = 1 + referenceLength
        at += SpillEntry.writeVarint(UInt128(key.position), pointer + at)
        pointer.storeBytes(of: (value.settled == nil ? 0 : 1) | (value.ledger == nil ? 0 : 2) as UInt8, toByteOffset: at, as: UInt8.self)
        at += 1
        for side in [value.settled, value.ledger] {
            guard let side else { continue }
            let merchantLength = side.occurrence.merchant.byteCount
            pointer.storeBytes(of: UInt8(merchantLength), toByteOffset: at, as: UInt8.self)
            side.occurrence.merchant.storeAll(to: pointer + at + 1)
            at += 1 + merchantLength
            let currencyLength = CurrencyCode(raw: side.occurrence.currency).byteCount
            pointer.storeBytes(of: UInt8(currencyLength), toByteOffset: at, as: UInt8.self)
            pointer.storeBytes(of: side.occurrence.currency.bigEndian, toByteOffset: at + 1, as: UInt32.self)
            at += 1 + currencyLength
            pointer.storeBytes(of: side.occurrence.flags | (side.occurrence.hasDate ? Occurrence.dated : 0), toByteOffset: at, as: UInt8.self)
            at += 1
            at += SpillEntry.writeVarint(UInt128(UInt64(bitPattern: side.occurrence.amount)), pointer + at)
            if side.occurrence.hasDate { at += OccurrenceDate.store(side.occurrence.date, to: pointer + at) }
            at += SpillEntry.writeVarint(UInt128(UInt64(side.file)), pointer + at)
            at += SpillEntry.writeVarint(UInt128(UInt64(side.number)), pointer + at)
        }
        return at
    }

    public static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: MismatchKey, value: MismatchRow, size: Int)? {
        var at = 0
        func bytes(capacity: Int) -> MerchantKey? { SpillEntry.readKey(pointer, &at, available, capacity: capacity) }
        func u64() -> UInt64? { SpillEntry.readVarint(pointer, &at, available).flatMap { UInt64(exactly: $0) } }
        guard let reference = bytes(capacity: MerchantKey.capacity), let position = u64(), at < available else { return nil }
        let sides = pointer.load(fromByteOffset: at, as: UInt8.self)
        at += 1
        var row = MismatchRow(settled: nil, ledger: nil)
        for side in 0..<2 where sides & (1 << side) != 0 {
            guard let merchant = bytes(capacity: MerchantKey.capacity), let currency = bytes(capacity: CurrencyCode.capacity),
                  at < available else { return nil }
            let flags = pointer.load(fromByteOffset: at, as: UInt8.self)
            at += 1
            // Checked: a file index or number past Int.max is a malformed entry, not a trap (found by fuzzing).
            guard let amount = u64() else { return nil }
            var date = Occurrence.noDate
            if flags & Occurrence.dated != 0 {
                guard let read = OccurrenceDate.load(pointer, &at, available) else { return nil }
                date = read
            }
            guard let file = u64().flatMap({ Int(exactly: $0) }), let number = u64().flatMap({ Int(exactly: $0) }) else {
                return nil
            }
            let value = MismatchSide(occurrence: Occurrence(merchant: merchant, currency: UInt32(truncatingIfNeeded: currency.w0 >> 32),
                                                            amount: Int64(bitPattern: amount), flags: flags & ~Occurrence.dated, date: date),
                                     file: file, number: number)
            if side == 0 { row.settled = value } else { row.ledger = value }
        }
        return (MismatchKey(reference: reference, position: position), row, at)
    }
}

/// Writes `mismatches.csv` rows.
public enum MismatchesCSV {
    public static let header = "kind,arn,merchant_id,currency,direction,settled_amount,ledger_merchant_id,ledger_currency,ledger_direction,ledger_amount,difference,file,record_number,ledger_file,ledger_line\n"
    /// With `--open-items`: the same and `age_days`.
    public static let headerWithAge = String(header.dropLast()) + ",age_days\n"

    /// Ends a row (written by `appendRow`) with `,AGE` (or `,` when nil) before its line end.
    static func appendAge(_ age: Int?, to out: inout [UInt8]) {
        out.removeLast()
        out.append(UInt8(ascii: ","))
        if let age { CSVText.appendInteger(age, to: &out) }
        out.append(0x0A)
    }

    public static func appendRow(kind: MismatchKind, reference: MerchantKey, row: MismatchRow, paths: [String],
                                 to out: inout [UInt8]) {
        out.append(contentsOf: kind.code.utf8)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(reference.string, to: &out)
        func side(_ side: MismatchSide?) {
            if let side, !side.occurrence.isRejected {
                out.append(UInt8(ascii: ","))
                CSVText.appendField(side.occurrence.merchant.string, to: &out)
                out.append(UInt8(ascii: ","))
                CSVText.appendField(CurrencyCode(raw: side.occurrence.currency).string, to: &out)
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: (side.occurrence.isCredit ? "credit" : "debit").utf8)
                out.append(UInt8(ascii: ","))
                CSVText.appendInteger(Int(side.occurrence.amount), to: &out)
            } else {
                out.append(contentsOf: ",,,,".utf8)
            }
        }
        side(row.settled)
        side(row.ledger)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(row.difference, to: &out)
        for side in [row.settled, row.ledger] {
            out.append(UInt8(ascii: ","))
            if let side {
                CSVText.appendField(paths[side.file], to: &out)
                out.append(UInt8(ascii: ","))
                CSVText.appendInteger(side.number, to: &out)
            } else {
                out.append(UInt8(ascii: ","))
            }
        }
        out.append(0x0A)
    }
}
