import SettleEngine

/// A finished output set (`--out`) as publishing reads it: `summary.json` and the CSV files it
/// vouches for. Everything here comes from the directory alone, so a set can be published long after
/// its work directory is gone.
package struct PublishedSet: Sendable {
    /// An input file of the job, settlement or ledger.
    package struct File: Sendable, Equatable {
        package var role: String
        package var path: String
        package var layout: String
        package var contentSHA256: String?
        package var sizeBytes: Int?
        package var records: Int?
        package var controlStatus: String?
    }

    /// An output CSV and the SHA-256 and size `summary.json` records for it.
    package struct Output: Sendable {
        package var name: String
        package var path: String
        package var sha256: String
        package var bytes: Int
    }

    package var directory: String
    package var summaryText: String
    package var runID: String
    package var status: String
    package var startedAt: String
    package var seconds: Double
    package var excelSafe: Bool
    package var files: [File]
    package var outputs: [Output]

    package var settlementFiles: [File] { files.filter { $0.role == "settlement" } }
    package var reconciles: Bool { outputs.contains { $0.name == "mismatches.csv" } }
    package var hasFindings: Bool { status != "completed" }

    /// The job key: SHA-256 over what the job read (each settlement file's content identity and
    /// layout, then each ledger's content identity, or its source when it has none, such as a table),
    /// so the same inputs give the same key whatever the paths, workers or partition size.
    package var jobKey: String {
        var text = "settle-job 1\n"
        for file in files {
            text += "\(file.role) \(file.contentSHA256 ?? "source:" + file.path) \(file.role == "settlement" ? file.layout : "")\n"
        }
        var hasher = SHA256()
        hasher.update(Array(text.utf8))
        return hasher.finalizeHex()
    }

    package func output(_ name: String) -> Output? { outputs.first { $0.name == name } }

    /// Reads `directory/summary.json`; throws a `SettleError` naming the file when it is missing,
    /// is not a finished run's, or lacks a settlement file's content identity.
    package static func read(directory: String) throws -> PublishedSet {
        let path = directory + "/summary.json"
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readBytes(path: path)
        } catch {
            throw SettleError(.unreadableInput, "cannot read \(path): \(error). Is \(directory) the --out of a finished run?")
        }
        let summary = try ReportJSON.parse(bytes, path: path)
        guard summary["schema"]?.int == 1, let runID = summary["run_id"]?.string, let status = summary["status"]?.string,
              let result = summary["result"] else {
            throw SettleError(.unreadableInput, "\(path) is not a summary of a finished run (schema 1 with run_id, status and result)")
        }
        guard status == "completed" || status == "completed_with_findings" else {
            throw SettleError(.unreadableInput, "\(path): the run is \(status), not finished; finish it (settle resume) before publishing")
        }
        var files: [File] = []
        for file in result["files"]?.elements ?? [] {
            guard let filePath = file["path"]?.string else { continue }
            let control = file["control_check"]?["status"]?.string ?? file["checks_failed"]?.int.map { $0 == 0 ? "agree" : "unexplained" }
            files.append(File(role: "settlement", path: filePath, layout: file["layout"]?.string ?? "", contentSHA256: file["content_sha256"]?.string,
                              sizeBytes: file["size_bytes"]?.int, records: file["records"]?.int, controlStatus: control))
        }
        if let missing = files.first(where: { $0.contentSHA256 == nil }) {
            throw SettleError(.unreadableInput, "\(path) has no content_sha256 for \(missing.path) (written by an older Settle): run the job again to publish it")
        }
        for ledger in result["reconciliation"]?["ledger_files"]?.elements ?? [] {
            guard let ledgerPath = ledger["path"]?.string else { continue }
            files.append(File(role: "ledger", path: ledgerPath, layout: "", contentSHA256: ledger["content_sha256"]?.string,
                              sizeBytes: nil, records: ledger["rows"]?.int, controlStatus: nil))
        }
        var outputs: [Output] = []
        for (name, facts) in summary["outputs"]?.members ?? [:] {
            guard let sha256 = facts["sha256"]?.string, let size = facts["bytes"]?.int else { continue }
            outputs.append(Output(name: name, path: directory + "/" + name, sha256: sha256, bytes: size))
        }
        for name in ["totals.csv", "rejects.csv"] where !outputs.contains(where: { $0.name == name }) {
            throw SettleError(.unreadableInput, "\(path) does not list \(name)")
        }
        let run = summary["run"]
        return PublishedSet(directory: directory, summaryText: String(decoding: bytes, as: UTF8.self), runID: runID, status: status,
                            startedAt: run?["started_at"]?.string ?? "", seconds: run?["stage_seconds"]?["total"]?.double ?? 0,
                            excelSafe: run?["excel_safe"]?.double == 1, files: files,
                            outputs: outputs.sorted { $0.name < $1.name })
    }
}
