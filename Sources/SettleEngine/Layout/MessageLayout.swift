import Yams

/// Reads a layout's `message:` section and rewrites the rest of its tree into the fixed-width form
/// the layout language already has: every field named `DEn` or `PDSnnnn` without a `start` gets the
/// position of its slot in the flat record (`MessageSpec`), a `code_at` entry naming an element (or
/// `MTI`) its position, a `match` entry's `field` a `start`; `record_length`, `record_type` (the
/// MTI) and `terminator` are set. Runs before the ordinary reader, so a message layout is validated
/// and compiled like any other.
enum MessageLayout {
    static func rewrite(_ root: Node) -> (root: Node, message: MessageSpec?, issues: [LayoutIssue]) {
        guard let map = root.mapping, let section = map["message"] else { return (root, nil, []) }
        var issues: [LayoutIssue] = []
        func fail(_ path: String, _ message: String, _ node: Node?) {
            issues.append(LayoutIssue(.badValue, path, message, line: node?.mark?.line))
        }
        guard var message = spec(section, fail: fail) else { return (root, nil, issues) }
        // Slots, in the order the records first name them.
        var slots: [MessageSpec.Slot] = []
        var next = MessageSpec.headerBytes
        func slot(_ name: String, _ node: Node?) -> MessageSpec.Slot? {
            if let found = slots.first(where: { $0.name == name }) { return found }
            guard let parsed = MessageSpec.parseName(name) else { return nil }
            var capacity = 0
            if let de = parsed.de {
                guard let element = message.element(de) else {
                    fail("message.elements", "\(name) is not declared in message.elements", node)
                    return nil
                }
                capacity = element.length
            } else if let tag = parsed.pds {
                guard let declared = message.pds.first(where: { $0.tag == tag }) else {
                    fail("message.pds", "\(name) is not declared in message.pds", node)
                    return nil
                }
                capacity = declared.length
            }
            let made = MessageSpec.Slot(name: name, de: parsed.de, pds: parsed.pds, offset: next, capacity: capacity)
            next += capacity
            slots.append(made)
            return made
        }
        func position(_ start: Int, _ length: Int) -> Node {
            Node([(Node("start"), Node(String(start))), (Node("length"), Node(String(length)))])
        }
        func rewriteField(_ node: Node) -> Node {
            guard let field = node.mapping, field["start"] == nil, let name = field["name"]?.string,
                  let found = slot(name, node) else { return node }
            var pairs = Array(field).filter { $0.key.string != "length" }
            let length = field["length"]?.string.flatMap { Int($0) } ?? found.capacity
            pairs.insert((Node("start"), Node(String(found.offset + 1))), at: 1)
            pairs.insert((Node("length"), Node(String(min(length, found.capacity)))), at: 2)
            return Node(pairs, field.tag, field.style)
        }
        func rewriteCode(_ node: Node) -> Node {
            guard let name = node.string else { return node }
            if name == "MTI" { return position(1, 4) }
            guard let found = slot(name, node) else { return node }
            return position(found.offset + 1, found.capacity)
        }
        func rewriteMatch(_ node: Node) -> Node {
            guard let match = node.mapping, let name = match["field"]?.string, let found = slot(name, node) else { return node }
            var pairs = Array(match).filter { $0.key.string != "field" }
            pairs.insert((Node("start"), Node(String(found.offset + 1))), at: 0)
            return Node(pairs, match.tag, match.style)
        }
        func rewriteRecord(_ node: Node) -> Node {
            guard let record = node.mapping else { return node }
            let pairs = Array(record).map { pair -> (Node, Node) in
                switch pair.key.string {
                case "fields": return (pair.key, (pair.value.sequence.map { Node($0.map(rewriteField), $0.tag, $0.style) }) ?? pair.value)
                case "code_at": return (pair.key, (pair.value.sequence.map { Node($0.map(rewriteCode), $0.tag, $0.style) }) ?? pair.value)
                case "match": return (pair.key, (pair.value.sequence.map { Node($0.map(rewriteMatch), $0.tag, $0.style) }) ?? pair.value)
                default: return pair
                }
            }
            return Node(pairs, record.tag, record.style)
        }
        if let number = message.sequence { _ = slot("DE\(number)", section) }
        var pairs: [(Node, Node)] = []
        for (key, value) in map where key.string != "message" {
            if key.string == "records", let list = value.sequence {
                pairs.append((key, Node(list.map(rewriteRecord), list.tag, list.style)))
            } else {
                pairs.append((key, value))
            }
        }
        message.slots = slots
        pairs.append((Node("record_length"), Node(String(message.flatLength))))
        pairs.append((Node("terminator"), Node("none")))
        pairs.append((Node("record_type"), position(1, 4)))
        return (Node(pairs, map.tag, map.style), message, issues)
    }

    /// The `message:` section: format, blocking, encoding, elements (`42: fixed 15`), PDS carriers
    /// and PDS (`"0301": 16`).
    private static func spec(_ node: Node, fail: (String, String, Node?) -> Void) -> MessageSpec? {
        guard let map = node.mapping else {
            fail("message", "expected a mapping", node)
            return nil
        }
        for key in map.keys where !["format", "blocking", "encoding", "elements", "pds_in", "pds", "numeric_currency", "sequence"].contains(key.string ?? "") {
            fail("message", "unknown key '\(key.string ?? "?")' (allowed: blocking, elements, encoding, format, numeric_currency, pds, pds_in, sequence)", key)
        }
        if map["format"]?.string != "iso8583" { fail("message.format", "expected 'iso8583'", map["format"] ?? node) }
        let blocking = MessageSpec.Blocking(rawValue: map["blocking"]?.string ?? "auto")
        if blocking == nil { fail("message.blocking", "expected auto, 1014 or none", map["blocking"]) }
        let encoding = MessageSpec.Encoding(rawValue: map["encoding"]?.string ?? "auto")
        if encoding == nil {
            fail("message.encoding", "expected one of \(MessageSpec.Encoding.allCases.map(\.rawValue).joined(separator: ", "))", map["encoding"])
        }
        var elements: [MessageSpec.Element] = []
        for (key, value) in map["elements"]?.mapping ?? [:] {
            let words = (value.string ?? "").split(separator: " ")
            guard let number = key.string.flatMap({ Int($0) }), (2...128).contains(number), words.count == 2,
                  let type = MessageSpec.LengthType(rawValue: String(words[0])), let length = Int(words[1]), length > 0,
                  type != .llvar || length <= 99, length <= 999 else {
                fail("message.elements", "expected 'N: fixed|llvar|lllvar LENGTH' (N 2-128), found '\(key.string ?? "?"): \(value.string ?? "?")'", key)
                continue
            }
            elements.append(.init(number: number, type: type, length: length))
        }
        var pds: [(tag: Int, length: Int)] = []
        for (key, value) in map["pds"]?.mapping ?? [:] {
            guard let tagText = key.string, tagText.count == 4, let tag = Int(tagText), let length = value.string.flatMap({ Int($0) }),
                  length > 0, length <= 999 else {
                fail("message.pds", "expected '\"NNNN\": LENGTH', found '\(key.string ?? "?")'", key)
                continue
            }
            pds.append((tag, length))
        }
        let carriers = (map["pds_in"]?.sequence ?? []).compactMap { $0.string.flatMap { Int($0) } }
        guard let blocking, let encoding else { return nil }
        var spec = MessageSpec(blocking: blocking, encoding: encoding, elements: elements, pdsCarriers: carriers, pds: pds)
        spec.numericCurrency = (map["numeric_currency"]?.sequence ?? []).compactMap { $0.string.flatMap { Int($0) } }
        for number in spec.numericCurrency where spec.element(number).map({ $0.type != .fixed || $0.length != 3 }) ?? true {
            fail("message.numeric_currency", "DE \(number) must be declared 'fixed 3'", map["numeric_currency"])
        }
        if let text = map["sequence"]?.string {
            if let number = Int(text), spec.element(number) != nil { spec.sequence = number } else {
                fail("message.sequence", "expected the number of a declared element, found '\(text)'", map["sequence"])
            }
        }
        return spec
    }
}
