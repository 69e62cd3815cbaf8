/// Why a record (or a file's structure) is invalid: a closed, documented set of stable codes that
/// `rejects.csv`, `summary.json` and tools rely on. Never rename a case's raw value.
public enum RejectReason: UInt8, Sendable, CaseIterable, Comparable {
    /// The record is shorter than the layout's record length (a partial record, or a truncated line).
    case shortRecord = 1
    /// The line is longer than the layout's record length.
    case overlongRecord
    /// The record-type code is not one the layout declares.
    case unknownRecordType
    /// The file's first record is not a header.
    case missingHeader
    /// No trailer record at the end of the file.
    case missingTrailer
    /// A header record somewhere other than the start of the file.
    case unexpectedHeader
    /// A trailer record before the end of the file.
    case unexpectedTrailer
    /// A complete record after the file's trailer.
    case afterTrailer
    /// A `digits` field holds something other than 0-9.
    case badDigits
    /// An `amount` field holds something other than 0-9.
    case badAmount
    /// A `date` field is not a real YYYYMMDD calendar date.
    case badDate
    /// A `code` field holds a value the layout does not list.
    case badCode
    /// A `text` field holds a control byte.
    case badText
    /// A required field is blank.
    case blankField
    /// A ledger row that is not well-formed CSV or has another number of columns than the header.
    case badRow
    /// A detail record outside any group (structured layouts with group headers).
    case noGroup
    /// A continuation record with no detail before it in its group (structured layouts).
    case orphanContinuation
    /// A detail whose roles name a continuation record that does not follow it (structured layouts).
    case missingContinuation
    /// Length-prefixed messages: an RDW announcing more bytes than the file has left, or more than
    /// 64 KiB; the file's messages stop there.
    case badLength
    /// An ISO 8583 message that cannot be decoded: its bitmap announces an element that runs past
    /// the message, has a non-digit length prefix, is not declared, or bytes are left over (the field
    /// names the data element).
    case badMessage
    /// 1014-blocked messages: a block's two tail bytes, or the padding after the last message, are
    /// not `0x40`.
    case badBlock
    /// 1014-blocked messages: the file ends inside a block.
    case truncatedBlock

    public var code: String {
        switch self {
        case .shortRecord: "short_record"
        case .overlongRecord: "overlong_record"
        case .unknownRecordType: "unknown_record_type"
        case .missingHeader: "missing_header"
        case .missingTrailer: "missing_trailer"
        case .unexpectedHeader: "unexpected_header"
        case .unexpectedTrailer: "unexpected_trailer"
        case .afterTrailer: "after_trailer"
        case .badDigits: "bad_digits"
        case .badAmount: "bad_amount"
        case .badDate: "bad_date"
        case .badCode: "bad_code"
        case .badText: "bad_text"
        case .blankField: "blank_field"
        case .badRow: "bad_row"
        case .noGroup: "no_group"
        case .orphanContinuation: "orphan_continuation"
        case .missingContinuation: "missing_continuation"
        case .badLength: "bad_length"
        case .badMessage: "bad_message"
        case .badBlock: "bad_block"
        case .truncatedBlock: "truncated_block"
        }
    }

    public init?(code: String) {
        guard let match = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    /// Whether the reject is about the file as a whole rather than one record (record number 0).
    public var isFileLevel: Bool { self == .missingHeader || self == .missingTrailer }

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}
