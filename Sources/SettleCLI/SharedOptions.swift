import ArgumentParser
import SettleEngine

/// Options of every command that runs the pipeline: inputs, layout and resources.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "Settlement files read with --layout.")
    var files: [String] = []

    @Option(help: ArgumentHelp("Layout of the positional files: a built-in name (\(BuiltinLayouts.names.joined(separator: ", "))) or a YAML file."))
    var layout: String?

    @Option(name: .customLong("input"), help: ArgumentHelp("A file with its own layout (repeatable).", valueName: "PATH:LAYOUT"))
    var extraInputs: [String] = []

    @Option(help: ArgumentHelp("A ledger CSV to reconcile the settlement files against (repeatable; paired in this order), "
                               + "or a table: 'postgresql://USER@HOST:PORT/DB?table=NAME' (or query=SELECT..., key=COLUMN; "
                               + "password from PGPASSWORD or ~/.pgpass).",
                               valueName: "FILE|URL"))
    var ledger: [String] = []

    @Option(help: ArgumentHelp("How the ledger is written: column names, decimal or signed amounts, direction words (YAML).",
                               valueName: "FILE"))
    var ledgerSpec: String?

    @Option(help: ArgumentHelp("Ledger files are fixed-width records in this layout (its reference, merchant, currency, amount and direction roles) instead of CSV.",
                               valueName: "NAME|PATH"))
    var ledgerLayout: String?

    @Flag(help: "Structured layouts: reject the physical forms otherwise read with a warning (trimmed, multi-byte, unseparated or blank lines, records after the trailer) and fail the terminator check.")
    var strict = false

    @Flag(help: "Accept the same file given twice as an input (by another path or a link): its records then count twice.")
    var allowSameInput = false

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Option(parsing: .unconditional, help: "Memory Settle may allocate: tables, buffers, merge state (64M, 64MiB and 64MB all mean 64 MiB).")
    var memory: String = "1GiB"

    @Option(parsing: .unconditional, help: "Target partition size.")
    var partitionSize: String = "64MiB"

    @Option(help: "Reduce buckets.")
    var buckets: Int = AggregateOptions.defaultBuckets

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

    func memoryBytes() throws -> Int {
        try SizeArgument.bytes(memory, option: "--memory", example: "512M or 2GiB")
    }

    func partitionSizeBytes() throws -> Int {
        try SizeArgument.bytes(partitionSize, option: "--partition-size", example: "64M")
    }

    func validate() throws {
        _ = try inputs()
        _ = try memoryBytes()
        _ = try partitionSizeBytes()
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if buckets < 1 || buckets > 65536 { throw ValidationError("--buckets must be between 1 and 65536") }
    }
}
