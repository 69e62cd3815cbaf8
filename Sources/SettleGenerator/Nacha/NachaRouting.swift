import SettleEngine

/// The banks of a generated NACHA file: receiving DFIs (the entries' 4-11, summed into the entry
/// hash), originating DFIs (the batches' 80-87 and the first half of every trace number) and the
/// ACH operator whose routing number starts the ADV entries' trace numbers.
///
/// Routing numbers are 8-digit identifications with a real ABA check digit (weights 3, 7, 1); the
/// first two digits are a Federal Reserve district (01-12) or its thrift range (21-32).
struct NachaRouting {
    /// The 8-digit identifications of the receiving banks.
    let receivers: [UInt64]
    /// Their check digits (position 12 of an entry).
    let receiverCheckDigits: [UInt8]
    let originators: [UInt64]
    /// Starts the trace numbers of ADV entries (80-87); never one of `originators`.
    let operatorRouting: UInt64

    static let receiverCount = 2_000
    static let originatorCount = 6

    init(random: inout GeneratorRandom) {
        var seen = Set<UInt64>()
        func fresh() -> UInt64 {
            while true {
                let district = UInt64(1 + random.index(12)) + (random.index(4) == 0 ? 20 : 0)
                let value = district * 1_000_000 + random.below(1_000_000)
                if seen.insert(value).inserted { return value }
            }
        }
        receivers = (0..<Self.receiverCount).map { _ in fresh() }
        receiverCheckDigits = receivers.map(Self.checkDigit)
        originators = (0..<Self.originatorCount).map { _ in fresh() }
        operatorRouting = fresh()
    }

    /// The ABA check digit of an 8-digit routing identification.
    static func checkDigit(_ identification: UInt64) -> UInt8 {
        let weights: [UInt64] = [3, 7, 1, 3, 7, 1, 3, 7]
        var rest = identification
        var sum: UInt64 = 0
        for index in stride(from: 7, through: 0, by: -1) {
            sum += (rest % 10) * weights[index]
            rest /= 10
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// The 9-digit routing number (identification and check digit) as a number.
    static func routingNumber(_ identification: UInt64) -> UInt64 {
        identification * 10 + UInt64(checkDigit(identification))
    }
}
