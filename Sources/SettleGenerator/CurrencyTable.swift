import Foundation
import SettleEngine

/// The currencies the generator settles in, with how each is written into the layout's currency field
/// and the range of its amounts in minor units.
///
/// JPY has no minor units: its amounts are whole yen, drawn from a smaller range of numbers.
struct CurrencyTable {
    /// One currency as the generator writes it.
    struct Currency {
        /// What the currency field holds, padded to the field length (the settlement file's bytes).
        var fieldBytes: [UInt8]
        /// The field bytes without trailing spaces (ledger and ground truth).
        var key: String
        /// Digits after the decimal point when an amount is written as a decimal (ISO 4217).
        var minorUnits: Int
        /// Relative share of merchants whose home currency this is.
        var homeWeight: Int
        /// Amount ladder: `ladder.count - 1` log-spaced steps from the smallest to the largest amount.
        var ladder: [Int64]
    }

    let currencies: [Currency]
    /// Currency indices in bytewise order of `key` (the order of `totals.csv`).
    let sortedOrder: [Int]
    /// Cumulative home weights, for drawing a merchant's home currency.
    private let cumulativeHomeWeights: [Int]

    var count: Int { currencies.count }

    /// Alphabetic code, ISO 4217 numeric code, minor units, home weight.
    private static let known: [(alpha: String, numeric: String, minorUnits: Int, homeWeight: Int)] = [
        ("USD", "840", 2, 40), ("EUR", "978", 2, 22), ("GBP", "826", 2, 12), ("JPY", "392", 0, 9),
        ("CAD", "124", 2, 7), ("AUD", "036", 2, 6), ("CHF", "756", 2, 4),
    ]

    /// ISO 4217 minor units of codes other than 2, for currency code fields that list them.
    private static let otherMinorUnits: [String: Int] = [
        "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "392": 0, "410": 0, "152": 0, "352": 0, "704": 0,
        "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
        "048": 3, "414": 3, "400": 3, "512": 3, "788": 3, "368": 3, "434": 3,
    ]

    /// Steps in each amount ladder.
    static let ladderSteps = 1024

    /// Builds the table for a currency field of `type` and `length` with, for code fields, `values`.
    init(fieldType: FieldType, length: Int, values: [String], fieldName: String) throws(SettleError) {
        var entries: [(code: String, minorUnits: Int, homeWeight: Int)] = []
        switch fieldType {
        case .text:
            guard length >= 3 else {
                throw SettleError(.usage, "the generator writes 3-letter currency codes; field '\(fieldName)' has \(length) bytes")
            }
            entries = Self.known.map { ($0.alpha, $0.minorUnits, $0.homeWeight) }
        case .digits:
            guard length >= 3 else {
                throw SettleError(.usage, "the generator writes 3-digit currency codes; field '\(fieldName)' has \(length) bytes")
            }
            entries = Self.known.map { (String(repeating: "0", count: length - 3) + $0.numeric, $0.minorUnits, $0.homeWeight) }
        case .code:
            entries = values.map { value in
                let known = Self.known.first { $0.alpha == value || $0.numeric == value }
                return (value, known?.minorUnits ?? Self.otherMinorUnits[value] ?? 2, known?.homeWeight ?? 5)
            }
        case .amount, .signedAmount, .signedTrailing, .date:
            throw SettleError(.usage, "the generator cannot write currencies into field '\(fieldName)' of type \(fieldType.rawValue)")
        }
        let currencies = entries.map { entry in
            var bytes = Array(entry.code.utf8.prefix(length))
            while bytes.count < length { bytes.append(0x20) }
            var trimmed = bytes
            while trimmed.last == 0x20 { trimmed.removeLast() }
            let range: ClosedRange<Int64> = entry.minorUnits == 0 ? 100...50_000 : 100...500_000
            return Currency(fieldBytes: bytes, key: String(decoding: trimmed, as: UTF8.self), minorUnits: entry.minorUnits,
                            homeWeight: entry.homeWeight, ladder: Self.ladder(range))
        }
        self.currencies = currencies
        sortedOrder = currencies.indices.sorted { Array(currencies[$0].key.utf8).lexicographicallyPrecedes(currencies[$1].key.utf8) }
        var running = 0
        cumulativeHomeWeights = currencies.map { running += $0.homeWeight; return running }
    }

    /// Draws a home currency by weight.
    func drawHome(_ random: inout GeneratorRandom) -> Int {
        let point = random.index(cumulativeHomeWeights.last!)
        return cumulativeHomeWeights.firstIndex { point < $0 }!
    }

    /// Log-spaced amounts, so small amounts are common and large ones rare, as in card traffic.
    private static func ladder(_ range: ClosedRange<Int64>) -> [Int64] {
        let low = log(Double(range.lowerBound))
        let high = log(Double(range.upperBound))
        return (0...ladderSteps).map { step in
            let value = Int64(exp(low + (high - low) * Double(step) / Double(ladderSteps)).rounded())
            return min(max(value, range.lowerBound), range.upperBound)
        }
    }
}
