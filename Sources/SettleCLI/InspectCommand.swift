import ArgumentParser
import SettleEngine

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print parsed records, every field, with invalid fields marked: how to check a layout against a file.",
        discussion: "Docs: docs/layouts.md")

    @Argument(help: "A settlement file.")
    var file: String

    @Option(help: "A built-in layout name or a layout YAML file.")
    var layout: String

    @Option(help: "How many records to print.")
    var limit: Int = 20

    @Option(help: "First record to print (1-based, counting the header).")
    var from: Int = 1

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
        if from < 1 { throw ValidationError("--from must be at least 1 (records are numbered from 1, the header included)") }
    }

    func run() throws {
        let records: [InspectedRecord]
        do {
            let compiled = try LayoutLoader.compile(layout)
            records = try RecordInspector.inspect(path: file, layout: compiled, from: from, limit: limit)
        } catch {
            throw fail(error)
        }
        var invalid = 0
        for record in records {
            let kind = record.structuredKind.map { "\($0.rawValue) \(record.specName ?? "")" } ?? record.kind?.rawValue ?? "unknown"
            let indent = record.structuredKind == .continuation ? "  " : ""
            var line = "\(indent)record \(record.recordNumber) (byte \(record.byteOffset)) \(kind)"
            if let detail = record.attachedTo { line += ", continues record \(detail)" }
            if let warning = record.warning { line += " [read with warning: \(warning)]" }
            if let reason = record.reason {
                invalid += 1
                line += " INVALID \(reason.code): \(record.detail ?? "")"
            }
            print(line)
            if let merchant = record.merchant { print("\(indent)    merchant = \"\(merchant)\"") }
            if !record.context.isEmpty {
                print("\(indent)    context: " + record.context.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", "))
            }
            for field in record.fields {
                let mark = field.problem.map { "   <- \($0.code)" } ?? ""
                print("\(indent)    \(field.name) = \"\(field.value)\"\(mark)")
            }
        }
        if records.isEmpty { printError("settle: no records from record \(from) in \(file)") }
        if invalid > 0 { throw ExitCode(ExitStatus.findings) }
    }
}
