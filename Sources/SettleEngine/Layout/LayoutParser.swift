import Yams

/// Reads a layout YAML document into a `LayoutSpec`, collecting every problem with its line.
///
/// Parsing works on the YAML node tree (not `Decodable`) so each message can name the exact key,
/// path and line, and so unknown keys (usually typos) are reported instead of silently ignored.
public enum LayoutParser {
    public static func parse(yaml: String, source: String) throws(LayoutError) -> LayoutSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw LayoutError(source: source, issues: [LayoutIssue(.syntax, "document", "the file is empty")])
            }
            root = node
        } catch let error as LayoutError {
            throw error
        } catch {
            throw LayoutError(source: source, issues: [LayoutIssue(.syntax, "document", YAMLProblem.describe(error, text: yaml))])
        }
        // A message layout (`message:`) is rewritten into the fixed-width form first.
        let (rewritten, message, messageIssues) = MessageLayout.rewrite(root)
        if !messageIssues.isEmpty { throw LayoutError(source: source, issues: messageIssues) }
        var reader = LayoutReader()
        var spec = reader.layout(rewritten, source: source)
        spec?.message = message
        if let spec, reader.issues.isEmpty {
            let problems = LayoutValidator.validate(spec)
            if problems.isEmpty { return spec }
            throw LayoutError(source: source, issues: problems)
        }
        throw LayoutError(source: source, issues: reader.issues)
    }
}

/// Walks the node tree; records issues instead of stopping at the first (the structured half is in
/// LayoutParser+Structured.swift).
struct LayoutReader {
    var issues: [LayoutIssue] = []

    mutating func fail(_ code: LayoutIssue.Code, _ path: String, _ message: String, _ node: Node?) {
        issues.append(LayoutIssue(code, path, message, line: node?.mark?.line))
    }

    mutating func mapping(_ node: Node, _ path: String, allowed: Set<String>) -> Node.Mapping? {
        guard let map = node.mapping else {
            fail(.badValue, path, "expected a mapping of keys to values", node)
            return nil
        }
        for key in map.keys {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                let list = allowed.sorted().joined(separator: ", ")
                fail(.unknownKey, path, "unknown key '\(name)' (allowed: \(list))", key)
            }
        }
        return map
    }

    mutating func string(_ map: Node.Mapping, _ key: String, _ path: String, required: Bool = true) -> String? {
        guard let node = map[key] else {
            if required { fail(.missingKey, path, "missing '\(key)'", map[key] ?? nil) }
            return nil
        }
        guard let scalar = node.scalar else {
            fail(.badValue, "\(path).\(key)", "expected a single value", node)
            return nil
        }
        return scalar.string
    }

    mutating func int(_ map: Node.Mapping, _ key: String, _ path: String, mapNode: Node) -> Int? {
        guard let node = map[key] else {
            fail(.missingKey, path, "missing '\(key)'", mapNode)
            return nil
        }
        guard let text = node.scalar?.string, let value = Int(text), value > 0 else {
            fail(.badValue, "\(path).\(key)", "expected a positive whole number, found '\(node.scalar?.string ?? "?")'", node)
            return nil
        }
        return value
    }

    mutating func bool(_ map: Node.Mapping, _ key: String, _ path: String) -> Bool {
        guard let node = map[key] else { return false }
        guard let value = node.bool else {
            fail(.badValue, "\(path).\(key)", "expected true or false", node)
            return false
        }
        return value
    }

    mutating func position(_ node: Node, _ path: String) -> Position? {
        guard let map = mapping(node, path, allowed: ["start", "length"]) else { return nil }
        let start = int(map, "start", path, mapNode: node)
        let length = int(map, "length", path, mapNode: node)
        guard let start, let length else { return nil }
        return Position(start: start, length: length)
    }

    mutating func layout(_ root: Node, source: String) -> LayoutSpec? {
        let allowed: Set = ["name", "record_length", "terminator", "record_type", "records", "currency", "merchant", "after_trailer",
                            "encoding"]
        guard let map = mapping(root, "layout", allowed: allowed) else { return nil }
        let name = string(map, "name", "layout")
        let recordLength = int(map, "record_length", "layout", mapNode: root)
        var terminator = Terminator.auto
        if let text = string(map, "terminator", "layout", required: false) {
            if let value = Terminator(rawValue: text) {
                terminator = value
            } else {
                let list = Terminator.allCases.map(\.rawValue).joined(separator: ", ")
                fail(.badValue, "terminator", "unknown terminator '\(text)' (expected one of: \(list))", map["terminator"])
            }
        }
        var recordType: [Position] = []
        if let node = map["record_type"] {
            if let list = node.sequence {
                for (index, item) in list.enumerated() {
                    if let position = position(item, "record_type[\(index)]") { recordType.append(position) }
                }
            } else if let position = position(node, "record_type") {
                recordType.append(position)
            }
        } else {
            fail(.missingKey, "layout", "missing 'record_type'", root)
        }
        var records: [RecordSpec] = []
        var structure: StructuredSpec?
        if let node = map["records"], let list = node.sequence {
            structure = structured(map, records: list)
        } else {
            for key in ["currency", "merchant", "after_trailer", "encoding"] where map[key] != nil {
                fail(.unknownKey, "layout", "'\(key)' is only for structured layouts (records written as a list)", map[key])
            }
        }
        if structure != nil {
        } else if let node = map["records"] {
            if let recordMap = node.mapping {
                for (key, value) in recordMap {
                    let kindName = key.string ?? "?"
                    guard let kind = RecordKind(rawValue: kindName) else {
                        let list = RecordKind.allCases.map(\.rawValue).joined(separator: ", ")
                        fail(.unknownKind, "records", "unknown record kind '\(kindName)' (expected one of: \(list))", key)
                        continue
                    }
                    if let record = record(value, kind: kind) { records.append(record) }
                }
            } else {
                fail(.badValue, "records", "expected a mapping of record kinds (header, detail, trailer)", node)
            }
        } else {
            fail(.missingKey, "layout", "missing 'records'", root)
        }
        guard let name, let recordLength else { return nil }
        var spec = LayoutSpec(name: name, recordLength: recordLength, terminator: terminator,
                              recordType: recordType, records: records, source: source)
        spec.structure = structure
        spec.encoding = encoding(map)
        return spec
    }

    /// The structured part: layout-level `currency`, `merchant`, `after_trailer` and the record list.
    mutating func record(_ node: Node, kind: RecordKind) -> RecordSpec? {
        let path = "records.\(kind.rawValue)"
        guard let map = mapping(node, path, allowed: ["code", "fields"]) else { return nil }
        let code = string(map, "code", path)
        let fields = list(map["fields"], "\(path).fields", of: "fields") { $0.field($1, $2) }
        guard let code else { return nil }
        return RecordSpec(kind: kind, code: code, fields: fields)
    }

    mutating func field(_ node: Node, _ basePath: String) -> FieldSpec? {
        let allowed: Set = ["name", "start", "length", "type", "role", "sensitive", "optional", "values", "debit", "credit", "scale", "codes"]
        guard let map = mapping(node, basePath, allowed: allowed) else { return nil }
        let name = string(map, "name", basePath)
        let path = name.map { "\(basePath) (\($0))" } ?? basePath
        let start = int(map, "start", path, mapNode: node)
        let length = int(map, "length", path, mapNode: node)
        var type: FieldType?
        if let text = string(map, "type", path) {
            type = FieldType(rawValue: text)
            if type == nil {
                let list = FieldType.allCases.map(\.rawValue).joined(separator: ", ")
                fail(.unknownType, path, "unknown type '\(text)' (expected one of: \(list))", map["type"])
            }
        }
        var role: FieldRole?
        if let text = string(map, "role", path, required: false) {
            role = FieldRole(rawValue: text)
            if role == nil {
                let list = FieldRole.allCases.map(\.rawValue).joined(separator: ", ")
                fail(.unknownRole, path, "unknown role '\(text)' (expected one of: \(list))", map["role"])
            }
        }
        var values: [String] = []
        if let list = map["values"] {
            if let sequence = list.sequence {
                values = sequence.compactMap { $0.scalar?.string }
            } else {
                fail(.badValue, "\(path).values", "expected a list of values", list)
            }
        }
        // `debit` and `credit` are one value, or (structured layouts) a list: a code table.
        let debitValues = map["debit"]?.sequence?.compactMap { $0.scalar?.string } ?? []
        let creditValues = map["credit"]?.sequence?.compactMap { $0.scalar?.string } ?? []
        let debit = debitValues.first ?? string(map, "debit", path, required: false)
        let credit = creditValues.first ?? string(map, "credit", path, required: false)
        var scale: Int?
        var scaleFromCurrency = false
        if let text = string(map, "scale", path, required: false) {
            if let value = Int(text), (0...6).contains(value) { scale = value } else if text == "currency" { scaleFromCurrency = true } else {
                fail(.badValue, "\(path).scale", "expected implied decimals 0 to 6 or 'currency', found '\(text)'", map["scale"])
            }
        }
        let numericCurrency = currencyCodes(map, path)
        let sensitive = bool(map, "sensitive", path)
        let optional = bool(map, "optional", path)
        guard let name, let start, let length, let type else { return nil }
        var spec = FieldSpec(name: name, position: Position(start: start, length: length), type: type, role: role,
                             sensitive: sensitive, optional: optional, values: values, debit: debit, credit: credit,
                             line: node.mark?.line)
        spec.debitValues = debitValues.count > 1 ? debitValues : []
        spec.creditValues = creditValues.count > 1 ? creditValues : []
        spec.scale = scale
        spec.scaleFromCurrency = scaleFromCurrency
        spec.numericCurrency = numericCurrency
        return spec
    }

    /// `encoding: ascii | ebcdic-cp500 | ebcdic-cp037 | auto` (ascii when absent).
    mutating func encoding(_ map: Node.Mapping) -> LayoutEncoding {
        guard let text = string(map, "encoding", "layout", required: false) else { return .ascii }
        if let value = LayoutEncoding(rawValue: text) { return value }
        let list = LayoutEncoding.allCases.map(\.rawValue).joined(separator: ", ")
        fail(.badValue, "encoding", "unknown encoding '\(text)' (expected one of: \(list))", map["encoding"])
        return .ascii
    }

    /// `codes: iso4217-numeric` on a currency field.
    mutating func currencyCodes(_ map: Node.Mapping, _ path: String) -> Bool {
        guard let text = string(map, "codes", path, required: false) else { return false }
        if text == "iso4217-numeric" { return true }
        fail(.badValue, "\(path).codes", "unknown code table '\(text)' (expected: iso4217-numeric)", map["codes"])
        return false
    }
}
