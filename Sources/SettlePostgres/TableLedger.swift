import PostgresNIO
import SettleEngine

/// A ledger read from a PostgreSQL table or read-only query (`--ledger 'postgresql://USER@HOST:PORT/DB?table=NAME'`,
/// `query=SELECT ...`, `key=COLUMN`): the engine's `LedgerRowSource`. Opening it connects once,
/// finds the key (the primary key, or `key=`, which must be an integer column, unique and not null)
/// and the spec's columns, and asks the row count, key range and row size; a missing column or an
/// unreachable server stops there, before any work, naming host, database and table.
package final class PostgresLedgerSource: LedgerRowSource {
    package let name: String
    package let display: String
    package let columns: [String]
    let sql: TableLedgerSQL
    let url: PostgresURL
    let knownFacts: LedgerTableFacts

    init(display: String, sql: TableLedgerSQL, url: PostgresURL, facts: LedgerTableFacts) {
        name = sql.name
        self.display = display
        columns = sql.columns
        self.sql = sql
        self.url = url
        knownFacts = facts
    }

    /// Makes `--ledger postgresql://...` (and `postgres://`) readable in this process.
    package static func register() {
        LedgerSources.register(prefixes: ["postgresql://", "postgres://"]) { url, spec in try open(url, spec: spec) }
    }

    package func facts() throws -> LedgerTableFacts { knownFacts }

    package func makeReader() throws -> any LedgerRowReader { PostgresLedgerReader(source: self) }

    /// A session (connect timeout, retries with backoff on refused or reset connections), or an
    /// error naming host, database and table.
    func connect() throws -> PostgresSession {
        let session: PostgresSession
        do {
            session = try PostgresSession.open(url)
        } catch {
            throw SettleError(error.code == .io ? .unreadableInput : error.code, "ledger \(display): \(error.message)")
        }
        do {
            // Reading only: the ledger is a table or a SELECT (a subquery, which cannot hold a data-modifying statement).
            try session.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        } catch {
            session.close()
            throw SettleError(.unreadableInput, "ledger \(display): \(PostgresFailure.describe(error))")
        }
        return session
    }

    /// The table (or query) of a ledger URL, described for messages: host, port, database and table.
    static func describe(_ url: PostgresURL, _ sql: TableLedgerSQL) -> String {
        let what: String
        if case .query = sql.target { what = "query" } else { what = "table \(sql.name)" }
        return "\(what) in database \(url.database) on \(url.host):\(url.port)"
    }

    static func open(_ text: String, spec: LedgerSpec) throws -> PostgresLedgerSource {
        let url = try PostgresURL.parse(text)
        let target: TableLedgerSQL.Target
        switch (url.table, url.query) {
        case (let table?, nil) where !table.isEmpty: target = TableLedgerSQL.tableName(table)
        case (nil, let query?) where !query.isEmpty:
            let head = query.drop { $0 == " " || $0 == "\n" || $0 == "(" }.prefix(6).lowercased()
            guard head == "select" || head.hasPrefix("with") else {
                throw SettleError(.usage, "--ledger \(url.redacted): query= must be a read-only SELECT")
            }
            target = .query(query)
        default:
            throw SettleError(.usage, "--ledger \(url.redacted): give table=NAME or query=SELECT... (one of them) to read the ledger from")
        }
        var sql = TableLedgerSQL(target: target, key: url.key ?? "", columns: [])
        let display = describe(url, sql)
        let probe = PostgresLedgerSource(display: display, sql: sql, url: url, facts: LedgerTableFacts(rowCount: 0, minKey: nil, maxKey: nil, bytesPerRow: 0))
        let session = try probe.connect()
        defer { session.close() }
        func run(_ statement: String, _ binds: [String] = []) throws -> [[String?]] {
            var bindings = PostgresBindings(capacity: binds.count)
            for value in binds { bindings.append(value) }
            do {
                return try session.query(sql: statement, binds: bindings).map { row in row.map { cell in cell.bytes.map { String(buffer: $0) } } }
            } catch {
                throw SettleError(.unreadableInput, "ledger \(display): \(PostgresFailure.describe(error))")
            }
        }
        let wanted = spec.columns.compactMap { $0 }
        if let regclass = sql.regclass {
            let present = try run(TableLedgerSQL.columnsOfTable, [regclass]).compactMap { $0.first ?? nil }
            if present.isEmpty {
                throw SettleError(.usage, "ledger \(display): no such table (or it has no columns)")
            }
            // Spec names are matched as in a CSV header: trimmed, without case.
            let indexes = try spec.resolve(header: present, file: display)
            sql.columns = LedgerSpec.Role.allCases.compactMap { indexes[$0.rawValue] >= 0 ? present[indexes[$0.rawValue]] : nil }
            if sql.key.isEmpty {
                guard let primary = try run(TableLedgerSQL.primaryKey, [regclass]).first?.first ?? nil else {
                    throw SettleError(.usage, "ledger \(display): the table has no single-column primary key: name its key with key=COLUMN (unique, not null, an integer)")
                }
                sql.key = primary
            } else {
                guard let key = present.first(where: { $0.lowercased() == sql.key.lowercased() }) else {
                    throw SettleError(.usage, "ledger \(display): no key column '\(sql.key)'; the table has \(present.joined(separator: ", "))")
                }
                sql.key = key
                if try run(TableLedgerSQL.keyIsUnique, [regclass, key]).isEmpty {
                    throw SettleError(.usage, "ledger \(display): key=\(key) must be unique and not null (a primary key, or a unique index of its own on a NOT NULL column)")
                }
            }
        } else {
            guard !sql.key.isEmpty else { throw SettleError(.usage, "ledger \(display): a query= ledger needs key=COLUMN (unique, not null, an integer)") }
            sql.columns = wanted
            do {
                _ = try session.query(sql: sql.probe)
            } catch {
                throw SettleError(.usage, "ledger \(display): the query does not give the columns \(([sql.key] + wanted).joined(separator: ", ")): \(PostgresFailure.describe(error))")
            }
        }
        let type = try run(sql.keyType).first?.first ?? nil
        if let type, !["bigint", "integer", "smallint"].contains(type) {
            throw SettleError(.usage, "ledger \(display): key column \(sql.key) is \(type); Settle reads tables keyed by an integer column (give one with key=)")
        }
        let counts = try run(sql.facts).first ?? []
        func number(_ index: Int) -> Int64? { index < counts.count ? counts[index].flatMap { Int64($0) } : nil }
        let rows = Int(number(0) ?? 0)
        if Int(number(1) ?? 0) != rows || Int(number(2) ?? 0) != rows {
            throw SettleError(.usage, "ledger \(display): key column \(sql.key) must be unique and not null: \(rows) rows have \(number(1) ?? 0) non-null keys, \(number(2) ?? 0) distinct")
        }
        let size = try run(sql.rowSize).first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        let facts = LedgerTableFacts(rowCount: rows, minKey: number(3), maxKey: number(4), bytesPerRow: max(16, size))
        return PostgresLedgerSource(display: display, sql: sql, url: url, facts: facts)
    }
}
