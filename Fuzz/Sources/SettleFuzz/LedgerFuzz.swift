@testable import SettleEngine

/// The ledger CSV reader: the header (`LedgerFile.resolve`, default spec) and then every row of
/// every partition (`LedgerCSV.cut`, then the map stage's ledger scan) of arbitrary bytes.
enum LedgerFuzz {
    static let settlement = try! LayoutLoader.compile("reference")

    /// Partition sizes: tiny (rows and quoted line ends cut across partitions) and the default.
    static let partitionSizes = [1 << 6, 1 << 8, 1 << 12, AggregateOptions.defaultPartitionSizeBytes]

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let path = Scratch.write(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), name: "ledger.csv")
        guard let mapped = try? MappedFile(path: path),
              let ledger = try? LedgerFile.resolve(path: path, spec: LedgerSpec(), referenceWidth: settlement.reference?.length ?? 23,
                                                   mapped: mapped) else { return }
        let plan = PartitionPlanner.plan(files: [], ledgers: [(path, ledger, settlement, mapped)],
                                         partitionSizeBytes: partitionSizes[Int(selector & 3)])
        ScannerFuzz.map(plan, mapped: [mapped], reconciling: true)
    }
}
