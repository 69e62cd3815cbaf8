/// One JSON object on one line (JSON Lines), as log shippers read them: keys in the order given,
/// strings escaped as `summary.json`'s are. Used for `--log-format json`.
public struct JSONLine: Sendable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case array([Value])
        case object([(String, Value)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            var left: [UInt8] = [], right: [UInt8] = []
            lhs.append(to: &left)
            rhs.append(to: &right)
            return left == right
        }

        func append(to out: inout [UInt8]) {
            switch self {
            case .string(let text): JSONWriter.appendString(text, to: &out)
            case .integer(let value): out.append(contentsOf: String(value).utf8)
            case .number(let value): out.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8)
            case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
            case .array(let values):
                out.append(UInt8(ascii: "["))
                for (index, value) in values.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    value.append(to: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .object(let fields):
                JSONLine.appendObject(fields, to: &out)
            }
        }
    }

    /// `{"key":value,...}` without a line end.
    public static func render(_ fields: [(String, Value)]) -> String {
        var out: [UInt8] = []
        appendObject(fields, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendObject(_ fields: [(String, Value)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value.append(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Now as an ISO 8601 UTC timestamp with milliseconds.
    public static func timestampNow() -> String {
        let now = Syscalls.wallClock()
        return Timestamp.iso8601(seconds: now.seconds, nanoseconds: now.nanoseconds)
    }

    /// Now in Unix seconds (for metrics).
    public static func unixSecondsNow() -> Double {
        let now = Syscalls.wallClock()
        return Double(now.seconds) + Double(now.nanoseconds) / 1e9
    }
}
