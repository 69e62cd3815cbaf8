/// A minimal JSON writer that keeps keys in the order written, so `summary.json` is byte-stable for
/// identical inputs and reads top-down the way the README documents it.
public struct JSONWriter {
    private var out: [UInt8] = []
    private var needsComma: [Bool] = [false]
    private var indent = 0

    public init() {}

    public var bytes: [UInt8] { out + [0x0A] }

    private mutating func newline() {
        out.append(0x0A)
        out.append(contentsOf: [UInt8](repeating: 0x20, count: indent * 2))
    }

    private mutating func prefix(_ key: String?) {
        if needsComma[needsComma.count - 1] { out.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        if needsComma.count > 1 { newline() }
        if let key {
            Self.appendString(key, to: &out)
            out.append(contentsOf: Array(": ".utf8))
        }
    }

    public mutating func beginObject(_ key: String? = nil) {
        prefix(key)
        out.append(UInt8(ascii: "{"))
        needsComma.append(false)
        indent += 1
    }

    public mutating func endObject() {
        let hadItems = needsComma.removeLast()
        indent -= 1
        if hadItems { newline() }
        out.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray(_ key: String? = nil) {
        prefix(key)
        out.append(UInt8(ascii: "["))
        needsComma.append(false)
        indent += 1
    }

    public mutating func endArray() {
        let hadItems = needsComma.removeLast()
        indent -= 1
        if hadItems { newline() }
        out.append(UInt8(ascii: "]"))
    }

    public mutating func string(_ key: String?, _ value: String) {
        prefix(key)
        Self.appendString(value, to: &out)
    }

    public mutating func optionalString(_ key: String?, _ value: String?) {
        if let value { string(key, value) } else { null(key) }
    }

    public mutating func number(_ key: String?, _ value: Int) {
        prefix(key)
        out.append(contentsOf: Array(String(value).utf8))
    }

    public mutating func number(_ key: String?, _ value: Double, decimals: Int = 3) {
        prefix(key)
        guard value.isFinite else { out.append(contentsOf: Array("null".utf8)); return }
        let scale = (0..<decimals).reduce(1.0) { value, _ in value * 10 }
        let scaled = (value * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
        var text = value < 0 && whole == 0 ? "-0" : String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        out.append(contentsOf: Array(text.utf8))
    }

    /// Money as a string of digits (JSON readers that use doubles lose precision past 2^53).
    public mutating func money(_ key: String?, _ value: Int128) {
        string(key, String(value))
    }

    public mutating func bool(_ key: String?, _ value: Bool) {
        prefix(key)
        out.append(contentsOf: Array((value ? "true" : "false").utf8))
    }

    public mutating func null(_ key: String?) {
        prefix(key)
        out.append(contentsOf: Array("null".utf8))
    }

    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: Array("\\\"".utf8))
            case UInt8(ascii: "\\"): out.append(contentsOf: Array("\\\\".utf8))
            case 0x0A: out.append(contentsOf: Array("\\n".utf8))
            case 0x0D: out.append(contentsOf: Array("\\r".utf8))
            case 0x09: out.append(contentsOf: Array("\\t".utf8))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
