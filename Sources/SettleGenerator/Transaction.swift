import SettleEngine

/// One card transaction as the generator means it, before it is written (and perhaps corrupted).
/// The ground truth is computed from these values, never from the written file.
struct Transaction {
    /// ARN sequence number: unique per transaction, and the basis of its reference field.
    var sequence: UInt64
    var merchant: Int
    var currency: Int
    /// `currency` is the merchant's home currency (most transactions).
    var isHomeCurrency: Bool
    var amountMinor: Int64
    var feeMinor: Int64
    /// A refund (the direction field's `credit` value) rather than a sale.
    var isCredit: Bool
    /// Days before the file date on which the transaction happened.
    var daysBeforeFileDate: Int
    /// Leading digits of the reference written as `0` (messy ledgers only: the ledger then drops them,
    /// as a spreadsheet does, and the engine must pad them back).
    var referenceLeadingZeros = 0
}

/// Draws transactions: skewed merchants, mostly home currency, log-spread amounts, ~5% refunds.
struct TransactionSource {
    private var random: GeneratorRandom
    private let merchants: MerchantPopulation
    private let currencies: CurrencyTable
    private let amountMax: Int64
    private let feeMax: Int64
    private let creditThreshold = GeneratorRandom.threshold(probability: 0.05)
    private let foreignThreshold = GeneratorRandom.threshold(probability: 0.08)
    private let zeroFeeThreshold = GeneratorRandom.threshold(probability: 0.15)

    /// Transactions happened on the file date or up to this many days before.
    static let dayWindow = 7

    init(seed: UInt64, stream: GeneratorRandom.Stream, merchants: MerchantPopulation, currencies: CurrencyTable,
         amountDigits: Int, feeDigits: Int) {
        random = GeneratorRandom(seed: seed, stream: stream)
        self.merchants = merchants
        self.currencies = currencies
        amountMax = DecimalDigits.maxValue(width: amountDigits)
        feeMax = DecimalDigits.maxValue(width: feeDigits)
    }

    mutating func next(sequence: UInt64) -> Transaction {
        let merchant = merchants.draw(&random)
        var currency = merchants.homeCurrency[merchant]
        let isHomeCurrency = currencies.count == 1 || !random.chance(foreignThreshold)
        if !isHomeCurrency {
            // Any currency but the home one.
            currency = (currency + 1 + random.index(currencies.count - 1)) % currencies.count
        }
        let ladder = currencies.currencies[currency].ladder
        let step = random.index(CurrencyTable.ladderSteps)
        let low = ladder[step]
        let amount = min(low + Int64(random.below(UInt64(ladder[step + 1] - low + 1))), amountMax)
        var fee: Int64 = 0
        if !random.chance(zeroFeeThreshold) {
            // 0.5% to 3% of the amount plus a small fixed part.
            let basisPoints = 50 + Int64(random.below(251))
            fee = min(amount * basisPoints / 10_000 + Int64(random.below(31)), feeMax)
        }
        return Transaction(sequence: sequence, merchant: merchant, currency: currency, isHomeCurrency: isHomeCurrency,
                           amountMinor: amount,
                           feeMinor: fee, isCredit: random.chance(creditThreshold),
                           daysBeforeFileDate: random.index(Self.dayWindow))
    }
}
