/// `report.html` in an output directory: the morning report of a run, made from the published
/// outputs alone. Publishing writes it right after summary.json (it is derived from the published
/// set, so it cannot be part of that set's hashes); `settle report DIR` makes it again.
public enum MorningReport {
    public static let fileName = "report.html"

    /// The page for the outputs in `outDirectory`.
    public static func render(outDirectory: String) throws -> String {
        ReportPage(inputs: try ReportInputs.load(outDirectory: outDirectory)).render()
    }

    /// Renders and publishes `report.html` (temporary name, fsync, rename), or to `path`.
    @discardableResult
    public static func write(outDirectory: String, to path: String? = nil) throws -> String {
        let destination = path ?? outDirectory + "/" + fileName
        // The page must not replace a file it is made from (`settle report DIR --output DIR/totals.csv`).
        let destinationForms = FilePaths.forms(destination), identity = Syscalls.identity(destination)
        for name in OutputFiles.set + OutputFiles.reconciliation {
            let source = outDirectory + "/" + name
            if !destinationForms.isDisjoint(with: FilePaths.forms(source)) || identity != nil && Syscalls.identity(source) == identity {
                throw SettleError(.usage, "the report \(destination) is the same file as \(source), which the report is made from: give another --output")
            }
        }
        try AtomicFile.write(Array(try render(outDirectory: outDirectory).utf8), to: destination)
        return destination
    }
}

extension MorningReport {
    /// Reconciliation's mismatch counts by kind as the published summary.json holds them; nil when
    /// the run had no ledger (or there is no readable summary).
    public static func mismatchesByKind(outDirectory: String) -> [String: Int]? {
        let path = outDirectory + "/summary.json"
        guard let bytes = try? FileIO.readBytes(path: path), let summary = try? ReportJSON.parse(bytes, path: path),
              let kinds = summary["result"]?["reconciliation"]?["mismatches_by_kind"] else { return nil }
        return kinds.members.compactMapValues(\.int)
    }
}
