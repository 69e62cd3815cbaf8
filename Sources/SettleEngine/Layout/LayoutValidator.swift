/// Checks a parsed layout for everything that would make records ambiguous or unreadable.
public enum LayoutValidator {
    /// Longest merchant key the fixed-size aggregate key holds.
    public static let maxMerchantLength = MerchantKey.capacity
    /// Longest amount that fits a signed 64-bit integer whatever its digits.
    public static let maxAmountDigits = 18

    public static func validate(_ spec: LayoutSpec) -> [LayoutIssue] {
        if spec.structure != nil { return StructuredValidator.validate(spec) }
        var issues: [LayoutIssue] = []
        func add(_ code: LayoutIssue.Code, _ path: String, _ message: String, _ line: Int? = nil) {
            issues.append(LayoutIssue(code, path, message, line: line))
        }
        if spec.name.isEmpty { add(.badValue, "name", "the layout needs a name") }
        if spec.recordType.isEmpty { add(.missingKey, "record_type", "no record-type position given") }
        var codeLength = 0
        for (index, position) in spec.recordType.enumerated() {
            codeLength += position.length
            if position.end > spec.recordLength {
                add(.pastRecordEnd, "record_type[\(index)]",
                    "positions \(position.start)-\(position.end) end past record_length \(spec.recordLength)")
            }
        }
        if spec.record(.detail) == nil {
            add(.missingRecord, "records", "a layout needs a 'detail' record kind")
        }
        var codes: [String: RecordKind] = [:]
        for record in spec.records {
            let path = "records.\(record.kind.rawValue)"
            if record.code.utf8.count != codeLength {
                add(.badCode, "\(path).code",
                    "code '\(record.code)' is \(record.code.utf8.count) bytes but record_type covers \(codeLength)")
            }
            if let other = codes[record.code] {
                add(.duplicateCode, "\(path).code", "code '\(record.code)' is already used by '\(other.rawValue)'")
            }
            codes[record.code] = record.kind
            validateFields(record.fields, kindName: record.kind.rawValue, recordLength: spec.recordLength, path: path, add: add)
            for (index, field) in record.fields.enumerated()
            where field.type == .signedAmount || field.type == .signedTrailing || field.scale != nil || field.scaleFromCurrency
                || field.numericCurrency || !field.debitValues.isEmpty || !field.creditValues.isEmpty {
                add(.badValue, "\(path).fields[\(index)] (\(field.name))",
                    "signed_amount, 'scale' and lists of debit or credit values need a structured layout (records written as a list)", field.line)
            }
        }
        validateRoles(spec, add: add)
        return issues
    }

    static func validateFields(_ fields: [FieldSpec], kindName: String, recordLength: Int, path: String, structured: Bool = false,
                               add: (LayoutIssue.Code, String, String, Int?) -> Void) {
        var names: Set<String> = []
        for (index, field) in fields.enumerated() {
            let fieldPath = "\(path).fields[\(index)] (\(field.name))"
            let position = field.position
            if !names.insert(field.name).inserted {
                add(.duplicateField, fieldPath, "another field of '\(kindName)' is already named '\(field.name)'", field.line)
            }
            if position.end > recordLength {
                add(.pastRecordEnd, fieldPath,
                    "positions \(position.start)-\(position.end) end past record_length \(recordLength)", field.line)
            }
            for other in fields[..<index] {
                let o = other.position
                if position.start <= o.end && o.start <= position.end {
                    add(.overlap, fieldPath,
                        "positions \(position.start)-\(position.end) overlap field '\(other.name)' at \(o.start)-\(o.end)", field.line)
                }
            }
            switch field.type {
            // A structured layout's control fields (not amounts of details) may be longer: ADV's 20 digits.
            case .amount where position.length > maxAmountDigits && (!structured || field.role != nil),
                 .signedAmount where position.length > maxAmountDigits,
                 .signedTrailing where position.length > maxAmountDigits + 1:
                add(.fieldTooLong, fieldPath, "an amount has at most \(maxAmountDigits) digits, this one \(position.length)", field.line)
            case .code:
                let accepted = field.acceptedCodes
                if accepted.isEmpty {
                    add(.badValue, fieldPath, "a code field needs 'values' (or 'debit' and 'credit')", field.line)
                }
                for value in accepted where value.utf8.count != position.length {
                    add(.badCode, fieldPath, "value '\(value)' is \(value.utf8.count) bytes but the field is \(position.length)", field.line)
                }
            default:
                break
            }
            if field.type != .code && (field.debit != nil || field.credit != nil || !field.values.isEmpty) {
                add(.badValue, fieldPath, "'values', 'debit' and 'credit' apply only to fields of type code", field.line)
            }
        }
    }

    private static func validateRoles(_ spec: LayoutSpec, add: (LayoutIssue.Code, String, String, Int?) -> Void) {
        var seen: [FieldRole: String] = [:]
        for record in spec.records {
            for (index, field) in record.fields.enumerated() {
                guard let role = field.role else { continue }
                let fieldPath = "records.\(record.kind.rawValue).fields[\(index)] (\(field.name))"
                if role.recordKind != record.kind {
                    add(.wrongRecordKind, fieldPath, "role '\(role.rawValue)' belongs on the \(role.recordKind.rawValue) record", field.line)
                }
                if let other = seen[role] {
                    add(.duplicateRole, fieldPath, "role '\(role.rawValue)' is already given to '\(other)'", field.line)
                }
                seen[role] = field.name
                if let problem = roleProblem(role, field) {
                    add(.badValue, fieldPath, problem, field.line)
                }
            }
        }
        if spec.record(.detail) != nil {
            for role in FieldRole.required where seen[role] == nil {
                add(.missingRole, "records.detail", "no field has the required role '\(role.rawValue)'", nil)
            }
        }
    }

    private static func roleProblem(_ role: FieldRole, _ field: FieldSpec) -> String? {
        switch role {
        case .amount, .fee, .controlDebit, .controlCredit, .controlFee:
            return field.type == .amount ? nil : "role '\(role.rawValue)' needs type amount"
        case .controlCount:
            return field.type == .digits || field.type == .amount ? nil : "role 'control_count' needs type digits"
        case .direction:
            if field.type != .code { return "role 'direction' needs type code" }
            if field.debit == nil || field.credit == nil { return "role 'direction' needs both 'debit' and 'credit' values" }
            if field.debit == field.credit { return "'debit' and 'credit' must differ" }
            return nil
        case .merchant:
            if field.type == .amount || field.type == .date { return "role 'merchant' needs type text, digits or code" }
            if field.position.length > maxMerchantLength {
                return "a merchant key holds at most \(maxMerchantLength) bytes, this field has \(field.position.length)"
            }
            return field.optional ? "role 'merchant' cannot be optional" : nil
        case .currency:
            if field.position.length > CurrencyCode.capacity {
                return "a currency holds at most \(CurrencyCode.capacity) bytes, this field has \(field.position.length)"
            }
            return field.optional ? "role 'currency' cannot be optional" : nil
        case .reference, .date:
            return nil
        }
    }
}
