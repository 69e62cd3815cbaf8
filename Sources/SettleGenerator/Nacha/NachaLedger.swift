import SettleEngine

/// The ledger side of `settle generate --layout nacha`: the company's ledger of the entries, and what
/// `settle aggregate --layout nacha --ledger` must find in it, written by the flat layouts' machinery
/// (`LedgerGenerator`, `FaultPlan`, `ReconciliationTruth`, `ReconciliationFiles`), so the styles, the
/// ledger files and the ledger faults are the same.
///
/// Each entry detail record (type 6) is one transaction: its reference is the trace number (80-94,
/// 15 digits as written, leading zeros included), its merchant the key `nacha.yaml` composes from the
/// batch header (`NachaCompanies.Company.key`), its currency USD, its amount in cents and its
/// direction the transaction code's. The ledger's faults are drawn per entry as for a flat layout's
/// valid record; the file itself stays valid (no record faults), so its ground truth never has a
/// `duplicate_in_settlement` or `settlement_rejected` row. A currency difference shows one of the
/// `CurrencyTable`'s other currencies.
struct NachaLedger: ~Copyable {
    /// Digits of a trace number.
    static let traceLength = 15
    /// USD's index in `currencies`, the currency of every entry.
    static let usd = 0
    /// The first 8 digits of never-settled rows' trace numbers: district 19 is neither a Federal
    /// Reserve district (01-12) nor a thrift's (21-32), so no entry's trace starts so.
    static let unsettledRouting: UInt64 = 19_000_000

    let merchants: MerchantIDs
    let currencies: CurrencyTable
    private var ledger: LedgerGenerator
    private var faults: FaultPlan
    /// Merchants, amounts and directions of never-settled rows.
    private var unsettledRandom: GeneratorRandom
    private let unsettledAmounts = NachaLadder(500, 300_000)
    private var unsettledCount: UInt64 = 0
    private let entries: Int
    private var entriesAdded = 0

    init(options: NachaGeneratorOptions, companies: NachaCompanies, fileDate: CalendarDate) throws(SettleError) {
        let merchants = MerchantIDs(companies)
        // The known 3-letter currencies, USD first (index `usd`).
        let currencies = try CurrencyTable(fieldType: .text, length: 3, values: [], fieldName: "currency")
        let ledger = try LedgerGenerator(options.ledgerSettings,
                                         content: LedgerContent(traceLength: Self.traceLength, fileDate: fileDate),
                                         merchants: merchants, currencies: currencies)
        self.merchants = merchants
        self.currencies = currencies
        self.ledger = ledger
        faults = FaultPlan(seed: options.seed, rate: options.faultRate, layoutHasDate: false)
        unsettledRandom = GeneratorRandom(seed: options.seed, stream: .neverSettled)
        entries = options.entries
    }

    /// Writes the ledger rows of the entry `transaction` (record `record` of the file), and perhaps a
    /// never-settled row after them; `truth` is the file's settled ground truth.
    mutating func add(_ transaction: Transaction, record: ReconciliationTruth.SettledRecord, companies: NachaCompanies,
                      truth: inout GroundTruth) throws(SettleError) {
        try ledger.startTransaction(recordsWritten: entriesAdded)
        entriesAdded += 1
        try ledger.add(transaction, recordFault: nil, record: record, duplicate: nil, isLast: entriesAdded == entries,
                       faults: &faults, truth: &truth)
        if faults.neverSettledRow() {
            // At most one per entry: the sequence stays below the 7 digits of 88-94.
            let unsettled = Transaction(sequence: Self.unsettledRouting * 10_000_000 + unsettledCount,
                                        merchant: companies.drawDomestic(&unsettledRandom), currency: Self.usd,
                                        isHomeCurrency: true, amountMinor: unsettledAmounts.draw(&unsettledRandom), feeMinor: 0,
                                        isCredit: unsettledRandom.index(2) == 0, daysBeforeFileDate: 0)
            unsettledCount += 1
            try ledger.addNeverSettled(unsettled, truth: &truth)
        }
        try ledger.writeDueCopies(truth: &truth)
    }

    /// Publishes the ledger files and returns the reconciliation's ground truth.
    consuming func finish(truth: inout GroundTruth) throws(SettleError) -> ReconciliationFiles {
        try ledger.finish(tombstone: nil, truth: &truth, settlementFile: NachaGenerator.fileName, merchants: merchants,
                          currencies: currencies)
    }
}

extension MerchantIDs {
    /// A NACHA file's merchants: the companies' keys, all in USD.
    init(_ companies: NachaCompanies) {
        self.init(count: companies.count, order: companies.keyOrder,
                  homeCurrency: [Int](repeating: NachaLedger.usd, count: companies.count)) { companies.companies[$0].key[...] }
    }
}
