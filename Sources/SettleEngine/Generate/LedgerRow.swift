/// Formats one row of `ledger.csv` (`arn,merchant_id,currency,amount,direction`) into a reusable
/// byte array, with the ARN exactly as the settlement file's reference field holds it.
struct LedgerRow {
    static let header = "arn,merchant_id,currency,amount,direction\n"

    private let content: FieldContent
    private let merchants: MerchantPopulation
    /// Each currency's key as bytes.
    private let currencyKeys: [[UInt8]]
    /// Length of the ARN as written: the reference field's, or a full ARN without one.
    let arnLength: Int
    private(set) var bytes: [UInt8] = []

    init(content: FieldContent, merchants: MerchantPopulation, currencies: CurrencyTable) {
        self.content = content
        self.merchants = merchants
        currencyKeys = currencies.currencies.map { Array($0.key.utf8) }
        arnLength = content.layout.referenceLength ?? FieldContent.arnLength
        bytes.reserveCapacity(arnLength + 64)
    }

    /// Formats the row of `transaction`, showing `amountMinor` as its amount.
    mutating func format(_ transaction: Transaction, amountMinor: Int64) {
        bytes.removeAll(keepingCapacity: true)
        for _ in 0..<arnLength { bytes.append(0x30) }
        content.writeReference(sequence: transaction.sequence, into: &bytes, at: 0, length: arnLength)
        bytes.append(0x2C)
        let idStart = transaction.merchant * merchants.fieldLength
        bytes.append(contentsOf: merchants.idBytes[idStart..<(idStart + merchants.idLength)])
        bytes.append(0x2C)
        bytes.append(contentsOf: currencyKeys[transaction.currency])
        bytes.append(0x2C)
        DecimalDigits.append(amountMinor, to: &bytes)
        bytes.append(0x2C)
        bytes.append(transaction.isCredit ? 0x43 : 0x44)  // C or D
        bytes.append(0x0A)
    }

    /// The ARN of the row last formatted.
    var arn: String { String(decoding: bytes[0..<arnLength], as: UTF8.self) }
}
