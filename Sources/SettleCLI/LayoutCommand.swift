import ArgumentParser
import SettleEngine

struct LayoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layout",
        abstract: "Check or show a record layout.",
        subcommands: [Check.self, Show.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a layout file and say exactly what is wrong and where.")

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
        static let configuration = CommandConfiguration(abstract: "Print a layout as a table.")

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
        for record in spec.records {
            lines.append("")
            lines.append("\(record.kind.rawValue) (code \"\(record.code)\")")
            var rows = [["field", "start", "end", "length", "type", "role", "notes"]]
            for field in record.fields {
                var notes: [String] = []
                if field.sensitive { notes.append("sensitive") }
                if field.optional { notes.append("optional") }
                if let debit = field.debit { notes.append("debit=\(debit)") }
                if let credit = field.credit { notes.append("credit=\(credit)") }
                if !field.values.isEmpty { notes.append("values=" + field.values.joined(separator: "|")) }
                rows.append([field.name, String(field.position.start), String(field.position.end), String(field.position.length),
                             field.type.rawValue, field.role?.rawValue ?? "", notes.joined(separator: " ")])
            }
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let cells = row.enumerated().map { column, cell in
                    cell + String(repeating: " ", count: widths[column] - cell.count)
                }
                lines.append("  " + cells.joined(separator: "  ").trimmingTrailingSpaces())
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
