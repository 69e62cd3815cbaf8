@testable import SettleEngine

/// The map stage's scanners on arbitrary bytes with the built-in layouts: the flat scanner
/// (`MapWorker`'s hot loop) and the structured one (`StructuredScanner`), each behind the planner
/// that cuts the file, finds header and trailer and carries structure across partitions.
///
/// The first byte of an input chooses the run: bits 0-1 the layout (modulo how many), bit 2
/// `--strict`, bits 3-4 the partition size; the rest is the file. Seeds hold such a byte.
struct ScannerFuzz {
    let layouts: [(name: String, layout: CompiledLayout)]

    static let flat = ScannerFuzz(names: ["reference", "wide"])
    static let structured = ScannerFuzz(names: ["nacha", "cnab240", "cnab400-itau"])

    /// Partition sizes small enough that a few records span several partitions, and the default.
    static let partitionSizes = [1 << 9, 1 << 11, 1 << 13, AggregateOptions.defaultPartitionSizeBytes]

    init(names: [String]) {
        layouts = names.map { ($0, try! LayoutLoader.compile($0)) }
    }

    func run(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let (name, layout) = layouts[Int(selector & 3) % layouts.count]
        let strict = selector & 4 != 0
        let partitionSize = Self.partitionSizes[Int(selector >> 3) & 3]
        let path = Scratch.write(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), name: "input.dat")
        Self.mapAll(path: path, layoutName: name, layout: layout, strict: strict, partitionSizeBytes: partitionSize)
    }

    /// Plans `path` with `layout` and maps every partition, as a job does, into scratch directories.
    static func mapAll(path: String, layoutName: String, layout: CompiledLayout, strict: Bool, partitionSizeBytes: Int) {
        guard let mapped = try? MappedFile(path: path) else { return }
        let plan = PartitionPlanner.plan(files: [(path, layoutName, layout, mapped)], partitionSizeBytes: partitionSizeBytes, strict: strict)
        map(plan, mapped: [mapped], reconciling: false)
    }

    /// One worker per kind of scan, made once (each owns a table and an LZ4 context), with the smallest
    /// table (1,024 slots: clearing a bigger one per partition dominated the time). libFuzzer runs
    /// inputs one at a time on one thread, so nothing else ever touches them.
    nonisolated(unsafe) static let plainWorker = try! MapWorker(id: 0, memoryBytes: 1 << 16, bucketCount: 4)
    nonisolated(unsafe) static let reconcilingWorker = try! MapWorker(id: 0, memoryBytes: 1 << 16, bucketCount: 4, reconciling: true)

    /// Maps every partition of `plan` with one worker; each into a fresh directory.
    static func map(_ plan: PartitionPlan, mapped: [MappedFile], reconciling: Bool) {
        let worker = reconciling ? reconcilingWorker : plainWorker
        for partition in plan.partitions {
            let directory = Scratch.directory("map")
            _ = try? worker.map(partition, file: plan.files[partition.fileIndex], mapped: mapped[partition.fileIndex], directory: directory)
        }
    }
}
