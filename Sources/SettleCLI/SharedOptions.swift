import ArgumentParser
import SettleEngine

/// Options of every command that runs the pipeline: inputs, layout and resources (`ResourceOptions`).
struct PipelineOptions: ParsableArguments {
    @Argument(help: "Settlement files read with --layout.")
    var files: [String] = []

    @Option(help: ArgumentHelp("Layout of the positional files: a built-in name (\(BuiltinLayouts.names.joined(separator: ", "))) or a YAML file."))
    var layout: String?

    @Option(name: .customLong("input"), help: ArgumentHelp("A file with its own layout (repeatable).", valueName: "PATH:LAYOUT"))
    var extraInputs: [String] = []

    /// Ledger, workers, memory, partition size, buckets: declared once, shared with `watch`.
    @OptionGroup var resources: ResourceOptions

    var ledger: [String] { resources.ledger }
    var ledgerSpec: String? { resources.ledgerSpec }
    var ledgerLayout: String? { resources.ledgerLayout }
    var strict: Bool { resources.strict }
    var allowSameInput: Bool { resources.allowSameInput }
    var workers: Int? { resources.workers }
    var buckets: Int { resources.buckets }

    func inputs() throws -> [AggregateOptions.Input] {
        if !files.isEmpty && layout == nil {
            throw ValidationError("--layout is required for positional files (or give each file as --input PATH:LAYOUT)")
        }
        var inputs = files.map { AggregateOptions.Input(path: $0, layout: layout!) }
        for value in extraInputs {
            guard let colon = value.lastIndex(of: ":"), colon != value.startIndex, value.index(after: colon) != value.endIndex else {
                throw ValidationError("--input takes PATH:LAYOUT, got '\(value)'")
            }
            inputs.append(AggregateOptions.Input(path: String(value[..<colon]), layout: String(value[value.index(after: colon)...])))
        }
        if inputs.isEmpty { throw ValidationError("no input files: give FILE... --layout L, or --input PATH:LAYOUT") }
        if (ledgerSpec != nil || ledgerLayout != nil) && ledger.isEmpty {
            throw ValidationError("--ledger-spec and --ledger-layout need --ledger FILE")
        }
        if ledgerSpec != nil && ledgerLayout != nil {
            throw ValidationError("--ledger-spec describes CSV ledgers and --ledger-layout fixed-width ones: give one of them")
        }
        return inputs + ledger.map { AggregateOptions.Input.ledger($0) }
    }

    func memoryBytes() throws -> Int { try resources.memoryBytes() }

    func partitionSizeBytes() throws -> Int { try resources.partitionSizeBytes() }

    func validate() throws {
        _ = try inputs()
        try resources.check()
    }
}
