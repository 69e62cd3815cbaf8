import SettleEngine

/// The merchants as the ledger and the reconciliation ground truth name them: each id as a CSV field
/// (quoted when it holds a comma or a quote, as the engine writes it), the ids' bytewise order (of
/// `totals.csv` and `reconciliation.csv`) and each merchant's home currency. Built once per run, from
/// a flat layout's `MerchantPopulation` (fixed-width ids that never need quotes) or from a NACHA
/// file's companies (keys such as `881234567|ACME PLUMBING, I`, of any length up to 27 bytes).
struct MerchantIDs {
    let count: Int
    /// Merchant indices in bytewise order of their ids.
    let order: [Int]
    /// Index into the currency table, per merchant.
    let homeCurrency: [Int]
    /// Every id's CSV field back to back: merchant `m`'s is `csvBytes[csvStarts[m]..<csvStarts[m + 1]]`
    /// (read in place by the ledger rows' formatters, once per row).
    let csvBytes: [UInt8]
    let csvStarts: [Int]

    /// The ids `id(m)` of `count` merchants, already in bytewise `order`.
    init(count: Int, order: [Int], homeCurrency: [Int], id: (Int) -> ArraySlice<UInt8>) {
        var bytes: [UInt8] = []
        var starts = [0]
        starts.reserveCapacity(count + 1)
        for merchant in 0..<count {
            ReconciliationFiles.appendCSVField(id(merchant), to: &bytes)
            starts.append(bytes.count)
        }
        self.count = count
        self.order = order
        self.homeCurrency = homeCurrency
        csvBytes = bytes
        csvStarts = starts
    }

    /// A flat layout's merchants: their ids without the field's padding.
    init(_ merchants: MerchantPopulation) {
        self.init(count: merchants.count, order: merchants.idOrder, homeCurrency: merchants.homeCurrency) { merchant in
            let start = merchant * merchants.fieldLength
            return merchants.idBytes[start..<(start + merchants.idLength)]
        }
    }

    /// Merchant `merchant`'s id as a CSV field.
    func csvField(_ merchant: Int) -> ArraySlice<UInt8> {
        csvBytes[csvStarts[merchant]..<csvStarts[merchant + 1]]
    }
}
