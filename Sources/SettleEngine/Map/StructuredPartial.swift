/// What a partition of a structured file learned about the file's structure: the measures of
/// every group and file scope it touched (stitched with other partitions' by the scope's key), the
/// values the trailers and headers it read declare, and the physical-form warnings it found.
public struct StructuredPartial: Sendable, Codable, Equatable {
    /// Where a record is: its spec (variant), partition, index within the partition and byte offset.
    public struct RecordRef: Sendable, Codable, Equatable {
        public var spec: Int
        public var partition: Int
        public var local: Int
        public var offset: Int
    }

    /// A control's declared value as read (digits, or text for `equals`), and for `equals` the
    /// group header's value it is compared with. Nil when the field could not be read.
    public struct Declared: Sendable, Codable, Equatable {
        public var value: String?
        public var other: String?
        /// For `equals`: the two values are equal trimmed but justified differently (one has
        /// leading blanks the other has not): read with a `justification` warning.
        public var justified = false

        public init(value: String?, other: String?, justified: Bool = false) {
            self.value = value
            self.other = other
            self.justified = justified
        }
    }

    /// One group (`isFile` false) or logical file, keyed by its header's byte offset (-1: records
    /// before any file header).
    public struct Scope: Sendable, Codable, Equatable {
        public var isFile: Bool
        public var key: Int
        /// Int128 decimal strings, one per `StructuredLayout.measures`.
        public var measures: [String]
        public var header: RecordRef?
        public var headerValues: [Declared]?
        public var trailer: RecordRef?
        public var trailerValues: [Declared]?
        /// Records seen in this scope by this partition.
        public var records: Int
    }

    /// One kind of physical-form warning: how many records, and the first few (partition, local).
    public struct Warning: Sendable, Codable, Equatable {
        public var kind: String
        public var count: Int
        public var first: [[Int]]
    }

    public var scopes: [Scope] = []
    public var warnings: [Warning] = []
    /// Message layouts with a message number (`MessageSequence`).
    public var sequence: MessageSequence?

    public init() {}

    /// How many positions a warning keeps, per partition and in the summary.
    public static let warningPositions = 5
}

/// The physical forms read with a warning (see docs/structured-layouts.md); stable codes.
public enum StructuredWarning: String, Sendable, CaseIterable {
    case terminator, bom, trimmed, multibyte, unseparated
    case blankLine = "blank_line"
    case afterTrailer = "after_trailer"
    /// An `equals` control whose values are equal trimmed but justified differently.
    case justification
}

/// A partition of a file with many groups carries one scope per group into its marker: encoded
/// through `Codable` field by field that took a third of the map stage on 20,000 NACHA batches. So
/// the partial is one string in the marker, a line per scope or warning:
/// `S <isFile> <key> <records> <measures,...> <header> <headerValues> <trailer> <trailerValues>` and
/// `W <kind> <count> <partition:local,...>`, tab-separated; a record reference is
/// `spec:partition:local:offset` (`-` for none); declared values are `value,other` items joined by
/// `;` (`-` for no list, `~` for a missing value); text is percent-escaped.
extension StructuredPartial {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self.init()
        func fail(_ line: Substring) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad structured partial line: \(line)"))
        }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            switch fields.first {
            case "S" where fields.count == 9:
                guard let key = Int(fields[2]), let records = Int(fields[3]) else { throw fail(line) }
                let measures = fields[4].isEmpty ? [] : fields[4].split(separator: ",").map(String.init)
                scopes.append(Scope(isFile: fields[1] == "1", key: key, measures: measures, header: try Self.reference(fields[5], fail(line)),
                                    headerValues: Self.declared(fields[6]), trailer: try Self.reference(fields[7], fail(line)),
                                    trailerValues: Self.declared(fields[8]), records: records))
            case "Q":
                guard let sequence = MessageSequence(fields) else { throw fail(line) }
                self.sequence = sequence
            case "W" where fields.count == 4:
                guard let count = Int(fields[2]) else { throw fail(line) }
                let first = fields[3].isEmpty ? [] : fields[3].split(separator: ",").map { $0.split(separator: ":").compactMap { Int($0) } }
                warnings.append(Warning(kind: Self.unescape(fields[1]), count: count, first: first))
            default:
                throw fail(line)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var text = ""
        for scope in scopes {
            text += "S\t\(scope.isFile ? 1 : 0)\t\(scope.key)\t\(scope.records)\t\(scope.measures.joined(separator: ","))\t"
            text += Self.reference(scope.header) + "\t" + Self.declared(scope.headerValues) + "\t"
            text += Self.reference(scope.trailer) + "\t" + Self.declared(scope.trailerValues) + "\n"
        }
        for warning in warnings {
            text += "W\t\(Self.escape(warning.kind))\t\(warning.count)\t"
                + warning.first.map { $0.map(String.init).joined(separator: ":") }.joined(separator: ",") + "\n"
        }
        if let sequence { text += sequence.line }
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    private static func reference(_ ref: RecordRef?) -> String {
        ref.map { "\($0.spec):\($0.partition):\($0.local):\($0.offset)" } ?? "-"
    }

    private static func reference(_ text: Substring, _ error: @autoclosure () -> DecodingError) throws -> RecordRef? {
        if text == "-" { return nil }
        let parts = text.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 4 else { throw error() }
        return RecordRef(spec: parts[0], partition: parts[1], local: parts[2], offset: parts[3])
    }

    private static func declared(_ values: [Declared]?) -> String {
        guard let values else { return "-" }
        return values.map { (($0.value.map(escape) ?? "~") + "," + ($0.other.map(escape) ?? "~") + ($0.justified ? ",j" : "")) }
            .joined(separator: ";")
    }

    private static func declared(_ text: Substring) -> [Declared]? {
        if text == "-" { return nil }
        if text.isEmpty { return [] }
        return text.split(separator: ";", omittingEmptySubsequences: false).map { item in
            let parts = item.split(separator: ",", omittingEmptySubsequences: false)
            func value(_ index: Int) -> String? {
                guard index < parts.count, parts[index] != "~" else { return nil }
                return unescape(parts[index])
            }
            return Declared(value: value(0), other: value(1), justified: parts.count > 2 && parts[2] == "j")
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%", "\t", "\n", "\r", ",", ";", "~", "-", ":":
                out += "%" + String(scalar.value, radix: 16, uppercase: true).leftPadded(2)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func unescape(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
               let value = UInt8(String(decoding: utf8[utf8.index(after: index)..<end], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = end
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
