import SettleEngine

/// The ledger side of `settle generate --layout mastercard-ipm`, written by the flat layouts'
/// machinery (`LedgerGenerator`, `FaultPlan`, `ReconciliationFiles`) as `NachaLedger` does: each
/// detail message is one transaction whose reference is its DE 31 (23 digits, the transaction's
/// sequence), its merchant DE 42, its currency DE 49's and its direction the booked one (after a
/// chargeback's or reversal's reversal). The file stays valid; only the ledger has faults.
struct IPMLedger: ~Copyable {
    /// Digits of DE 31 as generated.
    static let referenceLength = 23
    /// Never-settled rows' sequences start here: no detail's sequence (1, 2, ...) reaches it.
    static let unsettledBase: UInt64 = 9_000_000_000_000_000_000

    let merchantIDs: MerchantIDs
    private var ledger: LedgerGenerator
    private var faults: FaultPlan
    private var unsettledRandom: GeneratorRandom
    private var unsettledCount: UInt64 = 0
    private let details: Int
    private var added = 0
    private let merchants: MerchantPopulation
    private let currencies: CurrencyTable

    init(options: IPMGeneratorOptions, merchants: MerchantPopulation, currencies: CurrencyTable, fileDate: CalendarDate) throws(SettleError) {
        merchantIDs = MerchantIDs(merchants)
        ledger = try LedgerGenerator(options.ledgerSettings, content: LedgerContent(traceLength: Self.referenceLength, fileDate: fileDate),
                                     merchants: merchantIDs, currencies: currencies)
        faults = FaultPlan(seed: options.seed, rate: options.faultRate, layoutHasDate: false)
        unsettledRandom = GeneratorRandom(seed: options.seed, stream: .neverSettled)
        details = options.details
        self.merchants = merchants
        self.currencies = currencies
    }

    mutating func add(_ transaction: Transaction, record: ReconciliationTruth.SettledRecord, truth: inout GroundTruth) throws(SettleError) {
        try ledger.startTransaction(recordsWritten: added)
        added += 1
        try ledger.add(transaction, recordFault: nil, record: record, duplicate: nil, isLast: added == details, faults: &faults, truth: &truth)
        if faults.neverSettledRow() {
            let merchant = merchants.draw(&unsettledRandom)
            let currency = merchants.homeCurrency[merchant]
            let ladder = currencies.currencies[currency].ladder
            let unsettled = Transaction(sequence: Self.unsettledBase + unsettledCount, merchant: merchant, currency: currency,
                                        isHomeCurrency: true, amountMinor: ladder[unsettledRandom.index(ladder.count)], feeMinor: 0,
                                        isCredit: unsettledRandom.index(2) == 0, daysBeforeFileDate: 0)
            unsettledCount += 1
            try ledger.addNeverSettled(unsettled, truth: &truth)
        }
        try ledger.writeDueCopies(truth: &truth)
    }

    consuming func finish(truth: inout GroundTruth) throws(SettleError) -> ReconciliationFiles {
        try ledger.finish(tombstone: nil, truth: &truth, settlementFile: IPMGenerator.fileName, merchants: merchantIDs, currencies: currencies)
    }
}
