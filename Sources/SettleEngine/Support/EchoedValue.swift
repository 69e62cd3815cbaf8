/// A data value quoted in a message, a log line or a reject's detail: short, and never a whole card
/// number. Messages quote values to say what is wrong; they never carry data in bulk.
package enum EchoedValue {
    /// Characters of one value shown at most.
    package static let maxCharacters = 40
    /// Values of a list shown at most.
    package static let maxListed = 12

    /// `text` cut to `maxCharacters` (with "..." and its full length in bytes), each run of 13 to 19
    /// digits that passes the Luhn check (a PAN) masked but for its first 6 and last 4.
    package static func short(_ text: String, maxCharacters: Int = maxCharacters) -> String {
        let masked = maskingCardNumbers(text)
        guard masked.count > maxCharacters else { return masked }
        return String(masked.prefix(maxCharacters)) + "... (\(text.utf8.count) bytes)"
    }

    /// The first `maxListed` values, quoted and shortened, then how many more there are.
    package static func list(_ values: [String], maxListed: Int = maxListed) -> String {
        let shown = values.prefix(maxListed).map { "'\(short($0))'" }.joined(separator: ", ")
        return values.count > maxListed ? "\(shown) and \(values.count - maxListed) more" : shown
    }

    static func maskingCardNumbers(_ text: String) -> String {
        var bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            guard isDigit(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && isDigit(bytes[end]) { end += 1 }
            if (13...19).contains(end - index) && passesLuhn(bytes[index..<end]) {
                for position in (index + 6)..<(end - 4) { bytes[position] = UInt8(ascii: "*") }
            }
            index = end
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func passesLuhn(_ digits: ArraySlice<UInt8>) -> Bool {
        var sum = 0
        for (position, byte) in digits.reversed().enumerated() {
            var digit = Int(byte - 0x30)
            if position % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }
}
