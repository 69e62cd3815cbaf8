import Logging

/// An opened job: its directory, manifest, the partition plan and the mapped inputs. Every command
/// that works on a job directory (aggregate, plan, map, reduce, finalize, resume, status) starts
/// from one of these.
public final class Job: Sendable {
    public let directory: JobDirectory
    public let manifest: Manifest
    public let plan: PartitionPlan
    public let mapped: [MappedFile]

    init(directory: JobDirectory, manifest: Manifest, plan: PartitionPlan, mapped: [MappedFile]) throws {
        self.directory = directory
        self.manifest = manifest
        var plan = plan
        // A `--match` pass on dates: every file's occurrences carry their dates.
        if try manifest.matchSpec()?.needsDate == true {
            for index in plan.files.indices { plan.files[index].readsDates = true }
        }
        self.plan = plan
        self.mapped = mapped
    }

    public var bucketCount: Int { manifest.buckets }
    public var partitionCount: Int { plan.partitions.count }

    /// Creates the job (manifest and plan) or, when the directory already holds one for the same
    /// inputs and layouts, opens it to resume. Throws `jobChanged` naming what changed otherwise;
    /// `restart` discards the directory's state first. A gzip input is decompressed into the job
    /// directory (or its copy reused) before planning: see `CompressedInputs`.
    public static func prepare(inputs: [AggregateOptions.Input], partitionSizeBytes: Int, buckets: Int,
                               directory: JobDirectory, restart: Bool, outDirectory: String? = nil,
                               ledgerSpec: String? = nil, ledgerLayout: String? = nil, strict: Bool = false,
                               match: MatchSpec? = nil, openItems: OpenItemsOptions? = nil,
                               logger: Logger = Logger(label: "settle")) throws -> (job: Job, resumed: Bool) {
        if ledgerSpec != nil && ledgerLayout != nil {
            throw SettleError(.usage, "--ledger-spec describes CSV ledgers and --ledger-layout fixed-width ones: give one of them")
        }
        // Settlement files first, ledger files after, table ledgers last (positions order settled occurrences first).
        let inputs = orderedInputs(inputs)
        var layoutTexts: [String: (text: String, sha256: String, compiled: CompiledLayout)] = [:]
        let layoutNames = inputs.filter { !$0.isLedger }.map(\.layout) + (inputs.contains(where: \.isLedger) ? ledgerLayout.map { [$0] } ?? [] : [])
        for name in layoutNames where layoutTexts[name] == nil {
            let (text, source) = try LayoutLoader.text(name)
            let compiled = try LayoutLoader.compile(spec: LayoutLoader.parse(text: text, source: source))
            layoutTexts[name] = (text, SHA256.hash(Array(text.utf8)), compiled)
        }
        let fixedLedgerLayout = inputs.contains(where: \.isLedger) ? ledgerLayout : nil
        var spec: Manifest.LayoutIdentity?
        if inputs.contains(where: \.isLedger) && fixedLedgerLayout == nil {
            let loaded = try LedgerSpec.load(ledgerSpec)
            spec = Manifest.LayoutIdentity(name: loaded.name, sha256: SHA256.hash(Array(loaded.text.utf8)), text: loaded.text)
        }
        // The inputs as given: their identity (a .gz's own, a table's rows and keys) goes into the manifest.
        let tables = try openTables(inputs, ledgerSpec: spec, ledgerLayout: fixedLedgerLayout)
        let originals = try mapInputs(inputs, tables: tables)
        var identities = try identities(inputs, originals: originals, tables: tables)
        let layouts = uniqueLayoutNames(layoutNames.map { AggregateOptions.Input(path: "", layout: $0) })
            .map { Manifest.LayoutIdentity(name: $0, sha256: layoutTexts[$0]!.sha256, text: layoutTexts[$0]!.text) }

        if restart { directory.clearState() }
        let existing = directory.hasManifest ? try readManifest(directory) : nil
        if let existing {
            let current = Manifest(schema: Manifest.schema, inputs: identities, layouts: layouts,
                                   partitionSizeBytes: existing.partitionSizeBytes, buckets: existing.buckets, partitions: [],
                                   ledgerSpec: spec, ledgerLayout: fixedLedgerLayout, outDirectory: existing.outDirectory,
                                   strict: strict ? true : nil, match: match?.identity, openItems: openItems?.record)
            let changes = existing.differences(from: current)
            if !changes.isEmpty {
                throw SettleError(.jobChanged, "job directory \(directory.root) was started on other inputs: "
                    + changes.joined(separator: "; ") + ". Run with --restart to discard it and start again.")
            }
            // A table is planned again from the facts recorded (its row size is an estimate).
            for index in tables.keys { identities[index].table = existing.inputs[index].table }
        }
        // What the plan cuts and the workers map: the inputs, or the decompressed copies of compressed ones.
        let sources = try CompressedInputs.files(paths: inputs.map(\.path), originals: originals,
                                                 recorded: existing?.inputs.map(\.decompressed) ?? [],
                                                 directory: directory, logger: logger)
        for index in identities.indices { identities[index].decompressed = sources[index].copy }
        let mapped = sources.map(\.mapped)
        let (files, fixed, ledgers, tableLedgers) = try resolveFiles(inputs: inputs, layouts: layoutTexts.mapValues(\.compiled), ledgerSpec: spec,
                                                                     ledgerLayout: fixedLedgerLayout, mapped: mapped,
                                                                     tables: planned(tables, identities: identities))
        for warning in FileShapeHints.warnings(files: files, strict: existing?.strict ?? strict) { logger.warning("\(warning)") }
        if let existing {
            let plan = PartitionPlanner.plan(files: files, fixedLedgers: fixed, ledgers: ledgers, tables: tableLedgers,
                                             partitionSizeBytes: existing.partitionSizeBytes, strict: existing.strict ?? false)
            try check(plan: plan, against: existing, directory: directory)
            return (try Job(directory: directory, manifest: existing, plan: plan, mapped: mapped), true)
        }
        try directory.create()
        let plan = PartitionPlanner.plan(files: files, fixedLedgers: fixed, ledgers: ledgers, tables: tableLedgers,
                                         partitionSizeBytes: partitionSizeBytes, strict: strict)
        let manifest = Manifest(schema: Manifest.schema, inputs: identities, layouts: layouts,
                                partitionSizeBytes: partitionSizeBytes, buckets: buckets,
                                partitions: plan.partitions.map(Manifest.PartitionEntry.init),
                                ledgerSpec: spec, ledgerLayout: fixedLedgerLayout, outDirectory: outDirectory,
                                strict: strict ? true : nil, match: match?.identity, openItems: openItems?.record)
        try AtomicFile.write(try manifest.encoded(), to: directory.manifestPath, mode: 0o600)
        return (try Job(directory: directory, manifest: manifest, plan: plan, mapped: mapped), false)
    }

    /// Pairs each input with its compiled layout, and resolves each ledger file's header against
    /// the ledger spec (the columns must be there before any work starts).
    /// Fixed-width ledgers (`ledgerLayout`) come back as the `fixed` last entries of `files`.
    static func resolveFiles(inputs: [AggregateOptions.Input], layouts: [String: CompiledLayout], ledgerSpec: Manifest.LayoutIdentity?,
                             ledgerLayout: String?, mapped: [MappedFile], tables: [Int: PlannedTable] = [:]) throws
        -> (files: [(path: String, layoutName: String, layout: CompiledLayout, mapped: MappedFile)], fixed: Int,
            ledgers: [(path: String, ledger: LedgerFile, layout: CompiledLayout, mapped: MappedFile)],
            tables: [(table: TableLedger, layout: CompiledLayout)]) {
        var files: [(path: String, layoutName: String, layout: CompiledLayout, mapped: MappedFile)] = []
        var ledgers: [(path: String, ledger: LedgerFile, layout: CompiledLayout, mapped: MappedFile)] = []
        for (input, file) in zip(inputs, mapped) where !input.isLedger {
            guard let layout = layouts[input.layout] else {
                throw SettleError(.jobChanged, "no layout '\(input.layout)' for \(input.path)")
            }
            files.append((input.path, input.layout, layout, file))
        }
        let ledgerInputs = zip(inputs, mapped).enumerated().filter { $0.element.0.isLedger && tables[$0.offset] == nil }.map(\.element)
        guard !ledgerInputs.isEmpty || !tables.isEmpty else { return (files, 0, [], []) }
        guard let settlement = files.first?.layout else {
            throw SettleError(.usage, "--ledger needs settlement files to reconcile against")
        }
        guard let reference = settlement.reference else {
            throw SettleError(.usage, "layout '\(files[0].layoutName)' has no field with role reference: reconciliation matches on it (add `role: reference` to the ARN field)")
        }
        if let other = files.first(where: { $0.layout.reference?.length != reference.length }) {
            throw SettleError(.usage, "layouts '\(files[0].layoutName)' and '\(other.layoutName)' have references of different widths: reconcile them in separate runs")
        }
        if let wide = files.first(where: { $0.layout.currencyWidth > 3 }) {
            throw SettleError(.usage, "layout '\(wide.layoutName)' has a currency field of \(wide.layout.currencyWidth) bytes: reconciliation takes ISO 4217 codes of 3")
        }
        if let ledgerLayout {
            guard let layout = layouts[ledgerLayout] else { throw SettleError(.jobChanged, "no layout '\(ledgerLayout)' for the ledger") }
            guard layout.reference != nil else {
                throw SettleError(.usage, "ledger layout '\(ledgerLayout)' has no field with role reference: reconciliation matches on it")
            }
            if layout.currencyWidth > 3 {
                throw SettleError(.usage, "ledger layout '\(ledgerLayout)' has a currency field of \(layout.currencyWidth) bytes: reconciliation takes ISO 4217 codes of 3")
            }
            for (input, file) in ledgerInputs { files.append((input.path, ledgerLayout, layout, file)) }
            return (files, ledgerInputs.count, [], [])
        }
        let spec = try ledgerSpec.map { try LedgerSpec.parse(text: $0.text, source: $0.name) } ?? LedgerSpec()
        for (input, file) in ledgerInputs {
            let ledger = try LedgerFile.resolve(path: input.path, spec: spec, referenceWidth: reference.length, mapped: file)
            ledgers.append((input.path, ledger, settlement, file))
        }
        let tableLedgers = try tables.keys.sorted().map { index in
            (table: try tables[index]!.resolve(spec: spec, referenceWidth: reference.length), layout: settlement)
        }
        return (files, 0, ledgers, tableLedgers)
    }

    /// Opens an existing job from its manifest alone (layouts come from the manifest), checking
    /// that the inputs have not changed. Gzip inputs map their decompressed copies, made again when lost.
    public static func open(_ directory: JobDirectory, logger: Logger = Logger(label: "settle")) throws -> Job {
        guard directory.hasManifest else {
            throw SettleError(.usage, "\(directory.root) is not a job directory (no manifest.json): run `settle plan` or `settle aggregate` first")
        }
        let manifest = try readManifest(directory)
        var compiled: [String: CompiledLayout] = [:]
        for layout in manifest.layouts {
            let spec = try LayoutLoader.parse(text: layout.text, source: "\(layout.name) (from \(directory.manifestPath))")
            compiled[layout.name] = try LayoutLoader.compile(spec: spec)
        }
        let recordedInputs = manifest.inputs.map { AggregateOptions.Input(path: $0.path, layout: $0.layout) }
        let tables = try openTables(recordedInputs, ledgerSpec: manifest.ledgerSpec, ledgerLayout: manifest.ledgerLayout,
                                    recorded: manifest.inputs.map { $0.table != nil })
        let originals = try mapInputs(recordedInputs, tables: tables)
        let identities = try identities(recordedInputs, originals: originals, tables: tables)
        var current = manifest
        current.inputs = identities
        let changes = manifest.differences(from: current)
        if !changes.isEmpty {
            throw SettleError(.jobChanged, "the inputs of job \(directory.root) changed since it was planned: "
                + changes.joined(separator: "; ") + ". Start again with `settle aggregate ... --restart`.")
        }
        let mapped = try CompressedInputs.files(paths: manifest.inputs.map(\.path), originals: originals,
                                                recorded: manifest.inputs.map(\.decompressed), directory: directory, logger: logger).map(\.mapped)
        let inputs = manifest.inputs.map { AggregateOptions.Input(path: $0.path, layout: $0.layout) }
        guard inputs.allSatisfy({ $0.isLedger || compiled[$0.layout] != nil }) else {
            throw SettleError(.jobChanged, "manifest \(directory.manifestPath) names a layout it does not hold")
        }
        let (files, fixed, ledgers, tableLedgers) = try resolveFiles(inputs: inputs, layouts: compiled, ledgerSpec: manifest.ledgerSpec,
                                                                     ledgerLayout: manifest.ledgerLayout, mapped: mapped,
                                                                     tables: planned(tables, identities: manifest.inputs))
        let plan = PartitionPlanner.plan(files: files, fixedLedgers: fixed, ledgers: ledgers, tables: tableLedgers,
                                         partitionSizeBytes: manifest.partitionSizeBytes, strict: manifest.strict ?? false)
        try check(plan: plan, against: manifest, directory: directory)
        return try Job(directory: directory, manifest: manifest, plan: plan, mapped: mapped)
    }

    static func readManifest(_ directory: JobDirectory) throws -> Manifest {
        do {
            return try Manifest.decode(try FileIO.readBytes(path: directory.manifestPath))
        } catch {
            throw SettleError(.jobChanged, "cannot read \(directory.manifestPath): \(error). Run with --restart to discard the job directory.")
        }
    }

    static func check(plan: PartitionPlan, against manifest: Manifest, directory: JobDirectory) throws {
        let entries = plan.partitions.map(Manifest.PartitionEntry.init)
        if entries != manifest.partitions {
            throw SettleError(.jobChanged, "the partition plan of \(directory.root) no longer matches its inputs. Run with --restart.")
        }
    }

    static func uniqueLayoutNames(_ inputs: [AggregateOptions.Input]) -> [String] {
        var seen: Set<String> = []
        return inputs.map(\.layout).filter { seen.insert($0).inserted }
    }
}
