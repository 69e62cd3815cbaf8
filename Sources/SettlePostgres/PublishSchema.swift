import PostgresNIO
import SettleEngine

/// Settle's own schema in the database it publishes to: `settle`, with `settle.schema_version`
/// recording the migrations applied. Each migration runs once, in a transaction of its own, under an
/// advisory lock, so two publishers starting at once do not race; running them again does nothing.
enum PublishSchema {
    /// The key of the transaction-level advisory lock every publish (and migration) holds.
    static let lockKey = 0x5E77_1E00

    /// The output tables, each also kept as `superseded_NAME` (the same columns, then
    /// `superseded_by` and `superseded_at`) for the rows of jobs that `--reprocess` superseded.
    static let jobTables = ["jobs", "files", "totals", "rejects", "mismatches", "reconciliation"]

    struct Migration {
        var version: Int
        var description: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, description: "jobs, files, totals, rejects, mismatches, reconciliation and their superseded_ twins", statements: [
            """
            CREATE TABLE settle.jobs (
                job_key text PRIMARY KEY, run_id text NOT NULL, status text NOT NULL,
                started_at timestamptz, finished_at timestamptz, published_at timestamptz NOT NULL DEFAULT now(),
                result jsonb NOT NULL)
            """,
            """
            CREATE TABLE settle.files (
                job_key text NOT NULL, role text NOT NULL, path text NOT NULL, content_sha256 text,
                size bigint, records bigint, control_status text)
            """,
            "CREATE INDEX files_job_key ON settle.files (job_key)",
            "CREATE INDEX files_content_sha256 ON settle.files (content_sha256)",
            """
            CREATE TABLE settle.totals (
                job_key text NOT NULL, merchant_id text NOT NULL, currency text NOT NULL,
                debit_count bigint NOT NULL, debit_amount numeric NOT NULL, credit_count bigint NOT NULL,
                credit_amount numeric NOT NULL, fee_amount numeric NOT NULL, net_amount numeric NOT NULL,
                PRIMARY KEY (job_key, merchant_id, currency))
            """,
            """
            CREATE TABLE settle.rejects (
                job_key text NOT NULL, file text NOT NULL, record bigint, byte_offset bigint, reason text NOT NULL,
                field text, detail text, raw text)
            """,
            "CREATE INDEX rejects_job_key ON settle.rejects (job_key)",
            """
            CREATE TABLE settle.mismatches (
                job_key text NOT NULL, kind text NOT NULL, arn text, merchant_id text, currency text, direction text,
                settled_amount numeric, ledger_merchant_id text, ledger_currency text, ledger_direction text,
                ledger_amount numeric, difference numeric, file text, record_number bigint, ledger_file text, ledger_line text)
            """,
            "CREATE INDEX mismatches_job_key ON settle.mismatches (job_key)",
            """
            CREATE TABLE settle.reconciliation (
                job_key text NOT NULL, merchant_id text NOT NULL, currency text NOT NULL,
                settled_count bigint NOT NULL, settled_gross numeric NOT NULL, ledger_count bigint NOT NULL,
                ledger_gross numeric NOT NULL, matched_count bigint NOT NULL, matched_gross numeric NOT NULL,
                mismatch_count bigint NOT NULL, difference numeric NOT NULL,
                PRIMARY KEY (job_key, merchant_id, currency))
            """,
        ] + jobTables.flatMap { table in [
            "CREATE TABLE settle.superseded_\(table) (LIKE settle.\(table) INCLUDING DEFAULTS)",
            "ALTER TABLE settle.superseded_\(table) ADD COLUMN superseded_by text NOT NULL, ADD COLUMN superseded_at timestamptz NOT NULL DEFAULT now()",
            "CREATE INDEX superseded_\(table)_job_key ON settle.superseded_\(table) (job_key)",
        ] }),
    ]

    static var currentVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// Creates the schema if missing and applies the migrations not yet applied. Throws when the
    /// database was migrated by a newer Settle (a version this one does not know).
    static func migrate(_ session: PostgresSession) throws {
        // Cheap check first: an up-to-date schema needs no lock and no transaction.
        if let version = try? appliedVersion(session), version == currentVersion { return }
        try session.execute("BEGIN")
        do {
            try session.query("SELECT pg_advisory_xact_lock(\(lockKey))")
            try session.execute(
                "CREATE SCHEMA IF NOT EXISTS settle",
                """
                CREATE TABLE IF NOT EXISTS settle.schema_version (
                    version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = try appliedVersion(session)
            if applied > currentVersion {
                throw SettleError(.usage, "the database's settle schema is at version \(applied), newer than this Settle knows (\(currentVersion)): publish with a newer Settle")
            }
            for migration in migrations where migration.version > applied {
                for statement in migration.statements { try session.query(sql: statement) }
                try session.query("INSERT INTO settle.schema_version (version, description) VALUES (\(migration.version), \(migration.description))")
            }
            try session.execute("COMMIT")
        } catch {
            try? session.execute("ROLLBACK")
            throw error
        }
    }

    private static func appliedVersion(_ session: PostgresSession) throws -> Int {
        let rows = try session.query("SELECT coalesce(max(version), 0) FROM settle.schema_version")
        return try rows.first?.decode(Int.self) ?? 0
    }
}
