import Logging
import PostgresNIO
import SettleEngine

/// Publishes a finished output set into schema `settle`, exactly once: one transaction that checks
/// the reprocessing guard before it writes anything, supersedes the earlier jobs `--reprocess`
/// names, replaces the job's own rows (delete, then insert: a retry or a second publish of the same
/// job never adds rows), and bulk-loads each CSV by COPY into a temporary staging table and one
/// set-based INSERT ... SELECT. Every publish holds one advisory lock, so publishes never interleave.
/// A failure anywhere rolls the whole transaction back; a transient one runs it again.
package enum Publisher {
    package struct Outcome: Sendable {
        package var jobKey: String
        package var rows: [(table: String, rows: Int)]
        /// Earlier jobs `--reprocess` superseded.
        package var superseded: [String]
    }

    /// The CSV outputs and the tables they go to: (table column, CSV column, type) with types text,
    /// bigint or numeric; empty cells are NULL.
    struct Load {
        var table: String
        var csv: String
        var columns: [(target: String, source: String, type: String)]
    }

    static let loads: [Load] = [
        Load(table: "totals", csv: "totals.csv", columns: [
            ("merchant_id", "merchant_id", "text"), ("currency", "currency", "text"), ("debit_count", "debit_count", "bigint"),
            ("debit_amount", "debit_amount", "numeric"), ("credit_count", "credit_count", "bigint"),
            ("credit_amount", "credit_amount", "numeric"), ("fee_amount", "fee_amount", "numeric"), ("net_amount", "net_amount", "numeric"),
        ]),
        Load(table: "rejects", csv: "rejects.csv", columns: [
            ("file", "file", "text"), ("record", "record_number", "bigint"), ("byte_offset", "byte_offset", "bigint"),
            ("reason", "reason", "text"), ("field", "field", "text"), ("detail", "detail", "text"), ("raw", "raw", "text"),
        ]),
        Load(table: "mismatches", csv: "mismatches.csv", columns: [
            ("kind", "kind", "text"), ("arn", "arn", "text"), ("merchant_id", "merchant_id", "text"), ("currency", "currency", "text"),
            ("direction", "direction", "text"), ("settled_amount", "settled_amount", "numeric"),
            ("ledger_merchant_id", "ledger_merchant_id", "text"), ("ledger_currency", "ledger_currency", "text"),
            ("ledger_direction", "ledger_direction", "text"), ("ledger_amount", "ledger_amount", "numeric"),
            ("difference", "difference", "numeric"), ("file", "file", "text"), ("record_number", "record_number", "bigint"),
            ("ledger_file", "ledger_file", "text"), ("ledger_line", "ledger_line", "text"),
        ]),
        Load(table: "reconciliation", csv: "reconciliation.csv", columns: [
            ("merchant_id", "merchant_id", "text"), ("currency", "currency", "text"), ("settled_count", "settled_count", "bigint"),
            ("settled_gross", "settled_gross", "numeric"), ("ledger_count", "ledger_count", "bigint"),
            ("ledger_gross", "ledger_gross", "numeric"), ("matched_count", "matched_count", "bigint"),
            ("matched_gross", "matched_gross", "numeric"), ("mismatch_count", "mismatch_count", "bigint"),
            ("difference", "difference", "numeric"),
        ]),
    ]

    /// Publishes `set` to `url`. Throws a `SettleError`: the guard's refusal, or a failure naming the
    /// server (host, port, database), after which the database holds what it held before.
    package static func publish(_ set: PublishedSet, to url: PostgresURL, reprocess: Bool,
                                options: PostgresSession.Options = .init(), logger: Logger? = nil) throws(SettleError) -> Outcome {
        let session = try PostgresSession.open(url, options: options, logger: logger)
        defer { session.close() }
        return try session.retrying("publish") { session in
            try PublishSchema.migrate(session)
            try session.execute("BEGIN")
            do {
                let outcome = try publishInTransaction(set, session: session, reprocess: reprocess)
                FaultInjection.pause(at: "publish-before-commit")
                try session.execute("COMMIT")
                return outcome
            } catch {
                try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    private static func publishInTransaction(_ set: PublishedSet, session: PostgresSession, reprocess: Bool) throws -> Outcome {
        let jobKey = set.jobKey
        try session.query("SELECT pg_advisory_xact_lock(\(PublishSchema.lockKey))")
        let superseded = try PublishGuard.check(set, jobKey: jobKey, session: session, reprocess: reprocess)
        for earlier in superseded {
            for table in PublishSchema.jobTables {
                try session.query("""
                    WITH moved AS (DELETE FROM settle.\(unescaped: table) WHERE job_key = \(earlier) RETURNING *)
                    INSERT INTO settle.superseded_\(unescaped: table) SELECT moved.*, \(jobKey), now() FROM moved
                    """)
            }
        }
        for table in PublishSchema.jobTables {
            try session.query("DELETE FROM settle.\(unescaped: table) WHERE job_key = \(jobKey)")
        }
        try session.query("""
            INSERT INTO settle.jobs (job_key, run_id, status, started_at, finished_at, result)
            VALUES (\(jobKey), \(set.runID), \(set.status), \(set.startedAt)::timestamptz,
                    \(set.startedAt)::timestamptz + make_interval(secs => \(set.seconds)), (\(set.summaryText)::jsonb)->'result')
            """)
        // Arrays cannot carry NULLs here: '' and -1 stand for unknown.
        try session.query("""
            INSERT INTO settle.files (job_key, role, path, content_sha256, size, records, control_status)
            SELECT \(jobKey), role, path, NULLIF(sha, ''), NULLIF(size, -1), NULLIF(records, -1), NULLIF(status, '')
            FROM unnest(\(set.files.map(\.role)), \(set.files.map(\.path)), \(set.files.map { $0.contentSHA256 ?? "" }),
                        \(set.files.map { Int64($0.sizeBytes ?? -1) }), \(set.files.map { Int64($0.records ?? -1) }),
                        \(set.files.map { $0.controlStatus ?? "" })) AS f(role, path, sha, size, records, status)
            """)
        var rows: [(table: String, rows: Int)] = [("jobs", 1), ("files", set.files.count)]
        for load in loads {
            guard let output = set.output(load.csv) else { continue }
            rows.append((load.table, try bulkLoad(load, output: output, jobKey: jobKey, excelSafe: set.excelSafe, session: session)))
        }
        return Outcome(jobKey: jobKey, rows: rows, superseded: superseded)
    }

    /// COPY into a staging table dropped at commit, then one INSERT ... SELECT; returns the rows loaded.
    private static func bulkLoad(_ load: Load, output: PublishedSet.Output, jobKey: String, excelSafe: Bool,
                                 session: PostgresSession) throws -> Int {
        let source = try CSVCopySource(output, excelSafe: excelSafe)
        for column in load.columns where !source.header.contains(column.source) {
            throw SettleError(.unreadableInput, "\(output.path) has no column \(column.source)")
        }
        let staging = "settle_stage_\(load.table)"
        let definition = source.header.map { "\($0) text" }.joined(separator: ", ")
        try session.query(sql: "CREATE TEMPORARY TABLE \(staging) (\(definition)) ON COMMIT DROP")
        try session.copyFrom(table: staging, columns: source.header) { try source.next() }
        let targets = (["job_key"] + load.columns.map(\.target)).joined(separator: ", ")
        let values = load.columns.map { column in
            column.type == "text" ? "NULLIF(\(column.source), '')" : "NULLIF(\(column.source), '')::\(column.type)"
        }.joined(separator: ", ")
        var binds = PostgresBindings()
        binds.append(jobKey)
        try session.query(sql: "INSERT INTO settle.\(load.table) (\(targets)) SELECT $1, \(values) FROM \(staging)", binds: binds)
        return source.rows
    }
}
