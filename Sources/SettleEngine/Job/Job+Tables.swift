/// Table ledgers (`--ledger postgresql://...`) in a job: opened when the job is planned or opened,
/// identified in the manifest by their row count and key range, planned as key ranges.
extension Job {
    /// A table ledger opened for this process, and what it holds now.
    struct OpenTable {
        var source: any LedgerRowSource
        var live: Manifest.TableIdentity
    }

    /// A table ledger to plan: its source and the facts to cut its ranges from (the manifest's, on a resume).
    struct PlannedTable {
        var source: any LedgerRowSource
        var facts: LedgerTableFacts

        /// Its columns as a ledger's header (the source reads the spec's columns, in order).
        func resolve(spec: LedgerSpec, referenceWidth: Int) throws -> TableLedger {
            let columns = try spec.resolve(header: source.columns, file: source.display)
            let ledger = LedgerFile(spec: spec, header: source.columns, columns: columns, dataStart: 0, headerLines: 0,
                                    referenceWidth: referenceWidth)
            return TableLedger(source: source, ledger: ledger, facts: facts)
        }
    }

    /// Settlement files first, then ledger files, then table ledgers: the order of the plan's files.
    static func orderedInputs(_ inputs: [AggregateOptions.Input]) -> [AggregateOptions.Input] {
        let ledgers = inputs.filter(\.isLedger)
        return inputs.filter { !$0.isLedger } + ledgers.filter { !LedgerSources.isTable($0.path) } + ledgers.filter { LedgerSources.isTable($0.path) }
    }

    /// Opens the table ledgers among `inputs` (by URL, or those `recorded` as tables in a manifest)
    /// and asks each its row count and key range: a missing column or an unreachable server stops
    /// here, before any work. Keyed by input index.
    static func openTables(_ inputs: [AggregateOptions.Input], ledgerSpec: Manifest.LayoutIdentity?, ledgerLayout: String?,
                           recorded: [Bool]? = nil) throws -> [Int: OpenTable] {
        let indexes = inputs.indices.filter { recorded?[$0] ?? (inputs[$0].isLedger && LedgerSources.isTable(inputs[$0].path)) }
        guard !indexes.isEmpty else { return [:] }
        if ledgerLayout != nil {
            throw SettleError(.usage, "--ledger-layout describes fixed-width ledger files; a ledger table is read by its columns (--ledger-spec)")
        }
        let spec = try ledgerSpec.map { try LedgerSpec.parse(text: $0.text, source: $0.name) } ?? LedgerSpec()
        var tables: [Int: OpenTable] = [:]
        for index in indexes {
            let source = try LedgerSources.open(inputs[index].path, spec: spec)
            let facts = try source.facts()
            if let minKey = facts.minKey, minKey < 0 {
                throw SettleError(.usage, "ledger \(source.display): the key column has negative keys (the smallest is \(minKey)): Settle reads tables keyed by integers of 0 or more (give another column with key=)")
            }
            tables[index] = OpenTable(source: source, live: Manifest.TableIdentity(
                name: source.name, rowCount: facts.rowCount, minKey: facts.minKey, maxKey: facts.maxKey, bytesPerRow: facts.bytesPerRow))
        }
        return tables
    }

    /// The mapped inputs; a table has an empty placeholder (its rows are read by its source).
    static func mapInputs(_ inputs: [AggregateOptions.Input], tables: [Int: OpenTable]) throws -> [MappedFile] {
        try inputs.enumerated().map { index, input in
            tables[index] != nil ? MappedFile(placeholder: input.path) : try MappedFile(path: input.path)
        }
    }

    /// Each input's identity: a file's size, time and sampled checksum, a table's facts.
    static func identities(_ inputs: [AggregateOptions.Input], originals: [MappedFile], tables: [Int: OpenTable]) throws -> [Manifest.InputIdentity] {
        try zip(inputs, originals).enumerated().map { index, pair in
            guard let table = tables[index] else { return try Manifest.InputIdentity.of(path: pair.0.path, layout: pair.0.layout, mapped: pair.1) }
            return Manifest.InputIdentity(path: pair.0.path, layout: pair.0.layout, sizeBytes: 0, modifiedSeconds: 0, modifiedNanoseconds: 0,
                                          sampledSha256: "", table: table.live)
        }
    }

    /// The tables to plan, with the facts `identities` record.
    static func planned(_ tables: [Int: OpenTable], identities: [Manifest.InputIdentity]) -> [Int: PlannedTable] {
        var planned: [Int: PlannedTable] = [:]
        for (index, table) in tables {
            planned[index] = PlannedTable(source: table.source, facts: (identities[index].table ?? table.live).facts)
        }
        return planned
    }
}
