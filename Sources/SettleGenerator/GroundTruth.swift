import SettleEngine

/// What the engine must find in a generated file, accumulated from the transactions as they are
/// written (never by reading the file back): per merchant and currency totals of the valid records,
/// the rejects in file order, the control totals and the ledger's differences.
///
/// Keys are integers (merchant index, currency index), in a `MerchantCurrencyTable`.
struct GroundTruth {
    /// Totals of one merchant in one currency, in minor units.
    struct KeyTotals {
        var debitCount: Int64 = 0
        var debitAmount: Int64 = 0
        var creditCount: Int64 = 0
        var creditAmount: Int64 = 0
        var feeAmount: Int64 = 0

        var hasRecords: Bool { debitCount + creditCount > 0 }
    }

    /// One record the engine must reject.
    struct Reject {
        /// 1-based over every physical record, the header being 1.
        var recordNumber: Int
        /// 0-based into the file.
        var byteOffset: Int
        var reason: ExpectedReject
        /// The layout's field name, empty for a short record.
        var field: String
    }

    /// One ledger row that differs from the settlement file on purpose.
    struct LedgerDifference {
        var arn: String
        var fault: LedgerFault
        var settledAmountMinor: Int64?
        var ledgerAmountMinor: Int64?
    }

    let merchantCount: Int
    let currencyCount: Int
    /// Totals of the valid records per merchant and currency.
    private var keyTotals: MerchantCurrencyTable<KeyTotals>

    private(set) var rejects: [Reject] = []
    private(set) var rejectsByReason = [Int](repeating: 0, count: ExpectedReject.allCases.count)

    /// Detail records written, duplicates and corrupted ones included (the trailer's count).
    private(set) var records = 0
    private(set) var duplicates = 0
    private(set) var transactions = 0
    /// Sums over every detail record written, of the values as meant before any fault.
    private(set) var controlDebit: Int64 = 0
    private(set) var controlCredit: Int64 = 0
    private(set) var controlFee: Int64 = 0
    /// Sums over the valid detail records.
    private(set) var validDebit: Int64 = 0
    private(set) var validCredit: Int64 = 0
    private(set) var validFee: Int64 = 0

    private(set) var ledgerRows = 0
    /// Ledger rows whose settlement record is rejected (they match nothing the engine accepts).
    private(set) var ledgerRowsWithRejectedRecord = 0
    private(set) var ledgerDifferences: [LedgerDifference] = []
    private(set) var ledgerFaultCounts = [Int](repeating: 0, count: LedgerFault.allCases.count)

    init(merchants: MerchantIDs, currencyCount: Int) {
        merchantCount = merchants.count
        self.currencyCount = currencyCount
        keyTotals = MerchantCurrencyTable(homeCurrency: merchants.homeCurrency, currencyCount: currencyCount,
                                          initial: KeyTotals())
    }

    /// Valid records by reject count: every detail record written that is not rejected.
    var validRecords: Int { records - rejects.count + rejectsByReason[ExpectedReject.shortRecord.rawValue] }

    /// Counts a detail record written to the file, valid or not: the trailer's figures. Sums stay far
    /// below `Int64.max` (at most 10^18 per field and the run's record count); overflow would trap.
    mutating func countWritten(_ transaction: Transaction, isDuplicate: Bool) {
        records += 1
        if isDuplicate { duplicates += 1 } else { transactions += 1 }
        if transaction.isCredit {
            controlCredit += transaction.amountMinor
        } else {
            controlDebit += transaction.amountMinor
        }
        controlFee += transaction.feeMinor
    }

    /// Adds a valid detail record to its merchant and currency.
    mutating func addValid(_ transaction: Transaction) {
        Self.add(transaction, to: &keyTotals[merchant: transaction.merchant, currency: transaction.currency])
        if transaction.isCredit {
            validCredit += transaction.amountMinor
        } else {
            validDebit += transaction.amountMinor
        }
        validFee += transaction.feeMinor
    }

    private static func add(_ transaction: Transaction, to totals: inout KeyTotals) {
        if transaction.isCredit {
            totals.creditCount += 1
            totals.creditAmount += transaction.amountMinor
        } else {
            totals.debitCount += 1
            totals.debitAmount += transaction.amountMinor
        }
        totals.feeAmount += transaction.feeMinor
    }

    mutating func addReject(_ reject: Reject) {
        rejects.append(reject)
        rejectsByReason[reject.reason.rawValue] += 1
    }

    /// The totals of a merchant and currency, if it has a valid record.
    func totals(merchant: Int, currency: Int) -> KeyTotals? {
        let totals = keyTotals[merchant: merchant, currency: currency]
        return totals.hasRecords ? totals : nil
    }

    /// Merchant and currency pairs with a valid record (rows of `totals.csv`).
    var keyCount: Int { keyTotals.count(where: \.hasRecords) }

    mutating func countLedgerRow(recordRejected: Bool) {
        ledgerRows += 1
        if recordRejected { ledgerRowsWithRejectedRecord += 1 }
    }

    mutating func addLedgerDifference(_ difference: LedgerDifference) {
        ledgerDifferences.append(difference)
        ledgerFaultCounts[difference.fault.rawValue] += 1
    }

    func ledgerCount(_ fault: LedgerFault) -> Int { ledgerFaultCounts[fault.rawValue] }

    func rejectCount(_ reason: ExpectedReject) -> Int { rejectsByReason[reason.rawValue] }
}
