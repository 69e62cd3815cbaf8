/// The part of a layout that only structured layouts have (`records:` written as a list): record
/// kinds beyond header/detail/trailer, context from group and file headers, variants, controls at
/// group and file level. See docs/structured-layouts.md.
public struct StructuredSpec: Sendable, Equatable {
    /// Where a detail's currency comes from.
    public enum Currency: Sendable, Equatable {
        /// The same code for every record (NACHA `USD`).
        case value(String)
        /// A field of the detail or of its context, by name.
        case field(String)
    }

    /// What follows the file trailer.
    public enum AfterTrailer: String, Sendable, CaseIterable {
        /// Rejected with `after_trailer`.
        case reject
        /// Skipped, counted as one `after_trailer` warning.
        case ignore
        /// Another logical file may start (concatenated files).
        case nextFile = "next_file"
    }

    public var currency: Currency?
    /// Field names composing the merchant key (trimmed, empty parts dropped, joined with `|`); empty
    /// means the detail's `merchant` role field.
    public var merchant: [String]
    public var afterTrailer: AfterTrailer
    /// Record specs in classification order.
    public var records: [StructuredRecordSpec]

    public init(currency: Currency?, merchant: [String], afterTrailer: AfterTrailer, records: [StructuredRecordSpec]) {
        self.currency = currency
        self.merchant = merchant
        self.afterTrailer = afterTrailer
        self.records = records
    }

    /// The separator between the parts of a composed merchant key.
    public static let merchantSeparator = UInt8(ascii: "|")
}

/// The kinds of record a structured layout can declare.
public enum StructuredKind: String, Sendable, CaseIterable, Codable {
    case fileHeader = "file_header"
    case groupHeader = "group_header"
    case detail
    case continuation
    case other
    case groupTrailer = "group_trailer"
    case fileTrailer = "file_trailer"
    case filler
}

/// One record spec of a structured layout: how to recognise it and its fields.
public struct StructuredRecordSpec: Sendable, Equatable {
    /// More bytes that must match, at a 1-based position.
    public struct Match: Sendable, Equatable {
        public var start: Int
        public var value: String
    }

    /// A condition on a context field (of the group or file header in force).
    public struct When: Sendable, Equatable {
        public var field: String
        public var values: [String]
    }

    public var kind: StructuredKind
    /// Shown in messages and `inspect`; defaults to the kind.
    public var name: String
    /// The bytes at `codeAt` (or the layout's `record_type`); nil for filler.
    public var code: String?
    public var codeAt: [Position]?
    public var match: [Match]
    public var when: When?
    /// Bytes per record of this kind; nil means the layout's `record_length`.
    public var length: Int?
    /// For filler: the byte every position holds.
    public var fill: String?
    public var fields: [FieldSpec]
    public var controls: [ControlSpec]
    /// Details: roles read from another record of the entry (`roles: {amount: segment_u.amount_paid}`).
    public var roles: [RoleSource] = []
    /// YAML line, for messages.
    public var line: Int?

    /// A detail's role taken from a field of one of its continuation records (`record` names the
    /// continuation spec) or of its context (`record` nil: a group or file header field).
    public struct RoleSource: Sendable, Equatable {
        public var role: FieldRole
        public var record: String?
        public var field: String
        public var line: Int?

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.role == rhs.role && lhs.record == rhs.record && lhs.field == rhs.field
        }
    }

    public init(kind: StructuredKind, name: String, code: String?, codeAt: [Position]?, match: [Match], when: When?,
                length: Int?, fill: String?, fields: [FieldSpec], controls: [ControlSpec], line: Int?) {
        self.kind = kind
        self.name = name
        self.code = code
        self.codeAt = codeAt
        self.match = match
        self.when = when
        self.length = length
        self.fill = fill
        self.fields = fields
        self.controls = controls
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.kind == rhs.kind && lhs.name == rhs.name && lhs.code == rhs.code && lhs.codeAt == rhs.codeAt
            && lhs.match == rhs.match && lhs.when == rhs.when && lhs.length == rhs.length && lhs.fill == rhs.fill
            && lhs.fields == rhs.fields && lhs.controls == rhs.controls && lhs.roles == rhs.roles
    }
}

/// A control declared on a trailer (or group header): a field of that record and the figure over
/// the record's scope it must equal.
public struct ControlSpec: Sendable, Equatable {
    public enum Sum: Sendable, Equatable, Hashable {
        case debit, credit, amount, net, fee
        /// The numeric value of a digits field of every valid detail.
        case field(String)
    }

    public enum Measure: Sendable, Equatable, Hashable {
        /// Records of these kinds; nil means every physical record, filler included.
        case count([StructuredKind]?)
        case sum(Sum)
        /// Text equality with a field of the group header in force.
        case equals(String)
        /// `ordinal: group`: the group's 1-based position in its file (Visa's batch number).
        case ordinal
    }

    public var name: String
    public var field: String
    public var measure: Measure
    public var modulo: Int128?
    public var per: Int?
    /// Only details whose field (trimmed) is in the list.
    public var whereField: String?
    public var whereValues: [String]
    /// A declared zero means "not provided".
    public var unlessZero: Bool
    /// `over: all`: a `sum` of a field over every record that has it, not only details.
    public var overAll = false
    public var line: Int?

    public init(name: String, field: String, measure: Measure, modulo: Int128? = nil, per: Int? = nil, whereField: String? = nil,
                whereValues: [String] = [], unlessZero: Bool = false, line: Int? = nil) {
        self.name = name
        self.field = field
        self.measure = measure
        self.modulo = modulo
        self.per = per
        self.whereField = whereField
        self.whereValues = whereValues
        self.unlessZero = unlessZero
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.field == rhs.field && lhs.measure == rhs.measure && lhs.modulo == rhs.modulo
            && lhs.per == rhs.per && lhs.whereField == rhs.whereField && lhs.whereValues == rhs.whereValues
            && lhs.unlessZero == rhs.unlessZero && lhs.overAll == rhs.overAll
    }
}
