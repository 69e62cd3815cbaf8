/// What the engine's reconciliation must find, from the occurrences the generator wrote of each
/// reference (never from reading its files back): the rows of `mismatches.csv`, the per merchant and
/// currency figures of `reconciliation.csv` and the totals of `summary.json`.
///
/// Most transactions have one valid record and one equal ledger row: `addMatched` counts them with no
/// allocation. The others are collected as a `ReferenceCase` and paired by the contract's rules in
/// `resolve`.
struct ReconciliationTruth {
    /// A mismatch kind, in the bytewise order of its code (the order of `mismatches.csv`).
    enum Kind: Int, CaseIterable {
        case amountMismatch, currencyMismatch, directionMismatch, duplicateInLedger, duplicateInSettlement,
             merchantMismatch, missingInLedger, missingInSettlement, settlementRejected

        var code: String {
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

        /// A valid record and a ledger row showing the same values.
        mutating func addMatchedPair(_ signedAmountMinor: Int64) {
            addSettled(signedAmountMinor)
            addLedger(signedAmountMinor)
            addMatched(signedAmountMinor)
        }
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
        var kind: Kind
        var arn: String
        /// The settled values; nil when there is no valid settled side.
        var settled: LedgerValues?
        /// The settlement record (valid, or the rejected one of `settlement_rejected`).
        var record: SettledRecord?
        var ledger: LedgerOccurrence?
    }

    private(set) var keyFigures: MerchantCurrencyTable<KeyFigures>
    private(set) var rows: [MismatchRow] = []
    private(set) var countsByKind = [Int](repeating: 0, count: Kind.allCases.count)
    private(set) var settled = Sum()
    private(set) var ledger = Sum()
    private(set) var matched = Sum()

    init(merchants: MerchantPopulation, currencyCount: Int) {
        keyFigures = MerchantCurrencyTable(homeCurrency: merchants.homeCurrency, currencyCount: currencyCount,
                                           initial: KeyFigures())
    }

    /// A transaction with one valid record and one ledger row showing the same values.
    mutating func addMatched(_ values: LedgerValues) {
        let amount = values.signedAmountMinor
        keyFigures[merchant: values.merchant, currency: values.currency].addMatchedPair(amount)
        settled.add(amount)
        ledger.add(amount)
        matched.add(amount)
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
                keyFigures[merchant: values.merchant, currency: values.currency].addMatched(values.signedAmountMinor)
                matched.add(values.signedAmountMinor)
                continue
            }
            addRow(MismatchRow(kind: kind, arn: reference.reference, settled: values, record: valid[index], ledger: row))
        }
        for record in valid.dropFirst(pairs) {
            let kind: Kind = reference.ledgerRows.isEmpty ? .missingInLedger : .duplicateInSettlement
            addRow(MismatchRow(kind: kind, arn: reference.reference, settled: values, record: record, ledger: nil))
        }
        for (index, row) in reference.ledgerRows.dropFirst(pairs).enumerated() {
            if index < rejected.count {
                addRow(MismatchRow(kind: .settlementRejected, arn: reference.reference, settled: nil,
                                   record: rejected[index], ledger: row))
            } else {
                let kind: Kind = valid.isEmpty ? .missingInSettlement : .duplicateInLedger
                addRow(MismatchRow(kind: kind, arn: reference.reference, settled: nil, record: nil, ledger: row))
            }
        }
    }

    /// The kind of a pair that differs: the first that applies of currency, merchant, direction,
    /// amount; nil when the pair matches.
    static func difference(_ settled: LedgerValues, _ ledger: LedgerValues) -> Kind? {
        if settled.currency != ledger.currency { return .currencyMismatch }
        if settled.merchant != ledger.merchant { return .merchantMismatch }
        if settled.isCredit != ledger.isCredit { return .directionMismatch }
        if settled.amountMinor != ledger.amountMinor { return .amountMismatch }
        return nil
    }

    private mutating func add(settled values: LedgerValues) {
        keyFigures[merchant: values.merchant, currency: values.currency].addSettled(values.signedAmountMinor)
        settled.add(values.signedAmountMinor)
    }

    private mutating func add(ledger values: LedgerValues) {
        keyFigures[merchant: values.merchant, currency: values.currency].addLedger(values.signedAmountMinor)
        ledger.add(values.signedAmountMinor)
    }

    /// Counts a row for the settled side's merchant and currency, or the ledger side's without one.
    private mutating func addRow(_ row: MismatchRow) {
        let owner = row.settled ?? row.ledger!.values
        keyFigures[merchant: owner.merchant, currency: owner.currency].mismatchCount += 1
        countsByKind[row.kind.rawValue] += 1
        rows.append(row)
    }

    var mismatchCount: Int { rows.count }

    /// The rows in the order of `mismatches.csv`: kind, reference bytewise, then rows with a settlement
    /// record by byte offset (one settlement file) before rows without one by ledger file and line.
    func sortedRows() -> [MismatchRow] {
        // Sorting indices moves plain integers instead of rows that hold a string.
        let order = rows.indices.sorted { first, second in
            let a = rows[first]
            let b = rows[second]
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            if a.arn != b.arn { return a.arn.utf8.lexicographicallyPrecedes(b.arn.utf8) }
            switch (a.record, b.record) {
            case let (first?, second?): return first.byteOffset < second.byteOffset
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil):
                let first = a.ledger!.position
                let second = b.ledger!.position
                return (first.file, first.line) < (second.file, second.line)
            }
        }
        return order.map { rows[$0] }
    }
}
