/// Checks a structured layout: every record recognisable, every name it uses defined, every
/// control computable. Field checks are the flat layouts' (overlap, past the record's end, ...).
enum StructuredValidator {
    static func validate(_ spec: LayoutSpec) -> [LayoutIssue] {
        guard let structure = spec.structure else { return [] }
        var issues: [LayoutIssue] = []
        func add(_ code: LayoutIssue.Code, _ path: String, _ message: String, _ line: Int? = nil) {
            issues.append(LayoutIssue(code, path, message, line: line))
        }
        if spec.name.isEmpty { add(.badValue, "name", "the layout needs a name") }
        let records = structure.records
        if !records.contains(where: { $0.kind == .detail }) {
            add(.missingRecord, "records", "a layout needs at least one record of kind 'detail'")
        }
        let contextNames = Set(records.filter { $0.kind == .groupHeader || $0.kind == .fileHeader }.flatMap { $0.fields.map(\.name) })
        let groupNames = Set(records.filter { $0.kind == .groupHeader }.flatMap { $0.fields.map(\.name) })
        let detailNames = Set(records.filter { $0.kind == .detail }.flatMap { $0.fields.map(\.name) })
        for (index, record) in records.enumerated() {
            let path = "records[\(index)] (\(record.name))"
            let length = record.length ?? spec.recordLength
            let codeAt = record.codeAt ?? spec.recordType
            if record.kind == .filler {
                if record.fill?.utf8.count != 1 { add(.badValue, path, "a filler record needs 'fill': the one byte it repeats", record.line) }
            } else if let code = record.code {
                let codeLength = codeAt.reduce(0) { $0 + $1.length }
                if codeAt.isEmpty { add(.missingKey, path, "no record-type position: give 'record_type' or 'code_at'", record.line) }
                if code.utf8.count != codeLength {
                    add(.badCode, "\(path).code", "code '\(code)' is \(code.utf8.count) bytes but its positions cover \(codeLength)", record.line)
                }
                if codeLength > 8 { add(.badCode, "\(path).code", "a record-type code has at most 8 bytes", record.line) }
                if codeAt.count > 3 { add(.badValue, "\(path).code_at", "a record-type code is read from at most 3 positions", record.line) }
                for position in codeAt where position.end > length {
                    add(.pastRecordEnd, "\(path).code_at", "positions \(position.start)-\(position.end) end past the record's \(length) bytes", record.line)
                }
            } else if record.match.isEmpty {
                add(.missingKey, path, "a record needs a 'code' or 'match' to be recognised", record.line)
            }
            if record.match.count > 3 { add(.badValue, "\(path).match", "at most 3 match entries", record.line) }
            for match in record.match {
                let count = match.value.utf8.count
                if count == 0 || count > 8 { add(.badValue, "\(path).match", "a match value has 1 to 8 bytes", record.line) }
                if match.start + count - 1 > length {
                    add(.pastRecordEnd, "\(path).match", "match at \(match.start) ends past the record's \(length) bytes", record.line)
                }
            }
            if let when = record.when, !contextNames.contains(when.field) {
                add(.badValue, "\(path).when", "'\(when.field)' is not a field of a file or group header", record.line)
            }
            LayoutValidator.validateFields(record.fields, kindName: record.name, recordLength: length, path: "\(path)", structured: true,
                                           add: add)
            validateRoles(record, in: records, path: path, add: add)
            if !record.controls.isEmpty && ![.groupTrailer, .fileTrailer, .groupHeader].contains(record.kind) {
                add(.wrongRecordKind, "\(path).controls", "controls belong on a group_trailer, file_trailer or group_header", record.line)
            }
            let own = Dictionary(record.fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for control in record.controls {
                let controlPath = "\(path).controls (\(control.name))"
                if let field = own[control.field] {
                    if case .equals = control.measure {} else if field.type != .digits && field.type != .amount && field.type != .signedAmount
                        && field.type != .signedTrailing {
                        add(.badValue, controlPath, "field '\(control.field)' must be digits, amount or signed_amount to hold a figure", control.line)
                    }
                } else {
                    add(.badValue, controlPath, "'\(control.field)' is not a field of this record", control.line)
                }
                switch control.measure {
                case .sum(.field(let name)) where !detailNames.contains(name):
                    add(.badValue, controlPath, "'\(name)' is not a field of a detail record (or one of debit, credit, amount, net, fee)", control.line)
                case .equals(let name) where !groupNames.contains(name) && !(record.kind == .fileTrailer && contextNames.contains(name)):
                    add(.badValue, controlPath, "'\(name)' is not a field of a group header (or, on a file trailer, of the file header)",
                        control.line)
                default:
                    break
                }
                if let field = control.whereField, !detailNames.contains(field) {
                    add(.badValue, controlPath, "where: '\(field)' is not a field of a detail record", control.line)
                }
            }
        }
        for name in structure.merchant where !contextNames.contains(name) && !detailNames.contains(name) {
            add(.badValue, "merchant", "'\(name)' is not a field of a detail, group header or file header")
        }
        switch structure.currency {
        case .value(let code)?:
            if code.utf8.isEmpty || code.utf8.count > CurrencyCode.capacity {
                add(.badValue, "currency", "a currency code has 1 to \(CurrencyCode.capacity) bytes")
            }
        case .field(let name)?:
            if !contextNames.contains(name) && !detailNames.contains(name) {
                add(.badValue, "currency", "'\(name)' is not a field of a detail, group header or file header")
            }
        case nil:
            break
        }
        for (index, record) in records.enumerated() where record.kind == .detail {
            let path = "records[\(index)] (\(record.name))"
            if structure.merchant.isEmpty && !record.fields.contains(where: { $0.role == .merchant }) && !record.roles.contains(where: { $0.role == .merchant }) {
                add(.missingRole, path, "no merchant: give the layout a 'merchant' list or a field the role 'merchant'", record.line)
            }
            if structure.currency == nil && !record.fields.contains(where: { $0.role == .currency }) && !record.roles.contains(where: { $0.role == .currency }) {
                add(.missingRole, path, "no currency: give the layout 'currency' or a field the role 'currency'", record.line)
            }
        }
        return issues
    }

    private static func validateRoles(_ record: StructuredRecordSpec, in records: [StructuredRecordSpec], path: String,
                                      add: (LayoutIssue.Code, String, String, Int?) -> Void) {
        var seen: [FieldRole: String] = [:]
        for (index, field) in record.fields.enumerated() {
            guard let role = field.role else { continue }
            let fieldPath = "\(path).fields[\(index)] (\(field.name))"
            if record.kind != .detail {
                add(.wrongRecordKind, fieldPath, "roles belong on detail records in a structured layout (trailers declare 'controls')", field.line)
                continue
            }
            if let other = seen[role] { add(.duplicateRole, fieldPath, "role '\(role.rawValue)' is already given to '\(other)'", field.line) }
            seen[role] = field.name
        }
        if record.kind != .detail {
            if !record.roles.isEmpty { add(.wrongRecordKind, "\(path).roles", "'roles' belong on detail records", record.line) }
            return
        }
        let (resolved, problems) = record.resolvedRoles(in: records)
        for problem in problems { add(.badValue, "\(path).roles", problem.message, problem.line ?? record.line) }
        for role in resolved {
            let own = role.origin == .own ? record.fields.firstIndex(of: role.field) : nil
            let fieldPath = own.map { "\(path).fields[\($0)] (\(role.field.name))" } ?? "\(path).roles.\(role.role.rawValue)"
            check(role.role, role.field, path: fieldPath, add: add)
        }
        guard let amount = resolved.first(where: { $0.role == .amount }) else {
            add(.missingRole, path, "a detail needs a field with the role 'amount'", record.line)
            return
        }
        if !resolved.contains(where: { $0.role == .direction }) && amount.field.type != .signedAmount {
            add(.missingRole, path, "a detail needs a 'direction' field, or a signed_amount amount whose sign gives it", record.line)
        }
    }

    /// What a role needs of the field it is read from, wherever that field is.
    private static func check(_ role: FieldRole, _ field: FieldSpec, path fieldPath: String,
                              add: (LayoutIssue.Code, String, String, Int?) -> Void) {
        switch role {
        case .amount:
            if field.type != .amount && field.type != .signedAmount {
                add(.badValue, fieldPath, "role 'amount' needs type amount or signed_amount", field.line)
            }
        case .fee:
            if field.type != .amount && field.type != .signedAmount && field.type != .signedTrailing {
                add(.badValue, fieldPath, "role 'fee' needs type amount, signed_amount or signed_trailing", field.line)
            }
        case .direction:
            let debits = field.debitValues.isEmpty ? [field.debit].compactMap { $0 } : field.debitValues
            let credits = field.creditValues.isEmpty ? [field.credit].compactMap { $0 } : field.creditValues
            if field.type != .code || debits.isEmpty || credits.isEmpty {
                add(.badValue, fieldPath, "role 'direction' needs type code with 'debit' and 'credit' values", field.line)
            } else if !Set(debits).isDisjoint(with: credits) {
                add(.badValue, fieldPath, "a value cannot be both debit and credit", field.line)
            }
        case .merchant:
            if field.position.length > MerchantKey.capacity {
                add(.badValue, fieldPath, "a merchant key holds at most \(MerchantKey.capacity) bytes, this field has \(field.position.length)", field.line)
            }
        case .currency:
            if field.position.length > CurrencyCode.capacity {
                add(.badValue, fieldPath, "a currency holds at most \(CurrencyCode.capacity) bytes", field.line)
            }
        case .reference, .date:
            break
        case .controlCount, .controlDebit, .controlCredit, .controlFee:
            add(.wrongRecordKind, fieldPath, "control roles are for flat layouts; declare 'controls' on the trailer", field.line)
        }
    }
}
