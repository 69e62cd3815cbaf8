import Yams

/// A YAML error of a layout or ledger spec in one line, with its line:column: never the whole
/// document (Yams' description of a duplicate key quotes every line of the file).
enum YAMLProblem {
    static func describe(_ error: any Error, text: String) -> String {
        guard let yaml = error as? YamlError else { return "not valid YAML: \(error)" }
        switch yaml {
        case let .duplicatedKeysInMapping(duplicates, context):
            let name = duplicates.sorted().first ?? "?"
            let first = "\(context.mark.line):\(context.mark.column)"
            let key = "'\(EchoedValue.short(name))'"
            guard let again = secondOccurrence(of: name, after: context.mark, in: text) else {
                return "line \(first): key \(key) appears more than once in this mapping: keep one"
            }
            return "line \(again.line):\(again.column): key \(key) appears a second time in this mapping (first at line \(first)): keep one"
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let what = context.map { "\($0.text) " } ?? ""
            return "line \(mark.line):\(mark.column): not valid YAML: \(what)\(problem)"
        case let .reader(problem, offset, _, _):
            return "not valid YAML: \(problem)\(offset.map { " at byte offset \($0)" } ?? "")"
        default:
            return "not valid YAML: \(yaml)"
        }
    }

    /// Where `key` next starts a line at the first one's column, in the same block (a good guess at
    /// the duplicate: block mappings put each key at one indentation).
    static func secondOccurrence(of key: String, after mark: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let column = mark.column - 1
        for index in mark.line..<lines.count {
            let line = Array(lines[index].utf8)
            let indent = line.prefix { $0 == 0x20 || $0 == 0x2D }.count
            guard line.count > indent else { continue }
            if indent < column && !line[..<indent].contains(0x2D) { return nil }  // the block ended
            let rest = String(decoding: line[indent...], as: UTF8.self)
            for form in [key, "\"\(key)\"", "'\(key)'"] where indent == column && (rest.hasPrefix(form + ":")) {
                return (index + 1, column + 1)
            }
        }
        return nil
    }
}
