import SettleEngine

/// The generator's own seeded random source: xoshiro256** with its state seeded through SplitMix64.
///
/// The generator never uses the system RNG, so the same seed and options give the same bytes on every
/// machine and Swift version. Separate streams (one per purpose) keep, for example, the transactions
/// of a seed the same whether or not faults are injected.
struct GeneratorRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// The purposes that get their own stream; the raw value is mixed into the seed.
    enum Stream: UInt64 {
        case setup = 1, transactions, fields, faults, ledger, neverSettled, ledgerStyle, references
    }

    init(seed: UInt64, stream: Stream) {
        // SplitMix64, as the xoshiro authors recommend for seeding. The wrapping arithmetic is the
        // algorithm (a hash over 2^64), not a sum that could overflow meaningfully.
        var state = seed ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED03)
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// The next 64 random bits (xoshiro256**; wrapping arithmetic is part of the algorithm).
    mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let shifted = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= shifted
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform value in `0..<bound` (Lemire's multiply-and-reject, without bias). `bound` > 0.
    mutating func below(_ bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniform index in `0..<count`. `count` > 0.
    mutating func index(_ count: Int) -> Int {
        Int(below(UInt64(count)))
    }

    /// True with the probability whose `threshold(probability:)` is given.
    mutating func chance(_ threshold: UInt64) -> Bool {
        next() < threshold
    }

    /// The value `next()` falls below with `probability` (clamped to 0...1).
    static func threshold(probability: Double) -> UInt64 {
        if !(probability > 0) { return 0 }
        if probability >= 1 { return UInt64.max }
        // 53 bits is a Double's precision; shifting up keeps the comparison in 64-bit space.
        return UInt64(probability * 9_007_199_254_740_992.0) << 11
    }

    private func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
