/// Writes `rejects.csv`: one row per invalid record, in command-line file order then byte offset.
public enum RejectsCSV {
    public static let header = "file,record_number,byte_offset,reason,field,detail,raw\n"

    /// A record-level reject. `recordNumber` is 1-based counting every physical record.
    public static func appendRow(file: String, recordNumber: Int, entry: RejectEntry, layout: CompiledLayout,
                                 to out: inout [UInt8]) {
        let program = layout.program
        if program.form == .tolerant {
            appendStructuredRow(file: file, recordNumber: recordNumber, entry: entry, layout: program, to: &out)
            return
        }
        // The exact form (a flat layout): the record is named by its flat kind.
        let record = entry.recordKind.flatMap { kind in program.records.first { $0.kind.flatKind == kind } }
        let fieldSpec = record.flatMap { entry.fieldIndex >= 0 && entry.fieldIndex < $0.spec.fields.count ? $0.spec.fields[entry.fieldIndex] : nil }
        let raw = RecordMask.masked(entry.raw, layout: layout, truncated: entry.raw.count >= RejectLog.maxRawBytes)
        var value: [UInt8]?
        if let fieldSpec {
            let range = fieldSpec.position.offset..<(fieldSpec.position.offset + fieldSpec.position.length)
            if range.upperBound <= raw.count { value = Array(raw[range]) }
        }
        var detail = RecordValidator.explain(entry.reason, field: fieldSpec, value: value)
        if fieldSpec == nil {
            switch entry.reason {
            case .shortRecord:
                detail = "record is \(entry.raw.count) bytes, the layout's record_length is \(program.recordLength)"
            case .overlongRecord:
                detail = "line is \(entry.raw.count >= RejectLog.maxRawBytes ? "at least \(entry.raw.count)" : String(entry.raw.count)) bytes, the layout's record_length is \(program.recordLength)"
            case .unknownRecordType:
                let known = program.records.map { record in
                    "\"\(String(decoding: RecordText.codeBytes(record.code, positions: record.codeAt), as: UTF8.self))\" (\(record.kind.flatKind?.rawValue ?? record.name))"
                }
                let at = layout.spec.recordType.map { "\($0.start)-\($0.end)" }.joined(separator: "+")
                detail = "record type at positions \(at) is not one of \(known.joined(separator: ", "))"
            default:
                break
            }
        }
        row(file: file, recordNumber: recordNumber, byteOffset: entry.byteOffset, reason: entry.reason,
            field: fieldSpec?.name ?? "", detail: detail, raw: RecordText.escape(raw), to: &out)
    }

    /// A record of a structured layout: the field is named from the record spec it was recognised as.
    static func appendStructuredRow(file: String, recordNumber: Int, entry: RejectEntry, layout: StructuredLayout,
                                    to out: inout [UInt8]) {
        let record = layout.records.indices.contains(entry.specIndex) ? layout.records[entry.specIndex] : nil
        let fieldSpec = record.flatMap { entry.fieldIndex >= 0 && entry.fieldIndex < $0.spec.fields.count ? $0.spec.fields[entry.fieldIndex] : nil }
        let raw = RecordMask.masked(entry.raw, layout: layout, specIndex: entry.specIndex, truncated: entry.raw.count >= RejectLog.maxRawBytes)
        var value: [UInt8]?
        if let fieldSpec {
            let range = fieldSpec.position.offset..<(fieldSpec.position.offset + fieldSpec.position.length)
            if range.upperBound <= raw.count { value = Array(raw[range]) }
        }
        var detail = RecordValidator.explain(entry.reason, field: fieldSpec, value: value)
        let kind = record.map { " (\($0.name), \($0.kind.rawValue))" } ?? ""
        // Past the record's own fields: an external role field, then a continuation it needs.
        var fieldName = fieldSpec?.name ?? ""
        if let record, entry.fieldIndex >= record.spec.fields.count {
            let at = entry.fieldIndex - record.spec.fields.count
            if at < record.externals.count {
                fieldName = record.externals[at].label
                detail = RecordValidator.explain(entry.reason, field: record.externals[at].spec, value: nil)
            } else if at - record.externals.count < record.continuations.count {
                let expected = layout.records[record.continuations[at - record.externals.count]].name
                detail = "no continuation '\(expected)' follows this detail\(kind): its roles read fields of it"
            }
        }
        switch entry.reason {
        case .shortRecord:
            detail = "record\(kind) is \(entry.raw.count) bytes, its kind has \(record?.length ?? layout.recordLength)"
                + (record != nil ? " (--strict rejects trimmed records)" : "")
        case .overlongRecord:
            detail = "line\(kind) is \(entry.raw.count) bytes, its kind allows \(record?.length ?? layout.recordLength)"
        case .unknownRecordType:
            detail = "no record of the layout matches this record's type code"
        case .badText where fieldSpec == nil || record?.kind == .detail && entry.fieldIndex < 0:
            detail = "the merchant key\(kind) is longer than \(MerchantKey.capacity) bytes"
        case .noGroup, .orphanContinuation, .afterTrailer, .unexpectedTrailer:
            detail = RecordValidator.sentence(entry.reason) + kind
        case .badMessage:
            fieldName = entry.fieldIndex % 1000 > 0 ? "DE\(entry.fieldIndex % 1000)" : ""
            detail = ISO8583Decoder.Failure.sentence(packed: entry.fieldIndex)
        case .badLength, .badBlock, .truncatedBlock:
            detail = RecordValidator.sentence(entry.reason)
        default:
            break
        }
        row(file: file, recordNumber: recordNumber, byteOffset: entry.byteOffset, reason: entry.reason,
            field: fieldName, detail: detail, raw: RecordText.escape(raw), to: &out)
    }

    /// A ledger row: `line` is the 1-based line where the row starts; the field is the column's
    /// header name, and the detail quotes the column's value (shortened, a card number masked).
    public static func appendLedgerRow(file: String, line: Int, entry: RejectEntry, ledger: LedgerFile, to out: inout [UInt8]) {
        let column = ledger.columnName(entry.fieldIndex)
        let view = LedgerRejectView(entry: entry, ledger: ledger)
        let shown = view.value.map { "'\(RecordText.escape(Array(EchoedValue.short($0).utf8)))'" } ?? "''"
        let detail: String
        switch entry.reason {
        case .badRow:
            detail = badRowDetail(view, line: line, byteOffset: entry.byteOffset, headerCount: ledger.header.count)
        case .blankField:
            detail = "column \(column) is blank"
        case .badAmount:
            let form = ledger.spec.decimalAmounts ? "a decimal amount such as 12.34, with no more decimals than the currency has"
                : "an amount in minor units such as 1234"
            detail = "column \(column) holds \(shown), expected \(form)\(ledger.spec.signed ? " (a leading - for a credit)" : "")"
        case .badCode where entry.fieldIndex == LedgerSpec.Role.direction.rawValue:
            detail = "column \(column) holds \(shown), expected one of \((ledger.spec.debitWords + ledger.spec.creditWords).joined(separator: ", "))"
        case .badCode:
            detail = "column \(column) holds \(shown), expected a 3-character currency code"
        case .badText:
            detail = "column \(column) holds \(shown): a control byte, an escaped quote, or longer than \(MerchantKey.capacity) bytes"
        default:
            detail = RecordValidator.sentence(entry.reason)
        }
        let raw = EchoedValue.maskingCardNumbers(RecordText.escape(entry.raw))
        row(file: file, recordNumber: line, byteOffset: entry.byteOffset, reason: entry.reason, field: column, detail: detail,
            raw: raw, to: &out)
    }

    /// Why a ledger row is not CSV Settle can read, and where.
    static func badRowDetail(_ view: LedgerRejectView, line: Int, byteOffset: Int, headerCount: Int) -> String {
        if let quote = view.unclosedQuote {
            return "a quote opened at line \(line + quote.linesBefore) (byte offset \(byteOffset + quote.offset)) is not closed on that line "
                + "or within the next \(LedgerCSV.maxQuotedLineEnds) lines: the row ends with that line and the next line is read as a new row; "
                + "close the quote or double it (\"\") in the file"
        }
        let spans = view.lines > 1 ? " (it spans \(view.lines) lines: a quoted field holds line ends)" : ""
        return view.columns != headerCount
            ? "row has \(view.columns) columns, the header has \(headerCount)\(spans)"
            : "row is not well-formed CSV: a quote inside an unquoted field, or text after a closing quote\(spans)"
    }

    /// A file-level finding (record number 0): a missing header or trailer.
    public static func appendFileRow(file: String, reason: RejectReason, byteOffset: Int, layout: CompiledLayout,
                                     to out: inout [UInt8]) {
        var detail = RecordValidator.sentence(reason)
        let program = layout.program
        func code(_ kind: StructuredKind) -> String? {
            // The exact form's file header and trailer (a flat layout's); a list layout finds its own.
            guard program.form == .exact, let index = program.firstRecord(kind) else { return nil }
            return String(decoding: RecordText.codeBytes(program.records[index].code, positions: program.records[index].codeAt), as: UTF8.self)
        }
        if reason == .missingHeader, let header = code(.fileHeader) {
            detail = "file does not start with a header record (type \"\(header)\")"
        } else if reason == .missingTrailer, let trailer = code(.fileTrailer) {
            detail = "no trailer record (type \"\(trailer)\") at the end of the file; control totals cannot be checked"
        }
        row(file: file, recordNumber: 0, byteOffset: byteOffset, reason: reason, field: "", detail: detail, raw: "", to: &out)
    }

    private static func row(file: String, recordNumber: Int, byteOffset: Int, reason: RejectReason, field: String,
                            detail: String, raw: String, to out: inout [UInt8]) {
        CSVText.appendField(PathText.display(file), to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(recordNumber, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(byteOffset, to: &out)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: reason.code.utf8)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(field, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(detail, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(raw, to: &out)
        out.append(0x0A)
    }
}

extension RecordText {
    /// The bytes of a packed record-type code.
    static func codeBytes(_ code: UInt64, positions: [(offset: Int, length: Int)]) -> [UInt8] {
        let length = positions.reduce(0) { $0 + $1.length }
        return (0..<length).map { UInt8(truncatingIfNeeded: code >> UInt64(8 * (length - 1 - $0))) }
    }
}

/// A rejected ledger row read again from its raw bytes (at most `RejectLog.maxRawBytes`): its
/// columns, the value of the rejected column, and a quote that was never closed.
struct LedgerRejectView {
    var columns = 0
    var lines = 0
    var value: String?
    /// Where the unclosed quote is in the raw row, and how many line ends precede it there.
    var unclosedQuote: (offset: Int, linesBefore: Int)?

    init(entry: RejectEntry, ledger: LedgerFile) {
        let role = entry.fieldIndex
        let column = role >= 0 && role < ledger.columns.count ? ledger.columns[role] : -1
        let raw = entry.raw
        // Parsed and read inside one scope, the field kept in a temporary allocation, as the map
        // stage does it (the value was lost when the field lived in an array written through a pointer).
        let parsed = raw.withUnsafeBytes { raw -> (row: LedgerCSV.Row, value: String?)? in
            guard let base = raw.baseAddress else { return nil }
            return [column].withUnsafeBufferPointer { wanted in
                withUnsafeTemporaryAllocation(of: LedgerCSV.Field.self, capacity: 1) { field in
                    field.initialize(repeating: LedgerCSV.Field())
                    let row = LedgerCSV.row(base, start: 0, limit: raw.count, delimiter: ledger.spec.delimiter, columns: wanted, fields: field)
                    return (row, column >= 0 ? LedgerCSV.text(base, field[0]) : nil)
                }
            }
        }
        guard let parsed else { return }
        columns = parsed.row.columnCount
        lines = raw.filter { $0 == 0x0A }.count + 1  // the raw row has no terminator of its own
        value = parsed.value
        if parsed.row.unclosedQuote >= 0 {
            unclosedQuote = (parsed.row.unclosedQuote, raw[..<parsed.row.unclosedQuote].filter { $0 == 0x0A }.count)
        }
    }
}
