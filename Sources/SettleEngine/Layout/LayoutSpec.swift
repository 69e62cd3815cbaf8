/// The declarative description of a fixed-width file, as written in a layout YAML file.
///
/// Positions are 1-based and inclusive (`start`), as in bank specifications; the compiled form
/// (`CompiledLayout`) converts them once into 0-based `offset`s. This is the contract users and later
/// stages rely on: the engine never hard-codes a position.
public struct LayoutSpec: Sendable, Equatable {
    public var name: String
    /// Bytes per record, excluding the terminator.
    public var recordLength: Int
    public var terminator: Terminator
    /// Where the record-type code sits; one or more 1-based ranges whose bytes are concatenated.
    public var recordType: [Position]
    /// Record kinds in the order they appear in the YAML file.
    public var records: [RecordSpec]
    /// Where the text came from (a path or `builtin:NAME`), for messages.
    public var source: String
    /// Set for a structured layout (`records:` is a list): groups, continuations, context, controls.
    /// `records` is then empty.
    public var structure: StructuredSpec?
    /// Set when the records are length-prefixed ISO 8583 messages (`message:`); the fields are then
    /// positions in each message's flat record (see `MessageSpec`).
    public var message: MessageSpec?
    /// The code page the records are written in (`encoding:`; structured layouts). `auto` is
    /// resolved per file by the planner, which compiles the layout again for what it found.
    public var encoding: LayoutEncoding = .ascii

    public init(name: String, recordLength: Int, terminator: Terminator, recordType: [Position],
                records: [RecordSpec], source: String) {
        self.name = name
        self.recordLength = recordLength
        self.terminator = terminator
        self.recordType = recordType
        self.records = records
        self.source = source
    }

    public func record(_ kind: RecordKind) -> RecordSpec? {
        records.first { $0.kind == kind }
    }
}

/// A 1-based inclusive byte range within a record.
public struct Position: Sendable, Equatable {
    public var start: Int
    public var length: Int
    /// 0-based offset of the first byte.
    public var offset: Int { start - 1 }
    /// 1-based position of the last byte.
    public var end: Int { start + length - 1 }

    public init(start: Int, length: Int) {
        self.start = start
        self.length = length
    }
}

/// How records are separated in the file.
public enum Terminator: String, Sendable, CaseIterable {
    case lf, crlf, none, auto
}

/// The kinds of record a layout can declare. Later formats add group and continuation records.
public enum RecordKind: String, Sendable, CaseIterable {
    case header, detail, trailer
}

/// One record kind: its type code and fields.
public struct RecordSpec: Sendable, Equatable {
    public var kind: RecordKind
    /// The bytes found at the layout's `record_type` positions.
    public var code: String
    public var fields: [FieldSpec]

    public init(kind: RecordKind, code: String, fields: [FieldSpec]) {
        self.kind = kind
        self.code = code
        self.fields = fields
    }
}

/// The value types a field can have; each has its own alphabet and validation.
public enum FieldType: String, Sendable, CaseIterable {
    /// Any printable bytes, right-trimmed.
    case text
    /// `0`-`9` only.
    case digits
    /// Unsigned integer in minor units, digits only.
    case amount
    /// Zoned decimal with an overpunched last character (structured layouts only).
    case signedAmount = "signed_amount"
    /// Digits followed by one sign byte: `D`, `+` or blank positive, `C` or `-` negative
    /// (structured layouts only; Visa's interchange fee and its sign).
    case signedTrailing = "signed_trailing"
    /// `YYYYMMDD`, a real calendar date.
    case date
    /// One of a listed set of values.
    case code
}

/// What a field means to the engine.
public enum FieldRole: String, Sendable, CaseIterable {
    case merchant, currency, amount, direction, fee, reference
    /// Optional: the transaction's date (any type), kept with the detail for later stages.
    case date
    case controlCount = "control_count"
    case controlDebit = "control_debit"
    case controlCredit = "control_credit"
    case controlFee = "control_fee"

    /// The record kind a role belongs on.
    public var recordKind: RecordKind {
        switch self {
        case .merchant, .currency, .amount, .direction, .fee, .reference, .date: return .detail
        case .controlCount, .controlDebit, .controlCredit, .controlFee: return .trailer
        }
    }

    /// Roles every layout must have.
    public static let required: [FieldRole] = [.merchant, .currency, .amount, .direction]
}

/// One field of a record kind.
public struct FieldSpec: Sendable, Equatable {
    public var name: String
    public var position: Position
    public var type: FieldType
    public var role: FieldRole?
    /// Masked wherever record content is shown (first 6 and last 4 characters kept).
    public var sensitive: Bool
    /// An all-blank value is accepted.
    public var optional: Bool
    /// For `code` fields: the accepted values. For the direction role these are `debit` and `credit`.
    public var values: [String]
    /// For a `direction` code field: the value that means debit (a sale) and credit (a refund).
    public var debit: String?
    public var credit: String?
    /// YAML line of the field, for messages.
    public var line: Int?
    /// Structured layouts: every value that means debit and credit (a code table); `debit` and
    /// `credit` are the first of each.
    public var debitValues: [String] = []
    public var creditValues: [String] = []
    /// Implied decimals of an amount (structured layouts; nil means 2).
    public var scale: Int?
    /// `scale: currency`: the implied decimals are the minor units of the record's ISO 4217 currency.
    public var scaleFromCurrency = false
    /// `codes: iso4217-numeric`: the field holds an ISO 4217 numeric currency code (`840`), read as
    /// its alpha code (`USD`).
    public var numericCurrency = false

    public init(name: String, position: Position, type: FieldType, role: FieldRole? = nil,
                sensitive: Bool = false, optional: Bool = false, values: [String] = [],
                debit: String? = nil, credit: String? = nil, line: Int? = nil) {
        self.name = name
        self.position = position
        self.type = type
        self.role = role
        self.sensitive = sensitive
        self.optional = optional
        self.values = values
        self.debit = debit
        self.credit = credit
        self.line = line
    }

    /// Every value a code field accepts (listed values plus debit and credit).
    public var acceptedCodes: [String] {
        var all = values
        for value in [debit].compactMap({ $0 }) + debitValues + [credit].compactMap({ $0 }) + creditValues where !all.contains(value) {
            all.append(value)
        }
        return all
    }

    public static func == (lhs: FieldSpec, rhs: FieldSpec) -> Bool {
        lhs.name == rhs.name && lhs.position == rhs.position && lhs.type == rhs.type
            && lhs.role == rhs.role && lhs.sensitive == rhs.sensitive && lhs.optional == rhs.optional
            && lhs.values == rhs.values && lhs.debit == rhs.debit && lhs.credit == rhs.credit
            && lhs.debitValues == rhs.debitValues && lhs.creditValues == rhs.creditValues && lhs.scale == rhs.scale
            && lhs.scaleFromCurrency == rhs.scaleFromCurrency && lhs.numericCurrency == rhs.numericCurrency
    }
}
