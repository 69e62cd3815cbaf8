import Yams

/// How the company's ledger export is written (`--ledger-spec FILE`): which columns hold the
/// reference, merchant, currency, amount and direction, and how amounts and directions are spelled.
/// Every key is optional; the defaults read `arn,merchant_id,currency,amount,direction` with amounts
/// in minor units and `D`/`C` (or debit/credit, DR/CR, sale/refund) directions.
///
///     delimiter: ","
///     columns: {reference: arn, merchant: merchant_id, currency: currency, amount: amount, direction: direction}
///     amount: minor          # minor: 1234 | decimal: 12.34, scaled by the currency's minor units
///     signed: false          # true: no direction column; a leading '-' is a credit
///     directions: {debit: [D, DEBIT, DR, SALE], credit: [C, CREDIT, CR, REFUND]}
///     date_format: "%d/%m/%Y" # with columns.date (for `--match` passes on dates); default %Y-%m-%d
public struct LedgerSpec: Sendable, Equatable {
    /// The columns Settle reads, in this order everywhere (rejects name them by their header name).
    public enum Role: Int, CaseIterable, Sendable {
        case reference, merchant, currency, amount, direction
        /// Optional, read only when a `--match` pass needs dates.
        case date

        public var key: String {
            switch self {
            case .reference: "reference"
            case .merchant: "merchant"
            case .currency: "currency"
            case .amount: "amount"
            case .direction: "direction"
            case .date: "date"
            }
        }
    }

    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Header names by role; the direction's is nil when amounts are signed.
    public var columns: [String?] = ["arn", "merchant_id", "currency", "amount", "direction", nil]
    /// How the date column is written (`date_format`).
    public var dateFormat = DateFormat.iso
    public var decimalAmounts = false
    public var signed = false
    /// Upper-case words; values are compared after trimming and upper-casing.
    public var debitWords = ["D", "DEBIT", "DR", "SALE"]
    public var creditWords = ["C", "CREDIT", "CR", "REFUND"]

    public init() {}

    public static let defaultName = "default"

    /// Reads a spec file's text; every problem is reported with its line.
    public static func parse(text: String, source: String) throws -> LedgerSpec {
        var spec = LedgerSpec()
        func fail(_ message: String, _ node: Node?) -> SettleError {
            let line = node?.mark.map { " (line \($0.line))" } ?? ""
            return SettleError(.usage, "ledger spec \(source)\(line): \(message)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { return spec }
            root = node
        } catch {
            throw SettleError(.usage, "ledger spec \(source): \(YAMLProblem.describe(error, text: text))")
        }
        guard let map = root.mapping else { throw fail("expected a mapping of keys to values", root) }
        let allowed: Set = ["delimiter", "columns", "amount", "signed", "directions", "without_reference", "date_format"]
        for key in map.keys where !allowed.contains(key.string ?? "") {
            throw fail("unknown key '\(key.string ?? "?")' (allowed: \(allowed.sorted().joined(separator: ", ")))", key)
        }
        if let node = map["delimiter"] {
            guard let text = node.string, text.utf8.count == 1, text != "\"", text != "\n", text != "\r" else {
                throw fail("delimiter must be one character other than a quote or a line end", node)
            }
            spec.delimiter = text.utf8.first!
        }
        if let node = map["signed"] {
            guard let value = node.bool else { throw fail("signed must be true or false", node) }
            spec.signed = value
        }
        if let node = map["amount"] {
            switch node.string {
            case "minor": spec.decimalAmounts = false
            case "decimal": spec.decimalAmounts = true
            default: throw fail("amount must be 'minor' (1234) or 'decimal' (12.34)", node)
            }
        }
        if spec.signed { spec.columns[Role.direction.rawValue] = nil }
        if let node = map["columns"] {
            guard let columns = node.mapping else { throw fail("columns must map roles to header names", node) }
            for (key, value) in columns {
                guard let role = Role.allCases.first(where: { $0.key == key.string }) else {
                    throw fail("unknown column role '\(key.string ?? "?")' (roles: \(Role.allCases.map(\.key).joined(separator: ", ")))", key)
                }
                if value.null != nil {
                    spec.columns[role.rawValue] = nil
                    continue
                }
                guard let name = value.string, !name.isEmpty else { throw fail("column \(role.key) must be a header name", value) }
                spec.columns[role.rawValue] = name
            }
        }
        if let node = map["directions"] {
            guard let directions = node.mapping else { throw fail("directions must have debit and credit lists", node) }
            for (key, value) in directions {
                let words = (value.sequence.map { $0.compactMap(\.string) } ?? value.string.map { [$0] } ?? [])
                    .map { $0.trimmingSpaces.uppercased() }
                guard !words.isEmpty, !words.contains(""), words.allSatisfy({ $0.utf8.count <= 8 }) else {
                    throw fail("directions.\(key.string ?? "?") must list words of 1 to 8 characters", value)
                }
                switch key.string {
                case "debit": spec.debitWords = words
                case "credit": spec.creditWords = words
                default: throw fail("directions has debit and credit only, not '\(key.string ?? "?")'", key)
                }
            }
            if let shared = spec.debitWords.first(where: spec.creditWords.contains) {
                throw fail("'\(shared)' is listed as both debit and credit", node)
            }
        }
        if let node = map["date_format"] {
            guard let text = node.string else { throw fail("date_format must be a format such as \"%Y-%m-%d\"", node) }
            do {
                spec.dateFormat = try DateFormat(text)
            } catch let error as SettleError {
                throw fail(error.message, node)
            }
            if spec.columns[Role.date.rawValue] == nil { throw fail("date_format needs columns.date, the column it reads", node) }
        }
        // `without_reference: true`: a ledger without ARNs, matched only by `--match` passes
        // without reference (`MatchSpec.check` stops a run whose passes need it).
        var withoutReference = false
        if let node = map["without_reference"] {
            guard let value = node.bool else { throw fail("without_reference must be true or false", node) }
            withoutReference = value
            if value { spec.columns[Role.reference.rawValue] = nil }
        }
        if withoutReference && map["columns"]?.mapping?["reference"].map({ $0.null == nil }) == true {
            throw fail("without_reference: true and columns.reference name the same column: give one of them", map["without_reference"])
        }
        if spec.columns[Role.reference.rawValue] == nil && !withoutReference {
            throw fail("column reference is required (or without_reference: true, for a ledger matched only by --match passes without reference)", map["columns"])
        }
        for role in [Role.merchant, .currency, .amount] where spec.columns[role.rawValue] == nil {
            throw fail("column \(role.key) is required", map["columns"])
        }
        if spec.signed && spec.columns[Role.direction.rawValue] != nil {
            throw fail("signed amounts carry the direction: remove columns.direction (or set signed: false)", map["signed"])
        }
        if !spec.signed && spec.columns[Role.direction.rawValue] == nil {
            throw fail("without a direction column, amounts must be signed (signed: true)", map["columns"])
        }
        return spec
    }

    /// The spec's text from `--ledger-spec` (nil: the defaults), and its name for messages.
    public static func load(_ path: String?) throws -> (text: String, name: String, spec: LedgerSpec) {
        guard let path else { return ("", defaultName, LedgerSpec()) }
        let text: String
        do {
            text = try FileIO.readSmallText(path: path)
        } catch {
            throw SettleError(.unreadableInput, "cannot read ledger spec \(PathText.display(path)): \(error)")
        }
        return (text, path, try parse(text: text, source: path))
    }

    /// Where each needed role sits in a header row; throws naming the file and the missing column,
    /// or two columns with the name of one it reads (compared as roles are matched: trimmed,
    /// without case; other columns may share a name, they are not read).
    public func resolve(header: [String], file: String) throws -> [Int] {
        let read = Set(columns.compactMap { $0?.lowercased() })
        var seen: [String: Int] = [:]
        for (index, name) in header.enumerated() {
            let key = name.trimmingSpaces.lowercased()
            guard read.contains(key) else { continue }
            if let first = seen[key] {
                throw SettleError(.usage, "ledger \(file): the header has two columns named '\(EchoedValue.short(key))': "
                    + "'\(EchoedValue.short(header[first]))' (column \(first + 1)) and '\(EchoedValue.short(name))' (column \(index + 1)); "
                    + "Settle cannot tell which to read: rename one in the file")
            }
            seen[key] = index
        }
        var indexes = [Int](repeating: -1, count: Role.allCases.count)
        for role in Role.allCases {
            guard let name = columns[role.rawValue] else { continue }
            guard let index = header.firstIndex(where: { $0.trimmingSpaces.lowercased() == name.lowercased() }) else {
                let found = EchoedValue.list(header)
                throw SettleError(.usage, "ledger \(file): no column '\(name)' (the \(role.key)) in the header row; it has \(header.count) column\(header.count == 1 ? "" : "s"): \(found). Map the column names with --ledger-spec.")
            }
            indexes[role.rawValue] = index
        }
        return indexes
    }
}

/// ISO 4217 minor units: how many decimals a currency's amounts have (2 unless listed), by
/// alphabetic or numeric code.
public enum CurrencyExponent {
    static let zero: Set<String> = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                                    "VUV", "XAF", "XOF", "XPF",
                                    "108", "152", "262", "324", "352", "392", "174", "410", "600", "646", "800", "940", "704",
                                    "548", "950", "952", "953"]
    static let three: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
                                     "048", "368", "400", "414", "434", "512", "788"]
    static let four: Set<String> = ["CLF", "UYW", "990", "927"]

    public static func of(_ code: String) -> Int {
        if zero.contains(code) { return 0 }
        if three.contains(code) { return 3 }
        if four.contains(code) { return 4 }
        return 2
    }

    /// The currencies that do not have 2 decimals, packed (`CurrencyCode.raw`) and sorted.
    static let packed: [(raw: UInt32, exponent: Int)] = (zero.map { ($0, 0) } + three.map { ($0, 3) } + four.map { ($0, 4) })
        .map { (CurrencyCode($0.0).raw, $0.1) }
        .sorted { $0.raw < $1.raw }

    /// The same for a packed currency, without allocating (the ledger's hot loop).
    @inline(__always)
    public static func of(raw: UInt32) -> Int {
        var low = 0, high = packed.count
        while low < high {
            let mid = (low + high) / 2
            if packed[mid].raw < raw { low = mid + 1 } else { high = mid }
        }
        return low < packed.count && packed[low].raw == raw ? packed[low].exponent : 2
    }
}
