/// One thing wrong with a layout file, with where it is.
public struct LayoutIssue: Sendable, Equatable, CustomStringConvertible {
    /// Stable code, for tests and tools.
    public enum Code: String, Sendable {
        case syntax, missingKey = "missing_key", badValue = "bad_value", unknownKey = "unknown_key"
        case unknownType = "unknown_type", unknownRole = "unknown_role", unknownKind = "unknown_kind"
        case overlap, pastRecordEnd = "past_record_end", missingRole = "missing_role"
        case duplicateRole = "duplicate_role", duplicateCode = "duplicate_code"
        case duplicateField = "duplicate_field", badCode = "bad_code", wrongRecordKind = "wrong_record_kind"
        case fieldTooLong = "field_too_long", missingRecord = "missing_record"
    }

    public var code: Code
    /// The YAML path, such as `records.detail.fields[6] (amount)`.
    public var path: String
    public var message: String
    public var line: Int?

    public init(_ code: Code, _ path: String, _ message: String, line: Int? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        let at = line.map { "line \($0): " } ?? ""
        return "\(at)\(path): \(message)"
    }
}

/// A layout that cannot be used, with every issue found.
public struct LayoutError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var issues: [LayoutIssue]

    public init(source: String, issues: [LayoutIssue]) {
        self.source = source
        self.issues = issues
    }

    public var description: String {
        var text = "invalid layout \(source): \(issues.count) problem\(issues.count == 1 ? "" : "s")"
        for issue in issues { text += "\n  \(source): \(issue)" }
        return text
    }
}
