import SettleEngine

/// What the engine's reconciliation must find, from the occurrences the generator wrote of each
/// reference (never from reading its files back): the rows of `mismatches.csv`, the per merchant and
/// currency figures of `reconciliation.csv` and the totals of `summary.json`.
///
/// Most transactions have one valid record and one equal ledger row: they cost nothing here, since
/// their ledger and matched figures equal their settled figures, which the `GroundTruth` totals already
/// hold. Only the others are collected as a `ReferenceCase`, paired by the contract's rules in
/// `resolve`, and their figures kept (`resolved`); `figures` and `totals` combine the two at the end.
struct ReconciliationTruth {
    /// Figures of one merchant and currency, in minor units; gross is debits minus credits.
    struct KeyFigures {
        var settledCount: Int64 = 0
        var settledGross: Int64 = 0
        var ledgerCount: Int64 = 0
        var ledgerGross: Int64 = 0
        var matchedCount: Int64 = 0
        var matchedGross: Int64 = 0
        var mismatchCount: Int64 = 0

        var isEmpty: Bool { settledCount == 0 && ledgerCount == 0 && mismatchCount == 0 }

        mutating func addSettled(_ signedAmountMinor: Int64) {
            settledCount += 1
            settledGross += signedAmountMinor
        }

        mutating func addLedger(_ signedAmountMinor: Int64) {
            ledgerCount += 1
            ledgerGross += signedAmountMinor
        }

        mutating func addMatched(_ signedAmountMinor: Int64) {
            matchedCount += 1
            matchedGross += signedAmountMinor
        }

        /// The figures of a key whose valid records are `settled`, of which `resolved` holds those of
        /// the resolved references: the others were each matched by one equal ledger row.
        init(settled: Sum, resolved: KeyFigures) {
            let unresolvedCount = Int64(settled.count) - resolved.settledCount
            let unresolvedGross = settled.grossMinor - resolved.settledGross
            settledCount = Int64(settled.count)
            settledGross = settled.grossMinor
            ledgerCount = unresolvedCount + resolved.ledgerCount
            ledgerGross = unresolvedGross + resolved.ledgerGross
            matchedCount = unresolvedCount + resolved.matchedCount
            matchedGross = unresolvedGross + resolved.matchedGross
            mismatchCount = resolved.mismatchCount
        }

        init() {}
    }

    /// A count and a gross amount.
    struct Sum {
        var count = 0
        var grossMinor: Int64 = 0

        mutating func add(_ signedAmountMinor: Int64) {
            count += 1
            grossMinor += signedAmountMinor
        }
    }

    /// A settlement record of a reference: valid, or rejected but with its reference readable.
    struct SettledRecord {
        /// 1-based over every physical record, the header being 1.
        var recordNumber: Int
        /// 0-based into the settlement file.
        var byteOffset: Int
        var isValid: Bool
    }

    /// A valid ledger row of a reference.
    struct LedgerOccurrence {
        var values: LedgerValues
        var position: LedgerOutput.Position
    }

    /// Everything written for one reference, in file order on each side.
    struct ReferenceCase {
        /// The reference as the settlement field holds it (the engine's normalised form).
        var reference: String
        /// The settled values (of every valid record of the reference).
        var settledValues: LedgerValues
        var records: [SettledRecord] = []
        var ledgerRows: [LedgerOccurrence] = []
    }

    /// One row of `mismatches.csv`.
    struct MismatchRow {
        var kind: MismatchKind
        var arn: String
        /// The settled values; nil when there is no valid settled side.
        var settled: LedgerValues?
        /// The settlement record (valid, or the rejected one of `settlement_rejected`).
        var record: SettledRecord?
        var ledger: LedgerOccurrence?
    }

    /// Figures of the resolved references only, per merchant and currency.
    private var resolved: MerchantCurrencyTable<KeyFigures>
    private(set) var rows: [MismatchRow] = []
    private(set) var countsByKind = [Int](repeating: 0, count: MismatchKind.allCases.count)
    /// Sums over the resolved references only.
    private var resolvedSettled = Sum()
    private var resolvedLedger = Sum()
    private var resolvedMatched = Sum()

    init(merchants: MerchantIDs, currencyCount: Int) {
        resolved = MerchantCurrencyTable(homeCurrency: merchants.homeCurrency, currencyCount: currencyCount,
                                           initial: KeyFigures())
    }

    /// The figures of a merchant and currency whose valid records are `settled`.
    func figures(merchant: Int, currency: Int, settled: Sum) -> KeyFigures {
        KeyFigures(settled: settled, resolved: resolved[merchant: merchant, currency: currency])
    }

    /// The settled, ledger and matched sums of the whole run, whose valid records are `settled`.
    func totals(settled: Sum) -> (settled: Sum, ledger: Sum, matched: Sum) {
        let unresolved = Sum(count: settled.count - resolvedSettled.count,
                             grossMinor: settled.grossMinor - resolvedSettled.grossMinor)
        return (settled,
                Sum(count: unresolved.count + resolvedLedger.count, grossMinor: unresolved.grossMinor + resolvedLedger.grossMinor),
                Sum(count: unresolved.count + resolvedMatched.count, grossMinor: unresolved.grossMinor + resolvedMatched.grossMinor))
    }

    /// Pairs the occurrences of one reference as the engine must: valid records with ledger rows one to
    /// one in order (a matched pair or one mismatch row each); records left over are duplicates in the
    /// settlement (or missing in the ledger); ledger rows left over take the rejected records first
    /// (`settlement_rejected`), then are duplicates in the ledger (or missing in the settlement).
    mutating func resolve(_ reference: ReferenceCase) {
        let valid = reference.records.filter(\.isValid)
        let rejected = reference.records.filter { !$0.isValid }
        let values = reference.settledValues
        for _ in valid {
            add(settled: values)
        }
        for row in reference.ledgerRows {
            add(ledger: row.values)
        }
        let pairs = min(valid.count, reference.ledgerRows.count)
        for index in 0..<pairs {
            let row = reference.ledgerRows[index]
            guard let kind = Self.difference(values, row.values) else {
                resolved[merchant: values.merchant, currency: values.currency].addMatched(values.signedAmountMinor)
                resolvedMatched.add(values.signedAmountMinor)
                continue
            }
            addRow(MismatchRow(kind: kind, arn: reference.reference, settled: values, record: valid[index], ledger: row))
        }
        for record in valid.dropFirst(pairs) {
            let kind: MismatchKind = reference.ledgerRows.isEmpty ? .missingInLedger : .duplicateInSettlement
            addRow(MismatchRow(kind: kind, arn: reference.reference, settled: values, record: record, ledger: nil))
        }
        for (index, row) in reference.ledgerRows.dropFirst(pairs).enumerated() {
            if index < rejected.count {
                addRow(MismatchRow(kind: .settlementRejected, arn: reference.reference, settled: nil,
                                   record: rejected[index], ledger: row))
            } else {
                let kind: MismatchKind = valid.isEmpty ? .missingInSettlement : .duplicateInLedger
                addRow(MismatchRow(kind: kind, arn: reference.reference, settled: nil, record: nil, ledger: row))
            }
        }
    }

    /// The kind of a pair that differs: the first that applies of currency, merchant, direction,
    /// amount; nil when the pair matches.
    static func difference(_ settled: LedgerValues, _ ledger: LedgerValues) -> MismatchKind? {
        if settled.currency != ledger.currency { return .currencyMismatch }
        if settled.merchant != ledger.merchant { return .merchantMismatch }
        if settled.isCredit != ledger.isCredit { return .directionMismatch }
        if settled.amountMinor != ledger.amountMinor { return .amountMismatch }
        return nil
    }

    private mutating func add(settled values: LedgerValues) {
        resolved[merchant: values.merchant, currency: values.currency].addSettled(values.signedAmountMinor)
        resolvedSettled.add(values.signedAmountMinor)
    }

    private mutating func add(ledger values: LedgerValues) {
        resolved[merchant: values.merchant, currency: values.currency].addLedger(values.signedAmountMinor)
        resolvedLedger.add(values.signedAmountMinor)
    }

    /// Counts a row for the settled side's merchant and currency, or the ledger side's without one.
    private mutating func addRow(_ row: MismatchRow) {
        let owner = row.settled ?? row.ledger!.values
        resolved[merchant: owner.merchant, currency: owner.currency].mismatchCount += 1
        countsByKind[row.kind.rawValue] += 1
        rows.append(row)
    }

    var mismatchCount: Int { rows.count }

    /// The rows in the order of `mismatches.csv`: kind, reference bytewise, then rows with a settlement
    /// record by byte offset (one settlement file) before rows without one by ledger file and line.
    func sortedRows() -> [MismatchRow] {
        let order: [Int]
        if rows.allSatisfy({ $0.arn.utf8.count <= PackedKey.maxReferenceBytes }) {
            // Plain integer keys save a retain and a release of the reference per comparison (the sort
            // was a third of writing mismatches.csv).
            let keys = rows.map(PackedKey.init)
            order = keys.indices.sorted { keys[$0] < keys[$1] }
        } else {
            order = rows.indices.sorted { Self.precedes(rows[$0], rows[$1]) }
        }
        return order.map { rows[$0] }
    }

    private static func precedes(_ a: MismatchRow, _ b: MismatchRow) -> Bool {
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if a.arn != b.arn { return a.arn.utf8.lexicographicallyPrecedes(b.arn.utf8) }
        return PackedKey.position(a) < PackedKey.position(b)
    }

    /// Where a row goes in `mismatches.csv`, as integers. The reference is packed big-endian into three
    /// words padded with zero bytes: references hold no zero byte, so comparing the words and then the
    /// length is comparing the bytes.
    private struct PackedKey {
        static let maxReferenceBytes = 24

        var kind: Int
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var length: Int
        var position: (side: Int, first: Int, second: Int)

        init(_ row: MismatchRow) {
            kind = row.kind.rawValue
            length = row.arn.utf8.count
            for (index, byte) in row.arn.utf8.enumerated() {
                let shifted = UInt64(byte) << (56 - 8 * UInt64(index % 8))
                switch index / 8 {
                case 0: words.0 |= shifted
                case 1: words.1 |= shifted
                default: words.2 |= shifted
                }
            }
            position = Self.position(row)
        }

        /// 0 and the byte offset for a row with a settlement record; 1, the ledger file and line for one
        /// without.
        static func position(_ row: MismatchRow) -> (side: Int, first: Int, second: Int) {
            if let record = row.record { return (0, record.byteOffset, 0) }
            return (1, row.ledger!.position.file, row.ledger!.position.line)
        }

        static func < (a: PackedKey, b: PackedKey) -> Bool {
            let first = (a.kind, a.words.0, a.words.1, a.words.2, a.length)
            let second = (b.kind, b.words.0, b.words.1, b.words.2, b.length)
            if first != second { return first < second }
            return a.position < b.position
        }
    }
}
