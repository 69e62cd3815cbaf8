import ArgumentParser
import SettleEngine

/// `--match` and `--open-items` with its companions: the reconciliation's matching passes and the
/// items carried from night to night (aggregate, plan, resume, watch).
struct MatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Matching passes for the reconciliation (YAML): tolerances, other keys, one-to-many; writes matches.csv.",
                               valueName: "FILE"))
    var match: String?

    @Option(help: ArgumentHelp("Carry unmatched items from night to night in this store directory (needs --as-of); writes open_items.csv.",
                               valueName: "DIR"))
    var openItems: String?

    @Option(help: ArgumentHelp("The night this run reconciles (with --open-items): items first seen on it are 0 days old.",
                               valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: "Days an open item may stay unmatched before it becomes a missing_in_* mismatch (with --open-items).")
    var openDays: Int = 3

    @Flag(help: "With --open-items: start the store again (nothing carried), e.g. to run an earlier --as-of.")
    var restartOpenItems = false

    /// Checks the options; `hasLedger` is false when no --ledger is given (a resume reads it from the job).
    func check(hasLedger: Bool, needsAsOf: Bool = true) throws {
        if needsAsOf && (openItems == nil) != (asOf == nil) { throw ValidationError("--open-items DIR and --as-of YYYY-MM-DD go together") }
        if let asOf, CalendarDay.parse(asOf) == nil { throw ValidationError("--as-of: cannot read '\(asOf)' as a date YYYY-MM-DD") }
        if openItems != nil && !hasLedger { throw ValidationError("--open-items needs --ledger FILE") }
        if match != nil && !hasLedger { throw ValidationError("--match needs --ledger FILE") }
        if openDays < 0 { throw ValidationError("--open-days must be at least 0") }
    }

    /// The loaded passes, and the open-items options (with them, the exact pass when --match is absent).
    func load() throws -> (match: MatchSpec?, openItems: OpenItemsOptions?) {
        var spec = try match.map { try MatchSpec.load(path: $0) }
        guard let openItems, let asOf, let day = CalendarDay.parse(asOf) else { return (spec, nil) }
        if spec == nil { spec = .default }
        return (spec, OpenItemsOptions(directory: openItems, asOf: day, openDays: openDays, restart: restartOpenItems))
    }
}

/// The resources and ledger of a job, shared by the commands that run one (aggregate, plan) and
/// `watch`, which runs a job per batch: declared once.
struct ResourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A ledger CSV to reconcile the settlement files against (repeatable; paired in this order), "
                               + "or a table: 'postgresql://USER@HOST:PORT/DB?table=NAME' (or query=SELECT..., key=COLUMN; "
                               + "password from PGPASSWORD or ~/.pgpass).",
                               valueName: "FILE"))
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

    func memoryBytes() throws -> Int {
        try SizeArgument.bytes(memory, option: "--memory", example: "512M or 2GiB")
    }

    func partitionSizeBytes() throws -> Int {
        try SizeArgument.bytes(partitionSize, option: "--partition-size", example: "64M")
    }

    func check() throws {
        _ = try memoryBytes()
        _ = try partitionSizeBytes()
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if buckets < 1 || buckets > 65536 { throw ValidationError("--buckets must be between 1 and 65536") }
        if ledgerSpec != nil && ledgerLayout != nil {
            throw ValidationError("--ledger-spec describes CSV ledgers and --ledger-layout fixed-width ones: give one of them")
        }
    }

    /// The resource options of a job (inputs are the caller's).
    func apply(to options: inout AggregateOptions) {
        options.ledgerSpec = ledgerSpec
        options.ledgerLayout = ledgerLayout
        options.strict = strict
        options.allowSameInput = allowSameInput
    }
}
