/// An opened job: its directory, manifest, the partition plan and the mapped inputs. Every command
/// that works on a job directory (aggregate, plan, map, reduce, finalize, resume, status) starts
/// from one of these.
public final class Job: Sendable {
    public let directory: JobDirectory
    public let manifest: Manifest
    public let plan: PartitionPlan
    public let mapped: [MappedFile]

    init(directory: JobDirectory, manifest: Manifest, plan: PartitionPlan, mapped: [MappedFile]) {
        self.directory = directory
        self.manifest = manifest
        self.plan = plan
        self.mapped = mapped
    }

    public var bucketCount: Int { manifest.buckets }
    public var partitionCount: Int { plan.partitions.count }

    /// Creates the job (manifest and plan) or, when the directory already holds one for the same
    /// inputs and layouts, opens it to resume. Throws `jobChanged` naming what changed otherwise;
    /// `restart` discards the directory's state first.
    public static func prepare(inputs: [AggregateOptions.Input], partitionSizeBytes: Int, buckets: Int,
                               directory: JobDirectory, restart: Bool, outDirectory: String? = nil) throws -> (job: Job, resumed: Bool) {
        var layoutTexts: [String: (text: String, sha256: String, compiled: CompiledLayout)] = [:]
        for input in inputs where layoutTexts[input.layout] == nil {
            let (text, source) = try LayoutLoader.text(input.layout)
            let compiled = try LayoutLoader.compile(spec: LayoutLoader.parse(text: text, source: source))
            layoutTexts[input.layout] = (text, SHA256.hash(Array(text.utf8)), compiled)
        }
        let mapped = try inputs.map { try MappedFile(path: $0.path) }
        let identities = try zip(inputs, mapped).map { try Manifest.InputIdentity.of(path: $0.path, layout: $0.layout, mapped: $1) }
        let layouts = uniqueLayoutNames(inputs).map { Manifest.LayoutIdentity(name: $0, sha256: layoutTexts[$0]!.sha256, text: layoutTexts[$0]!.text) }
        let files = zip(inputs, mapped).map { ($0.path, $0.layout, layoutTexts[$0.layout]!.compiled, $1) }

        if restart { directory.clearState() }
        if directory.hasManifest {
            let existing = try readManifest(directory)
            let current = Manifest(schema: Manifest.schema, inputs: identities, layouts: layouts,
                                   partitionSizeBytes: existing.partitionSizeBytes, buckets: existing.buckets, partitions: [],
                                   outDirectory: existing.outDirectory)
            let changes = existing.differences(from: current)
            if !changes.isEmpty {
                throw SettleError(.jobChanged, "job directory \(directory.root) was started on other inputs: "
                    + changes.joined(separator: "; ") + ". Run with --restart to discard it and start again.")
            }
            let plan = PartitionPlanner.plan(files: files, partitionSizeBytes: existing.partitionSizeBytes)
            try check(plan: plan, against: existing, directory: directory)
            return (Job(directory: directory, manifest: existing, plan: plan, mapped: mapped), true)
        }
        try directory.create()
        let plan = PartitionPlanner.plan(files: files, partitionSizeBytes: partitionSizeBytes)
        let manifest = Manifest(schema: Manifest.schema, inputs: identities, layouts: layouts,
                                partitionSizeBytes: partitionSizeBytes, buckets: buckets,
                                partitions: plan.partitions.map { .init(index: $0.index, file: $0.fileIndex, byteStart: $0.byteStart, byteEnd: $0.byteEnd) },
                                outDirectory: outDirectory)
        try AtomicFile.write(try manifest.encoded(), to: directory.manifestPath, mode: 0o600)
        return (Job(directory: directory, manifest: manifest, plan: plan, mapped: mapped), false)
    }

    /// Opens an existing job from its manifest alone (layouts come from the manifest), checking
    /// that the inputs have not changed.
    public static func open(_ directory: JobDirectory) throws -> Job {
        guard directory.hasManifest else {
            throw SettleError(.usage, "\(directory.root) is not a job directory (no manifest.json): run `settle plan` or `settle aggregate` first")
        }
        let manifest = try readManifest(directory)
        var compiled: [String: CompiledLayout] = [:]
        for layout in manifest.layouts {
            let spec = try LayoutLoader.parse(text: layout.text, source: "\(layout.name) (from \(directory.manifestPath))")
            compiled[layout.name] = try LayoutLoader.compile(spec: spec)
        }
        let mapped = try manifest.inputs.map { try MappedFile(path: $0.path) }
        let identities = try zip(manifest.inputs, mapped).map { try Manifest.InputIdentity.of(path: $0.path, layout: $0.layout, mapped: $1) }
        var current = manifest
        current.inputs = identities
        let changes = manifest.differences(from: current)
        if !changes.isEmpty {
            throw SettleError(.jobChanged, "the inputs of job \(directory.root) changed since it was planned: "
                + changes.joined(separator: "; ") + ". Start again with `settle aggregate ... --restart`.")
        }
        guard manifest.inputs.allSatisfy({ compiled[$0.layout] != nil }) else {
            throw SettleError(.jobChanged, "manifest \(directory.manifestPath) names a layout it does not hold")
        }
        let files = zip(manifest.inputs, mapped).map { ($0.path, $0.layout, compiled[$0.layout]!, $1) }
        let plan = PartitionPlanner.plan(files: files, partitionSizeBytes: manifest.partitionSizeBytes)
        try check(plan: plan, against: manifest, directory: directory)
        return Job(directory: directory, manifest: manifest, plan: plan, mapped: mapped)
    }

    static func readManifest(_ directory: JobDirectory) throws -> Manifest {
        do {
            return try Manifest.decode(try FileIO.readBytes(path: directory.manifestPath))
        } catch {
            throw SettleError(.jobChanged, "cannot read \(directory.manifestPath): \(error). Run with --restart to discard the job directory.")
        }
    }

    static func check(plan: PartitionPlan, against manifest: Manifest, directory: JobDirectory) throws {
        let entries = plan.partitions.map { Manifest.PartitionEntry(index: $0.index, file: $0.fileIndex, byteStart: $0.byteStart, byteEnd: $0.byteEnd) }
        if entries != manifest.partitions {
            throw SettleError(.jobChanged, "the partition plan of \(directory.root) no longer matches its inputs. Run with --restart.")
        }
    }

    static func uniqueLayoutNames(_ inputs: [AggregateOptions.Input]) -> [String] {
        var seen: Set<String> = []
        return inputs.map(\.layout).filter { seen.insert($0).inserted }
    }
}
