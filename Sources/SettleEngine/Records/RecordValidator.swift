/// Checks every field of one record against its type, straight from the mapped bytes.
public enum RecordValidator {
    /// A field that failed, with the reason.
    public struct Failure: Sendable, Equatable {
        public var reason: RejectReason
        /// Index into the record spec's `fields`.
        public var fieldIndex: Int
    }

    /// The first invalid field of the record at `offset` (already known to be `recordLength` long),
    /// in layout order, or nil if every field is valid.
    @inline(__always)
    public static func firstFailure(_ base: UnsafeRawPointer, offset: Int,
                                    fields: UnsafeBufferPointer<CompiledLayout.Field>) -> Failure? {
        // By index: a field is read in place (copying one would retain its code list per record).
        for index in fields.indices {
            let at = offset + fields[index].offset
            let length = fields[index].length
            let optional = fields[index].optional
            if optional && FieldDecoder.isBlank(base, offset: at, length: length) { continue }
            switch fields[index].type {
            case .text:
                if !FieldDecoder.isText(base, offset: at, length: length) {
                    return Failure(reason: .badText, fieldIndex: fields[index].index)
                }
                if !optional && FieldDecoder.isBlank(base, offset: at, length: length) {
                    return Failure(reason: .blankField, fieldIndex: fields[index].index)
                }
            case .digits:
                if !FieldDecoder.isDigits(base, offset: at, length: length) {
                    return Failure(reason: .badDigits, fieldIndex: fields[index].index)
                }
            case .amount:
                if !FieldDecoder.isDigits(base, offset: at, length: length) {
                    return Failure(reason: .badAmount, fieldIndex: fields[index].index)
                }
            case .signedAmount:
                if FieldDecoder.signedAmount(base, offset: at, length: length) == nil {
                    return Failure(reason: .badAmount, fieldIndex: fields[index].index)
                }
            case .signedTrailing:
                if FieldDecoder.signedTrailing(base, offset: at, length: length) == nil {
                    return Failure(reason: .badAmount, fieldIndex: fields[index].index)
                }
            case .date:
                if length != 8 || !FieldDecoder.isDate(base, offset: at) {
                    return Failure(reason: .badDate, fieldIndex: fields[index].index)
                }
            case .code:
                let value = FieldDecoder.pack(base, offset: at, length: min(length, 8))
                if length > 8 || !fields[index].codes.contains(value) {
                    return Failure(reason: .badCode, fieldIndex: fields[index].index)
                }
            }
        }
        return nil
    }

    /// A sentence naming the field, its positions and what was expected, for rejects and `inspect`.
    /// Never echoes a sensitive field's value.
    public static func explain(_ reason: RejectReason, field: FieldSpec?, value: [UInt8]?) -> String {
        guard let field else { return sentence(reason) }
        let place = "\(field.name) (positions \(field.position.start)-\(field.position.end))"
        let shown: String
        if let value, !field.sensitive {
            shown = " but found \"\(RecordText.escape(value))\""
        } else {
            shown = ""
        }
        switch reason {
        case .badDigits: return "\(place): expected digits 0-9\(shown)"
        case .badAmount where field.type == .signedAmount:
            return "\(place): expected a signed zoned amount (digits, the last one overpunched: { A-I positive, } J-R negative)\(shown)"
        case .badAmount where field.type == .signedTrailing:
            return "\(place): expected digits 0-9 then a sign (D, + or blank positive; C or - negative)\(shown)"
        case .badAmount: return "\(place): expected an amount of digits 0-9 in minor units\(shown)"
        case .badDate: return "\(place): expected a real calendar date YYYYMMDD\(shown)"
        case .badCode:
            let accepted = field.acceptedCodes.map { "\"\($0)\"" }.joined(separator: ", ")
            return "\(place): expected one of \(accepted)\(shown)"
        case .badText: return "\(place): expected printable text, found a control byte"
        case .blankField: return "\(place): required value is blank"
        default: return "\(place): \(sentence(reason))"
        }
    }

    public static func sentence(_ reason: RejectReason) -> String {
        switch reason {
        case .shortRecord: return "record is shorter than the layout's record_length"
        case .overlongRecord: return "line is longer than the layout's record_length"
        case .unknownRecordType: return "record type code is not declared in the layout"
        case .missingHeader: return "file does not start with a header record"
        case .missingTrailer: return "file does not end with a trailer record; control totals cannot be checked"
        case .unexpectedHeader: return "header record found after the start of the file"
        case .unexpectedTrailer: return "trailer record found before the end of the file"
        case .afterTrailer: return "record found after the file's trailer"
        case .badDigits: return "expected digits 0-9"
        case .badAmount: return "expected an amount of digits 0-9"
        case .badDate: return "expected a real calendar date YYYYMMDD"
        case .badCode: return "value not in the layout's list"
        case .badText: return "control byte in a text field"
        case .blankField: return "required value is blank"
        case .badRow: return "row is not well-formed CSV or has another number of columns than the header"
        case .noGroup: return "detail record outside any group (no group header before it)"
        case .orphanContinuation: return "continuation record with no detail record before it in its group"
        case .missingContinuation: return "detail record whose roles name a continuation record that does not follow it"
        case .badLength:
            return "record descriptor word announces more bytes than the file has left (or more than 64 KiB); the file's messages stop here"
        case .badMessage: return "message cannot be decoded as ISO 8583"
        case .badBlock: return "1014-block tail or padding byte is not 0x40; reading goes on with the next data byte"
        case .truncatedBlock: return "file ends inside a 1014-byte block"
        }
    }
}

/// Turning record bytes into safe, readable text for CSV, terminals and reports.
public enum RecordText {
    /// Printable ASCII stays; every other byte becomes `\xNN`, and a backslash `\\`.
    public static func escape(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            if byte == UInt8(ascii: "\\") {
                out += [byte, byte]
            } else if byte >= 0x20 && byte < 0x7F {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Masks a sensitive value as card receipts do: the first 6 and last 4 characters stay.
    public static func mask(_ bytes: inout [UInt8], range: Range<Int>) {
        let clamped = range.clamped(to: 0..<bytes.count)
        let keepHead = 6, keepTail = 4
        guard clamped.count > keepHead + keepTail else {
            for index in clamped { bytes[index] = UInt8(ascii: "*") }
            return
        }
        for index in (clamped.lowerBound + keepHead)..<(clamped.upperBound - keepTail) {
            bytes[index] = UInt8(ascii: "*")
        }
    }
}
