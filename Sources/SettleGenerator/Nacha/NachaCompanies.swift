import SettleEngine

/// The merchants of a generated NACHA file: companies (a company identification with a company
/// name) that originate PPD, CCD, WEB, TEL, ADV and COR batches, and IAT originators (an
/// identification alone: an IAT batch header has no company name).
///
/// A payroll processor files many employers under its one identification, so several names share an
/// id; the merchant key is what `nacha.yaml` makes of the batch header: the trimmed identification
/// (41-50) and the trimmed name (5-20) joined by `|`, an empty name dropped. Keys are distinct by
/// construction: ids are distinct across groups, names distinct within a group, a blank name only in
/// a group of its own, and an IAT originator never takes the id of a company with a blank name.
struct NachaCompanies {
    /// One merchant: the header bytes as written, and the key the totals are reported under.
    struct Company {
        /// Company identification, 10 bytes as written at 41-50 (digits, or left-justified and padded).
        var id: [UInt8]
        /// Company name, 16 bytes as written at 5-20 (left-justified, padded; all blanks for IAT).
        var name: [UInt8]
        var key: [UInt8]
        var isIAT: Bool
    }

    static let idLength = 10
    static let nameLength = 16

    let companies: [Company]
    /// Indices of domestic companies and IAT originators, busiest first: draws are skewed by rank.
    let domestic: [Int]
    let iat: [Int]
    /// Merchant indices in bytewise order of their keys (the order of `totals.csv`).
    let keyOrder: [Int]
    /// Cumulative Zipf weights (1/rank) over `domestic` and `iat`, scaled to 2^32, for draws by
    /// binary search: one draw per batch, so a search of 20 steps costs nothing.
    private let domesticCumulative: [UInt64]
    private let iatCumulative: [UInt64]

    var count: Int { companies.count }
    var hasIAT: Bool { !iat.isEmpty }

    init(count: Int, random: inout GeneratorRandom) {
        // IAT originators: about one merchant in 25, none in a population too small to spare one.
        let iatCount = count >= 4 ? max(1, count / 25) : 0
        let domesticCount = count - iatCount
        var usedIds = Set<[UInt8]>()
        var companies: [Company] = []
        companies.reserveCapacity(count)
        // Ids of groups whose names are all non-blank: IAT originators may share them.
        var shareableIds: [[UInt8]] = []

        while companies.count < domesticCount {
            let id = Self.freshId(&random, used: &usedIds)
            let remaining = domesticCount - companies.count
            let groupSize = min(remaining, Self.drawGroupSize(&random))
            if groupSize == 1 && random.index(100) == 0 {
                // A company that leaves its name blank: its key is the id alone.
                companies.append(Company(id: id, name: Self.blankName, key: Self.trimmed(id), isIAT: false))
                continue
            }
            var names = Set<[UInt8]>()
            for _ in 0..<groupSize {
                var name = NachaNames.companyName(&random)
                var suffix = 2
                while names.contains(Self.trimmed(name)) {
                    name = NachaNames.numbered(name, suffix, length: Self.nameLength)
                    suffix += 1
                }
                names.insert(Self.trimmed(name))
                companies.append(Company(id: id, name: name, key: Self.trimmed(id) + [UInt8(ascii: "|")] + Self.trimmed(name),
                                         isIAT: false))
            }
            shareableIds.append(id)
        }
        for _ in 0..<iatCount {
            // Three IAT originators in ten also file domestic batches under the same id (their keys
            // differ: the IAT key has no name); the others have ids of their own.
            var id: [UInt8]
            if !shareableIds.isEmpty && random.index(10) < 3 {
                id = shareableIds.swapRemoveRandom(&random)
            } else {
                id = Self.freshId(&random, used: &usedIds)
            }
            companies.append(Company(id: id, name: Self.blankName, key: Self.trimmed(id), isIAT: true))
        }

        // Traffic rank: a random order, so the busiest merchants are spread over the key range.
        var domestic = Array(0..<domesticCount)
        var iat = Array(domesticCount..<count)
        Self.shuffle(&domestic, &random)
        Self.shuffle(&iat, &random)
        self.companies = companies
        self.domestic = domestic
        self.iat = iat
        domesticCumulative = Self.cumulativeZipf(domestic.count)
        iatCumulative = Self.cumulativeZipf(iat.count)
        keyOrder = companies.indices.sorted { companies[$0].key.lexicographicallyPrecedes(companies[$1].key) }
    }

    /// A company for a domestic batch (PPD, CCD, WEB, TEL, ADV, COR), busy ones more often.
    func drawDomestic(_ random: inout GeneratorRandom) -> Int {
        domestic[Self.draw(domesticCumulative, &random)]
    }

    /// An IAT originator; only when `hasIAT`.
    func drawIAT(_ random: inout GeneratorRandom) -> Int {
        iat[Self.draw(iatCumulative, &random)]
    }

    // ---- construction ----------------------------------------------------------------------

    static let blankName = [UInt8](repeating: 0x20, count: nameLength)

    /// Group sizes: most ids carry one name; one in ten is a processor with up to 40 employers.
    private static func drawGroupSize(_ random: inout GeneratorRandom) -> Int {
        switch random.index(100) {
        case 0..<75: 1
        case 75..<90: 2 + random.index(4)
        default: 6 + random.index(35)
        }
    }

    /// A company identification not used before, in one of the forms found in real files.
    private static func freshId(_ random: inout GeneratorRandom, used: inout Set<[UInt8]>) -> [UInt8] {
        while true {
            var id = [UInt8](repeating: 0x20, count: idLength)
            switch random.index(20) {
            case 0..<8:
                // "1" and a 9-digit EIN, all 10 positions digits.
                id[0] = UInt8(ascii: "1")
                DecimalDigits.write(10_000_000 + random.below(990_000_000), into: &id, at: 1, width: 9)
            case 8..<13:
                // A 9-digit EIN, left-justified: "881234567 ".
                DecimalDigits.write(10_000_000 + random.below(990_000_000), into: &id, at: 0, width: 9)
            case 13..<17:
                DecimalDigits.write(random.below(10_000_000_000), into: &id, at: 0, width: 10)
            case 17..<19:
                // A short number, left-justified: "001       ".
                let width = 3 + random.index(4)
                DecimalDigits.writeRandom(into: &id, at: 0, length: width, random: &random)
            default:
                // Letters and digits, left-justified: "ACMEPAY7  ".
                let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
                let width = 4 + random.index(6)
                for index in 0..<width {
                    id[index] = index < width - 1 || random.index(2) == 0
                        ? letters[random.index(letters.count)] : 0x30 | UInt8(random.index(10))
                }
            }
            if used.insert(trimmed(id)).inserted { return id }
        }
    }

    /// The bytes without leading and trailing blanks.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }) else { return [] }
        let last = bytes.lastIndex(where: { $0 != 0x20 })!
        return Array(bytes[first...last])
    }

    /// Fisher-Yates with the generator's own random source (the standard library's shuffle may change
    /// between Swift versions; the generator's bytes must not).
    private static func shuffle(_ values: inout [Int], _ random: inout GeneratorRandom) {
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, random.index(index + 1))
        }
    }

    /// Cumulative weights 1/rank, scaled so the last is 2^32.
    private static func cumulativeZipf(_ count: Int) -> [UInt64] {
        guard count > 0 else { return [] }
        let total = (1...count).reduce(0.0) { $0 + 1.0 / Double($1) }
        var running = 0.0
        var cumulative = (1...count).map { rank -> UInt64 in
            running += 1.0 / Double(rank)
            return UInt64((running / total * 4_294_967_296.0).rounded(.down))
        }
        cumulative[count - 1] = 1 << 32
        return cumulative
    }

    /// The first index whose cumulative weight exceeds a uniform 32-bit draw.
    private static func draw(_ cumulative: [UInt64], _ random: inout GeneratorRandom) -> Int {
        let point = random.next() >> 32
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > point { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

extension Array {
    /// Removes and returns a random element (order not kept).
    fileprivate mutating func swapRemoveRandom(_ random: inout GeneratorRandom) -> Element {
        let index = random.index(count)
        swapAt(index, count - 1)
        return removeLast()
    }
}
