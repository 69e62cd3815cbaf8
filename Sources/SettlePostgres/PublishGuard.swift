import PostgresNIO
import SettleEngine

/// The reprocessing guard: no settlement file is counted by two current jobs. A file whose content
/// identity is already published under another job key is refused, naming the file, the earlier job
/// and when it was published, unless `--reprocess`, which supersedes the earlier jobs whole; it too
/// refuses when an earlier job had settlement files the new job does not include (superseding it
/// would drop their figures), naming them. Runs inside the publish transaction, under its lock,
/// before anything is written.
enum PublishGuard {
    /// The earlier jobs to supersede (empty when nothing clashes); throws a `SettleError` to refuse.
    static func check(_ set: PublishedSet, jobKey: String, session: PostgresSession, reprocess: Bool) throws -> [String] {
        let hashes = set.settlementFiles.compactMap(\.contentSHA256)
        let clashes = try session.query("""
            SELECT f.path, f.content_sha256, f.job_key, j.run_id, to_char(j.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM settle.files f JOIN settle.jobs j ON j.job_key = f.job_key
            WHERE f.role = 'settlement' AND f.job_key <> \(jobKey) AND f.content_sha256 = ANY(\(hashes))
            ORDER BY j.published_at, f.job_key, f.path
            """).map { try $0.decode((String, String, String, String, String).self) }
        guard !clashes.isEmpty else { return [] }
        let ours = { (hash: String) in set.settlementFiles.first { $0.contentSHA256 == hash }?.path ?? hash }
        if !reprocess {
            let lines = clashes.map { path, hash, job, run, published in
                "\(ours(hash)) (content_sha256 \(hash.prefix(16))…) was published by job \(job) (run \(run.prefix(12)), as \(path)) at \(published)"
            }
            throw SettleError(.usage, "refusing to publish: a file would be counted twice:\n  " + lines.joined(separator: "\n  ")
                + "\nTo replace the earlier job with this one, publish with --reprocess.")
        }
        var earlier: [String] = []
        for clash in clashes where !earlier.contains(clash.2) { earlier.append(clash.2) }
        let left = try session.query("""
            SELECT job_key, path FROM settle.files
            WHERE role = 'settlement' AND job_key = ANY(\(earlier)) AND NOT (coalesce(content_sha256, '') = ANY(\(hashes)))
            ORDER BY job_key, path
            """).map { try $0.decode((String, String).self) }
        if !left.isEmpty {
            let lines = left.map { job, path in "\(path) (job \(job))" }
            throw SettleError(.usage, "refusing to --reprocess: the earlier job also published files this job does not include, whose figures superseding it would drop:\n  "
                + lines.joined(separator: "\n  ") + "\nReprocess them together (give them as inputs of this job).")
        }
        return earlier
    }
}
