import ArgumentParser
import SettleEngine

struct LayoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layout",
        abstract: "Check or show a record layout.",
        discussion: "Docs: docs/layouts.md",
        subcommands: [Check.self, Show.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a layout file and say exactly what is wrong and where.",
            discussion: "Docs: docs/layouts.md")

        @Argument(help: "A layout YAML file or a built-in layout name.")
        var layout: String

        func run() throws {
            do {
                let compiled = try LayoutLoader.compile(layout)
                if let structured = compiled.structured {
                    let controls = structured.records.reduce(0) { $0 + $1.spec.controls.count }
                    print("\(layout): ok (structured layout '\(compiled.spec.name)', \(structured.records.count) record specs, "
                          + "\(controls) controls, record length \(compiled.recordLength))")
                } else {
                    print("\(layout): ok (layout '\(compiled.spec.name)', \(compiled.records.count) record kinds, record length \(compiled.recordLength))")
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a layout as a table.",
            discussion: "Docs: docs/layouts.md")

        @Argument(help: "A built-in layout name or a layout YAML file.")
        var layout: String

        func run() throws {
            do {
                let compiled = try LayoutLoader.compile(layout)
                print(LayoutTable.render(compiled.spec))
            } catch {
                throw fail(error)
            }
        }
    }
}

/// Renders a layout as an aligned text table.
enum LayoutTable {
    static func render(_ spec: LayoutSpec) -> String {
        let typeAt = spec.recordType.map { "\($0.start)-\($0.end)" }.joined(separator: "+")
        var lines = ["layout \(spec.name) (\(spec.source)): record length \(spec.recordLength), terminator \(spec.terminator.rawValue), record type at \(typeAt)"]
        if let structure = spec.structure {
            var facts: [String] = []
            if !structure.merchant.isEmpty { facts.append("merchant = " + structure.merchant.joined(separator: " | ")) }
            switch structure.currency {
            case .value(let code)?: facts.append("currency \(code)")
            case .field(let name)?: facts.append("currency from \(name)")
            case nil: break
            }
            facts.append("after the file trailer: \(structure.afterTrailer.rawValue)")
            lines.append("structured: " + facts.joined(separator: "; "))
        }
        let records: [(title: String, fields: [FieldSpec], controls: [ControlSpec], roles: [StructuredRecordSpec.RoleSource])] = spec.structure.map { structure in
            structure.records.map { record in
                var title = record.kind.rawValue + (record.name != record.kind.rawValue ? " \(record.name)" : "")
                if let code = record.code {
                    let at = (record.codeAt ?? spec.recordType).map { "\($0.start)-\($0.end)" }.joined(separator: "+")
                    title += " (code \"\(code)\" at \(at))"
                }
                if let fill = record.fill { title += " (every byte \"\(fill)\")" }
                for match in record.match { title += " [\(match.start): \"\(match.value)\"]" }
                if let when = record.when { title += " when \(when.field) in \(when.values.joined(separator: "|"))" }
                if let length = record.length { title += ", \(length) bytes" }
                return (title, record.fields, record.controls, record.roles)
            }
        } ?? spec.records.map { ("\($0.kind.rawValue) (code \"\($0.code)\")", $0.fields, [], []) }
        for record in records {
            lines.append("")
            lines.append(record.title)
            var rows = [["field", "start", "end", "length", "type", "role", "notes"]]
            for field in record.fields {
                var notes: [String] = []
                if field.sensitive { notes.append("sensitive") }
                if field.optional { notes.append("optional") }
                let debits = field.debitValues.isEmpty ? [field.debit].compactMap { $0 } : field.debitValues
                let credits = field.creditValues.isEmpty ? [field.credit].compactMap { $0 } : field.creditValues
                if !debits.isEmpty { notes.append("debit=" + debits.joined(separator: "|")) }
                if !credits.isEmpty { notes.append("credit=" + credits.joined(separator: "|")) }
                if let scale = field.scale { notes.append("scale=\(scale)") }
                if !field.values.isEmpty { notes.append("values=" + field.values.joined(separator: "|")) }
                rows.append([field.name, String(field.position.start), String(field.position.end), String(field.position.length),
                             field.type.rawValue, field.role?.rawValue ?? "", notes.joined(separator: " ")])
            }
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows where rows.count > 1 {
                let cells = row.enumerated().map { column, cell in
                    cell + String(repeating: " ", count: widths[column] - cell.count)
                }
                lines.append("  " + cells.joined(separator: "  ").trimmingTrailingSpaces())
            }
            for source in record.roles {
                let from = source.record.map { "\($0).\(source.field) (a continuation's field)" } ?? "\(source.field) (a header field in force)"
                lines.append("  role \(source.role.rawValue): \(from)")
            }
            for control in record.controls {
                var measure: String
                switch control.measure {
                case .count(let kinds?): measure = "count of " + kinds.map(\.rawValue).joined(separator: " + ")
                case .count(nil): measure = "count of every record"
                case .sum(let sum):
                    switch sum {
                    case .field(let name): measure = "sum of \(name)"
                    default: measure = "sum of \(String(describing: sum)) amounts"
                    }
                case .equals(let name): measure = "equal to the group header's \(name)"
                case .ordinal: measure = "the group's position in its file"
                }
                if let modulo = control.modulo { measure += " mod \(modulo)" }
                if let per = control.per { measure += " per \(per), rounded up" }
                if let field = control.whereField { measure += " where \(field) in \(control.whereValues.joined(separator: "|"))" }
                if control.unlessZero { measure += " (unless zero)" }
                lines.append("  control \(control.name): \(control.field) = \(measure)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var view = Substring(self)
        while view.last == " " { view.removeLast() }
        return String(view)
    }
}
