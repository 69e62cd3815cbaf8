/// A fault the generator puts into a detail record on purpose. Each faulty record has exactly one.
enum RecordFault {
    /// A letter in the amount-role field.
    case badAmount
    /// An unknown code (`X`, `XX`, ...) in the direction field.
    case badCode
    /// An impossible date in the first date-typed detail field.
    case badDate
    /// An exact copy of the record written right after it (valid: it counts everywhere).
    case duplicate

    /// The reject the engine must report for the record, if it is invalid.
    var rejectReason: ExpectedReject? {
        switch self {
        case .badAmount: .badAmount
        case .badCode: .badCode
        case .badDate: .badDate
        case .duplicate: nil
        }
    }
}

/// The reject reasons the generator produces, with the exact codes the engine writes in
/// `rejects.csv`. Spelled out here rather than taken from the engine, so a renamed code is caught.
enum ExpectedReject: Int, CaseIterable {
    case badAmount, badCode, badDate, shortRecord

    var code: String {
        switch self {
        case .badAmount: "bad_amount"
        case .badCode: "bad_code"
        case .badDate: "bad_date"
        case .shortRecord: "short_record"
        }
    }
}

/// A difference the generator puts between the ledger and the settlement file on purpose.
enum LedgerFault: Int, CaseIterable {
    /// The ledger row has a different amount than the settled record.
    case amountDifference
    /// A settled transaction has no ledger row.
    case missingInLedger
    /// A ledger row (with a new ARN) that was never settled.
    case neverSettled

    var code: String {
        switch self {
        case .amountDifference: "amount_difference"
        case .missingInLedger: "missing_in_ledger"
        case .neverSettled: "never_settled"
        }
    }
}

/// Decides, from its own random streams, which records and ledger rows get a fault: each with
/// probability `rate`, record faults spread evenly over the kinds the layout allows.
struct FaultPlan {
    private var recordRandom: GeneratorRandom
    private var ledgerRandom: GeneratorRandom
    private let threshold: UInt64
    private let recordFaults: [RecordFault]

    init(seed: UInt64, rate: Double, layoutHasDate: Bool) {
        recordRandom = GeneratorRandom(seed: seed, stream: .faults)
        ledgerRandom = GeneratorRandom(seed: seed, stream: .ledger)
        threshold = GeneratorRandom.threshold(probability: rate)
        recordFaults = layoutHasDate ? [.badAmount, .badCode, .badDate, .duplicate] : [.badAmount, .badCode, .duplicate]
    }

    var isActive: Bool { threshold > 0 }

    mutating func recordFault() -> RecordFault? {
        guard isActive, recordRandom.chance(threshold) else { return nil }
        return recordFaults[recordRandom.index(recordFaults.count)]
    }

    /// The ledger fault for a transaction whose record has no fault: amount difference or missing row.
    mutating func ledgerFault() -> LedgerFault? {
        guard isActive else { return nil }
        if ledgerRandom.chance(threshold) { return .amountDifference }
        if ledgerRandom.chance(threshold) { return .missingInLedger }
        return nil
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

    /// Which byte of a field of `length` bytes gets a letter, and which letter.
    mutating func letter(length: Int) -> (index: Int, byte: UInt8) {
        (recordRandom.index(length), 0x41 + UInt8(recordRandom.below(26)))
    }

    /// Which of the `count` impossible dates to write.
    mutating func impossibleDate(count: Int) -> Int { recordRandom.index(count) }
}
