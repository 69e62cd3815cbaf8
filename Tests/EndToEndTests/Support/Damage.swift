/// Random damage of every kind to a file of lines, the same for the same seed: bytes cut out, a
/// garbage line inserted, a line doubled, one byte replaced by one of `replacements`, the end
/// truncated; 3 to 6 of them. Used by the structured layouts' damage tests.
enum Damage {
    static func apply(to bytes: inout [UInt8], seed: Int, replacements: [UInt8]) {
        var random = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Int((random >> 33) % UInt64(bound))
        }
        for _ in 0..<(3 + next(4)) {
            let at = next(bytes.count)
            switch next(5) {
            case 0: bytes.removeSubrange(at..<min(bytes.count, at + 1 + next(60)))
            case 1: bytes.insert(contentsOf: Array("GARBAGE LINE \(next(1000))\n".utf8), at: at)
            case 2:
                let start = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                let end = bytes[at...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
                bytes.insert(contentsOf: Array(bytes[start..<end]), at: end)
            case 3: bytes[at] = replacements[next(replacements.count)]
            default: bytes.removeLast(next(30))
            }
        }
    }
}
