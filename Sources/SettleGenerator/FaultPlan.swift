import SettleEngine

/// A difference the generator puts between the ledger and the settlement file on purpose. Each names
/// the mismatch the engine must report (see `MismatchKind`).
enum LedgerFault: Int, CaseIterable {
    /// The ledger row has a different amount than the settled record (`amount_mismatch`).
    case amountDifference
    /// A settled transaction has no ledger row (`missing_in_ledger`).
    case missingInLedger
    /// A ledger row (with a new ARN) that was never settled (`missing_in_settlement`).
    case neverSettled
    /// The ledger row has another currency, sometimes another amount too (`currency_mismatch`).
    case currencyDifference
    /// The ledger row has another merchant, sometimes the other direction too (`merchant_mismatch`).
    case merchantDifference
    /// The ledger row has the other direction (`direction_mismatch`).
    case directionDifference
    /// The ledger row is written twice, the copy right after it or later (`duplicate_in_ledger`).
    case duplicateRow
    /// Two ledger rows: the first with another amount, the second correct, perhaps later
    /// (`amount_mismatch` and `duplicate_in_ledger` for one reference).
    case duplicateWithDifference
    /// The ledger row cannot be read (a ledger reject), so the settled record is `missing_in_ledger`.
    /// Only in the messy and signed styles.
    case unreadableRow

    var code: String {
        switch self {
        case .amountDifference: "amount_difference"
        case .missingInLedger: "missing_in_ledger"
        case .neverSettled: "never_settled"
        case .currencyDifference: "currency_difference"
        case .merchantDifference: "merchant_difference"
        case .directionDifference: "direction_difference"
        case .duplicateRow: "duplicate_row"
        case .duplicateWithDifference: "duplicate_with_difference"
        case .unreadableRow: "unreadable_row"
        }
    }

    /// The faults drawn for a transaction whose record is valid, with equal chances.
    static let perTransaction: [LedgerFault] = [
        .amountDifference, .missingInLedger, .currencyDifference, .merchantDifference, .directionDifference,
        .duplicateRow, .duplicateWithDifference, .unreadableRow,
    ]
}

/// Why the engine must reject a ledger row, with the exact codes it writes in `rejects.csv`.
enum LedgerRejectReason: Int, CaseIterable {
    /// Letters in the amount.
    case badAmount
    /// A direction word that is neither a debit nor a credit word.
    case badCode
    /// Too few columns.
    case badRow
    /// An empty reference.
    case blankField

    var code: String {
        switch self {
        case .badAmount: "bad_amount"
        case .badCode: "bad_code"
        case .badRow: "bad_row"
        case .blankField: "blank_field"
        }
    }
}

/// Decides, from its own random streams, which records and ledger rows get a fault: each record with
/// probability `rate`, record faults spread evenly over the kinds the layout allows; each valid
/// record's ledger row with probability `2 * rate`, spread evenly over `LedgerFault.perTransaction`.
struct FaultPlan {
    private var recordRandom: GeneratorRandom
    private var ledgerRandom: GeneratorRandom
    private let threshold: UInt64
    private let ledgerThreshold: UInt64
    private let recordFaults: [RecordFault]

    init(seed: UInt64, rate: Double, layoutHasDate: Bool) {
        recordRandom = GeneratorRandom(seed: seed, stream: .faults)
        ledgerRandom = GeneratorRandom(seed: seed, stream: .ledger)
        threshold = GeneratorRandom.threshold(probability: rate)
        ledgerThreshold = GeneratorRandom.threshold(probability: 2 * rate)
        recordFaults = layoutHasDate ? [.badAmount, .badCode, .badDate, .duplicate] : [.badAmount, .badCode, .duplicate]
    }

    var isActive: Bool { threshold > 0 }

    mutating func recordFault() -> RecordFault? {
        guard isActive, recordRandom.chance(threshold) else { return nil }
        return recordFaults[recordRandom.index(recordFaults.count)]
    }

    /// The ledger fault for a transaction whose record has no fault. The draw is the same whatever
    /// the ledger style, so the styles of one seed describe the same transactions.
    mutating func ledgerFault() -> LedgerFault? {
        guard isActive, ledgerRandom.chance(ledgerThreshold) else { return nil }
        return LedgerFault.perTransaction[ledgerRandom.index(LedgerFault.perTransaction.count)]
    }

    /// The ledger fault for a record written twice: one time in four the ledger row is doubled too
    /// (two matched pairs), otherwise none (`duplicate_in_settlement`).
    mutating func duplicatedRecordLedgerFault() -> LedgerFault? {
        ledgerRandom.index(4) == 0 ? .duplicateRow : nil
    }

    /// Whether a never-settled ledger row follows this transaction's row.
    mutating func neverSettledRow() -> Bool {
        isActive && ledgerRandom.chance(threshold)
    }

    /// The amount a ledger row shows instead of `amountMinor`: off by 1 to 10,000 minor units, never
    /// below 1.
    mutating func differentAmount(_ amountMinor: Int64) -> Int64 {
        let delta = 1 + Int64(ledgerRandom.below(min(UInt64(amountMinor), 10_000)))
        let lower = ledgerRandom.index(2) == 0
        return lower && amountMinor - delta >= 1 ? amountMinor - delta : amountMinor + delta
    }

    /// Another index in `0..<count` than `index` (`count` > 1).
    mutating func other(_ index: Int, count: Int) -> Int {
        (index + 1 + ledgerRandom.index(count - 1)) % count
    }

    /// A fair coin, for the second difference of a currency or merchant mismatch.
    mutating func coin() -> Bool { ledgerRandom.index(2) == 0 }

    /// After how many further transactions a ledger row's copy is written: mostly right after or a
    /// few rows later, one time in four anywhere up to `far` transactions later (across a ledger file
    /// boundary, say).
    mutating func copyDelay(far: Int) -> Int {
        ledgerRandom.index(4) == 0 ? ledgerRandom.index(max(far, 8) + 1) : ledgerRandom.index(8)
    }

    /// Why an unreadable ledger row cannot be read; `bad_code` only where there is a direction column.
    /// Drawn for every `unreadableRow` fault, whatever the style, so that the styles of one seed keep
    /// the same stream (one draw of 12, a multiple of both counts).
    mutating func unreadableReason(hasDirection: Bool) -> LedgerRejectReason {
        let draw = ledgerRandom.index(12)
        if hasDirection { return LedgerRejectReason.allCases[draw % 4] }
        return [LedgerRejectReason.badAmount, .badRow, .blankField][draw % 3]
    }

    /// Which byte of a field of `length` bytes gets a letter, and which letter.
    mutating func letter(length: Int) -> (index: Int, byte: UInt8) {
        (recordRandom.index(length), 0x41 + UInt8(recordRandom.below(26)))
    }

    /// Which of the `count` impossible dates to write.
    mutating func impossibleDate(count: Int) -> Int { recordRandom.index(count) }
}
