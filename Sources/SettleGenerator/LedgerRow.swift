import SettleEngine

/// What one ledger row says about a transaction: usually the settled values, different on purpose for
/// a ledger fault.
struct LedgerValues: Equatable {
    var merchant: Int
    var currency: Int
    var isCredit: Bool
    var amountMinor: Int64

    init(merchant: Int, currency: Int, isCredit: Bool, amountMinor: Int64) {
        self.merchant = merchant
        self.currency = currency
        self.isCredit = isCredit
        self.amountMinor = amountMinor
    }

    /// The values of the settled record.
    init(_ transaction: Transaction) {
        self.init(merchant: transaction.merchant, currency: transaction.currency, isCredit: transaction.isCredit,
                  amountMinor: transaction.amountMinor)
    }

    /// Debits count positive, credits negative.
    var signedAmountMinor: Int64 { isCredit ? -amountMinor : amountMinor }
}

/// Formats one row of the plain `ledger.csv` (`arn,merchant_id,currency,amount,direction`) into a
/// reusable byte array, with the reference (an ARN, or a NACHA trace number) exactly as the settlement
/// file's reference field holds it, and the merchant id as a CSV field.
struct LedgerRow {
    static let header = "arn,merchant_id,currency,amount,direction\n"

    private let content: LedgerContent
    private let merchants: MerchantIDs
    /// Each currency's key as bytes.
    private let currencyKeys: [[UInt8]]
    /// Length of the reference as written: the reference field's, or a full ARN without one.
    let arnLength: Int
    private(set) var bytes: [UInt8] = []

    init(content: LedgerContent, merchants: MerchantIDs, currencies: CurrencyTable) {
        self.content = content
        self.merchants = merchants
        currencyKeys = currencies.currencies.map { Array($0.key.utf8) }
        arnLength = content.referenceLength
        bytes.reserveCapacity(arnLength + 64)
    }

    /// Formats the row of `transaction` showing `values`.
    mutating func format(_ transaction: Transaction, _ values: LedgerValues) {
        bytes.removeAll(keepingCapacity: true)
        for _ in 0..<arnLength { bytes.append(0x30) }
        content.writeReference(of: transaction, into: &bytes, at: 0)
        bytes.append(0x2C)
        let idStart = merchants.csvStarts[values.merchant]
        bytes.append(contentsOf: merchants.csvBytes[idStart..<merchants.csvStarts[values.merchant + 1]])
        bytes.append(0x2C)
        bytes.append(contentsOf: currencyKeys[values.currency])
        bytes.append(0x2C)
        DecimalDigits.append(values.amountMinor, to: &bytes)
        bytes.append(0x2C)
        bytes.append(values.isCredit ? 0x43 : 0x44)  // C or D
        bytes.append(0x0A)
    }

    /// The reference of the row last formatted.
    var arn: String { String(decoding: bytes[0..<arnLength], as: UTF8.self) }
}
