import SettleEngine

/// A value per merchant and currency for the ground truth, with integer keys (merchant index,
/// currency index). Most records are in the merchant's home currency, whose values sit in an array
/// indexed by merchant (one memory access); the others go through a dense slot table of merchant and
/// currency into a list that grows as pairs are first written.
struct MerchantCurrencyTable<Value> {
    let currencyCount: Int
    /// Each merchant's home currency.
    private let homeCurrency: [Int]
    private var homeValues: [Value]
    /// Per (merchant * currencyCount + currency), for currencies other than the home one: index into
    /// `foreignValues`, or -1.
    private var foreignSlot: [Int32]
    private var foreignValues: [Value] = []
    /// What a pair holds before it is first written.
    private let initial: Value

    init(homeCurrency: [Int], currencyCount: Int, initial: Value) {
        self.currencyCount = currencyCount
        self.homeCurrency = homeCurrency
        self.initial = initial
        homeValues = [Value](repeating: initial, count: homeCurrency.count)
        foreignSlot = [Int32](repeating: -1, count: homeCurrency.count * currencyCount)
    }

    /// The value of a merchant and currency; `initial` until written. Modifying a pair other than the
    /// merchant's home currency gives it a slot the first time.
    subscript(merchant merchant: Int, currency currency: Int) -> Value {
        get {
            if currency == homeCurrency[merchant] { return homeValues[merchant] }
            let slot = foreignSlot[merchant * currencyCount + currency]
            return slot < 0 ? initial : foreignValues[Int(slot)]
        }
        // Yields the stored value in place: a get-then-set pair would copy the value and check the
        // arrays' uniqueness twice per record (measured: 4% of a generator run each, for two tables).
        _modify {
            if currency == homeCurrency[merchant] {
                yield &homeValues[merchant]
                return
            }
            let key = merchant * currencyCount + currency
            var slot = Int(foreignSlot[key])
            if slot < 0 {
                slot = foreignValues.count
                foreignSlot[key] = Int32(slot)
                foreignValues.append(initial)
            }
            yield &foreignValues[slot]
        }
    }

    /// How many pairs hold a value that satisfies `predicate` (pairs never written hold `initial`).
    func count(where predicate: (Value) -> Bool) -> Int {
        homeValues.lazy.filter(predicate).count + foreignValues.lazy.filter(predicate).count
    }
}
