import Yams

/// The structured half of `LayoutReader`: `structure:`, its record list, roles from other records
/// and the controls of trailers (split from LayoutParser.swift, which reads the layout's top level,
/// flat records and fields).
extension LayoutReader {
    mutating func structured(_ map: Node.Mapping, records list: Node.Sequence) -> StructuredSpec? {
        var currency: StructuredSpec.Currency?
        if let node = map["currency"] {
            if let currencyMap = mapping(node, "currency", allowed: ["value", "field"]) {
                if let value = string(currencyMap, "value", "currency", required: false) {
                    currency = .value(value)
                } else if let field = string(currencyMap, "field", "currency", required: false) {
                    currency = .field(field)
                } else {
                    fail(.missingKey, "currency", "expected 'value' (a constant code) or 'field' (a field name)", node)
                }
            }
        }
        var merchant: [String] = []
        if let node = map["merchant"] {
            if let sequence = node.sequence {
                merchant = sequence.compactMap { $0.scalar?.string }
            } else if let scalar = node.scalar?.string {
                merchant = [scalar]
            }
        }
        var afterTrailer = StructuredSpec.AfterTrailer.reject
        if let text = string(map, "after_trailer", "layout", required: false) {
            if let value = StructuredSpec.AfterTrailer(rawValue: text) {
                afterTrailer = value
            } else {
                let options = StructuredSpec.AfterTrailer.allCases.map(\.rawValue).joined(separator: ", ")
                fail(.badValue, "after_trailer", "unknown value '\(text)' (expected one of: \(options))", map["after_trailer"])
            }
        }
        var records: [StructuredRecordSpec] = []
        for (index, item) in list.enumerated() {
            if let record = structuredRecord(item, "records[\(index)]") { records.append(record) }
        }
        return StructuredSpec(currency: currency, merchant: merchant, afterTrailer: afterTrailer, records: records)
    }

    /// The items of an optional list, each read by `read(item, path)`; a value that is not a list is an issue.
    mutating func list<Item>(_ node: Node?, _ path: String, of what: String, _ read: (inout LayoutReader, Node, String) -> Item?) -> [Item] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            fail(.badValue, path, "expected a list of \(what)", node)
            return []
        }
        var items: [Item] = []
        for (index, item) in sequence.enumerated() {
            if let value = read(&self, item, "\(path)[\(index)]") { items.append(value) }
        }
        return items
    }

    mutating func positions(_ node: Node, _ path: String) -> [Position] {
        if let list = node.sequence {
            return list.enumerated().compactMap { position($1, "\(path)[\($0)]") }
        }
        return position(node, path).map { [$0] } ?? []
    }

    mutating func structuredRecord(_ node: Node, _ basePath: String) -> StructuredRecordSpec? {
        let allowed: Set = ["kind", "name", "code", "code_at", "match", "when", "length", "fill", "fields", "controls", "roles"]
        guard let map = mapping(node, basePath, allowed: allowed) else { return nil }
        var kind: StructuredKind?
        if let text = string(map, "kind", basePath) {
            kind = StructuredKind(rawValue: text)
            if kind == nil {
                let list = StructuredKind.allCases.map(\.rawValue).joined(separator: ", ")
                fail(.unknownKind, basePath, "unknown record kind '\(text)' (expected one of: \(list))", map["kind"])
            }
        }
        let name = string(map, "name", basePath, required: false)
        let path = "\(basePath) (\(name ?? kind?.rawValue ?? "?"))"
        let code = string(map, "code", path, required: false)
        let codeAt = map["code_at"].map { positions($0, "\(path).code_at") }
        var matches: [StructuredRecordSpec.Match] = []
        if let node = map["match"] {
            if let sequence = node.sequence {
                for (index, item) in sequence.enumerated() {
                    let itemPath = "\(path).match[\(index)]"
                    guard let matchMap = mapping(item, itemPath, allowed: ["start", "value"]) else { continue }
                    let start = int(matchMap, "start", itemPath, mapNode: item)
                    let value = string(matchMap, "value", itemPath)
                    if let start, let value { matches.append(.init(start: start, value: value)) }
                }
            } else {
                fail(.badValue, "\(path).match", "expected a list of {start, value}", node)
            }
        }
        var when: StructuredRecordSpec.When?
        if let node = map["when"], let whenMap = mapping(node, "\(path).when", allowed: ["field", "in"]) {
            let field = string(whenMap, "field", "\(path).when")
            let values = whenMap["in"]?.sequence?.compactMap { $0.scalar?.string } ?? whenMap["in"]?.scalar.map { [$0.string] } ?? []
            if values.isEmpty { fail(.missingKey, "\(path).when", "expected 'in': a list of values", node) }
            if let field { when = .init(field: field, values: values) }
        }
        let length = map["length"] != nil ? int(map, "length", path, mapNode: node) : nil
        let fill = string(map, "fill", path, required: false)
        let fields = list(map["fields"], "\(path).fields", of: "fields") { $0.field($1, $2) }
        let controls = list(map["controls"], "\(path).controls", of: "controls") { $0.control($1, $2) }
        guard let kind else { return nil }
        var record = StructuredRecordSpec(kind: kind, name: name ?? kind.rawValue, code: code, codeAt: codeAt, match: matches, when: when,
                                          length: length, fill: fill, fields: fields, controls: controls, line: node.mark?.line)
        if let node = map["roles"] { record.roles = roleSources(node, "\(path).roles") }
        return record
    }

    /// `roles: {amount: segment_u.amount_paid, date: effective_date}`: a continuation's field, or a context field.
    mutating func roleSources(_ node: Node, _ path: String) -> [StructuredRecordSpec.RoleSource] {
        guard let map = node.mapping else {
            fail(.badValue, path, "expected a mapping of role to field, such as {amount: segment_u.amount_paid}", node)
            return []
        }
        var sources: [StructuredRecordSpec.RoleSource] = []
        for (key, value) in map {
            let name = key.scalar?.string ?? ""
            guard let role = FieldRole(rawValue: name), role.recordKind == .detail else {
                let list = FieldRole.allCases.filter { $0.recordKind == .detail }.map(\.rawValue).joined(separator: ", ")
                fail(.badValue, "\(path).\(name)", "unknown role '\(name)' (expected one of: \(list))", key)
                continue
            }
            guard let text = value.scalar?.string, !text.isEmpty else {
                fail(.badValue, "\(path).\(name)", "expected a field name, or RECORD.FIELD for a continuation's field", value)
                continue
            }
            let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
            sources.append(.init(role: role, record: parts.count == 2 ? parts[0] : nil, field: parts.last!, line: value.mark?.line))
        }
        return sources
    }

    mutating func control(_ node: Node, _ basePath: String) -> ControlSpec? {
        let allowed: Set = ["name", "field", "count", "sum", "equals", "modulo", "per", "where", "unless_zero", "over", "ordinal"]
        guard let map = mapping(node, basePath, allowed: allowed) else { return nil }
        let name = string(map, "name", basePath)
        let path = name.map { "\(basePath) (\($0))" } ?? basePath
        let field = string(map, "field", path)
        var measure: ControlSpec.Measure?
        var measures = 0
        if let node = map["count"] {
            measures += 1
            let kinds = node.sequence?.compactMap { $0.scalar?.string } ?? node.scalar.map { [$0.string] } ?? []
            if kinds == ["all"] {
                measure = .count(nil)
            } else {
                var parsed: [StructuredKind] = []
                for text in kinds {
                    if let kind = StructuredKind(rawValue: text) {
                        parsed.append(kind)
                    } else {
                        let list = (["all"] + StructuredKind.allCases.map(\.rawValue)).joined(separator: ", ")
                        fail(.unknownKind, "\(path).count", "unknown record kind '\(text)' (expected: \(list))", node)
                    }
                }
                if parsed.isEmpty && kinds.isEmpty { fail(.badValue, "\(path).count", "expected a list of record kinds", node) }
                measure = .count(parsed)
            }
        }
        if let text = string(map, "sum", path, required: false) {
            measures += 1
            switch text {
            case "debit": measure = .sum(.debit)
            case "credit": measure = .sum(.credit)
            case "amount": measure = .sum(.amount)
            case "net": measure = .sum(.net)
            case "fee": measure = .sum(.fee)
            default: measure = .sum(.field(text))
            }
        }
        if let text = string(map, "equals", path, required: false) {
            measures += 1
            measure = .equals(text)
        }
        if let text = string(map, "ordinal", path, required: false) {
            measures += 1
            measure = .ordinal
            if text != "group" { fail(.badValue, "\(path).ordinal", "expected 'group' (the group's position in its file)", map["ordinal"]) }
        }
        if measures != 1 {
            fail(.badValue, path, "expected exactly one of 'count', 'sum' or 'equals' (or 'ordinal')", node)
        }
        var modulo: Int128?
        if let text = string(map, "modulo", path, required: false) {
            if let value = Int128(text), value > 0 { modulo = value } else {
                fail(.badValue, "\(path).modulo", "expected a positive whole number, found '\(text)'", map["modulo"])
            }
        }
        let per = map["per"] != nil ? int(map, "per", path, mapNode: node) : nil
        var whereField: String?
        var whereValues: [String] = []
        if let node = map["where"], let whereMap = mapping(node, "\(path).where", allowed: ["field", "in"]) {
            whereField = string(whereMap, "field", "\(path).where")
            whereValues = whereMap["in"]?.sequence?.compactMap { $0.scalar?.string } ?? whereMap["in"]?.scalar.map { [$0.string] } ?? []
            if whereValues.isEmpty { fail(.missingKey, "\(path).where", "expected 'in': a list of values", node) }
        }
        let unlessZero = bool(map, "unless_zero", path)
        let over = string(map, "over", path, required: false)
        if let over, over != "all" { fail(.badValue, "\(path).over", "expected 'all' (a sum over every record with the field)", map["over"]) }
        guard let name, let field, let measure else { return nil }
        var control = ControlSpec(name: name, field: field, measure: measure, modulo: modulo, per: per, whereField: whereField,
                                  whereValues: whereValues, unlessZero: unlessZero, line: node.mark?.line)
        control.overAll = over == "all"
        return control
    }
}
