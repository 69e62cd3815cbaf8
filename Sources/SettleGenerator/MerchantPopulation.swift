import SettleEngine

/// The merchants of a generated file: their ids as written, their home currencies, and a skewed
/// (Zipf-like) share of the traffic, so a few merchants take most records as in real settlement files.
struct MerchantPopulation {
    let count: Int
    /// Every merchant's id padded to the field length, back to back (`count * fieldLength` bytes).
    /// Merchants are numbered by traffic rank (0 is the busiest), so the busy merchants' data sits
    /// together in memory; their ids are spread over the id range.
    let idBytes: [UInt8]
    /// Merchant indices in bytewise order of their ids (the order of `totals.csv`).
    let idOrder: [Int]
    let fieldLength: Int
    /// Length of each id without its padding (all ids have the same length).
    let idLength: Int
    /// Index into the currency table, per merchant.
    let homeCurrency: [Int]
    /// Vose alias table over merchants: column `i` gives merchant `i` when the draw's low 32 bits are
    /// below `threshold`, else `alias`. One memory access per draw, whatever the population.
    private let aliasTable: [AliasColumn]

    /// One column of the alias table: the share (of 2^32) kept by its own merchant, and the other.
    struct AliasColumn {
        var threshold: UInt32
        var alias: UInt32
    }

    /// Largest population the generator accepts.
    static let maxCount = 1_000_000

    init(count: Int, fieldType: FieldType, fieldLength: Int, fieldName: String,
         currencies: CurrencyTable, random: inout GeneratorRandom) throws(SettleError) {
        // Ids look like MER00012345 in text fields; digits fields hold the number alone.
        let prefix: [UInt8]
        let numberWidth: Int
        switch fieldType {
        case .text where fieldLength >= 11:
            (prefix, numberWidth) = (Array("MER".utf8), 8)
        case .text where fieldLength >= 2:
            (prefix, numberWidth) = (Array("M".utf8), fieldLength - 1)
        case .digits:
            (prefix, numberWidth) = ([], fieldLength)
        default:
            throw SettleError(.usage, "the generator writes merchant ids into text or digits fields; field '\(fieldName)' is \(fieldType.rawValue) of \(fieldLength) bytes")
        }
        let largest = DecimalDigits.maxValue(width: min(numberWidth, 18))
        guard Int64(count) <= largest else {
            throw SettleError(.usage, "\(count) merchants do not fit the \(fieldLength)-byte field '\(fieldName)'")
        }
        self.count = count
        self.fieldLength = fieldLength
        idLength = prefix.count + numberWidth

        // Distinct numbers, one random number inside each of `count` equal strides, dealt out to the
        // merchants in random order; ids have a fixed width, so number order is bytewise order.
        let spacing = UInt64(largest) / UInt64(count)
        var order = Array(0..<count)
        for index in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(index, random.index(index + 1))
        }
        var ids = [UInt8](repeating: 0x20, count: count * fieldLength)
        for (position, merchant) in order.enumerated() {
            let number = UInt64(position) * spacing + 1 + random.below(max(spacing, 1))
            let offset = merchant * fieldLength
            for (index, byte) in prefix.enumerated() { ids[offset + index] = byte }
            DecimalDigits.write(min(number, UInt64(largest)), into: &ids, at: offset + prefix.count, width: numberWidth)
        }
        idBytes = ids
        idOrder = order
        homeCurrency = (0..<count).map { _ in currencies.drawHome(&random) }

        // Zipf weights 1/rank: with 200 merchants the busiest 20% take about three quarters of the
        // records.
        aliasTable = Self.aliasTable((0..<count).map { 1.0 / Double($0 + 1) })
    }

    /// Builds the alias table (Vose's method) for `weights`.
    private static func aliasTable(_ weights: [Double]) -> [AliasColumn] {
        let count = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(count) / total }
        var table = (0..<count).map { AliasColumn(threshold: UInt32.max, alias: UInt32($0)) }
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let under = small.popLast(), let over = large.last {
            // Rounding can take a weight a hair below zero; clamp before converting.
            let threshold = min(max(scaled[under], 0), 1) * 4_294_967_295.0
            table[under] = AliasColumn(threshold: UInt32(threshold), alias: UInt32(over))
            scaled[over] -= 1 - scaled[under]
            if scaled[over] < 1 {
                large.removeLast()
                small.append(over)
            }
        }
        // Whatever remains (rounding) is a full column: it always gives its own merchant.
        return table
    }

    /// Draws a merchant index, busy merchants more often.
    func draw(_ random: inout GeneratorRandom) -> Int {
        let bits = random.next()
        // High 32 bits pick the column (bias below count / 2^32), low 32 bits the side.
        let column = Int(((bits >> 32) * UInt64(count)) >> 32)  // below 2^32 * 2^20: no overflow
        let entry = aliasTable[column]
        return UInt32(truncatingIfNeeded: bits) < entry.threshold ? column : Int(entry.alias)
    }

    /// The id without padding, as the ledger and ground truth write it.
    func id(_ merchant: Int) -> String {
        let offset = merchant * fieldLength
        return String(decoding: idBytes[offset..<(offset + idLength)], as: UTF8.self)
    }
}
