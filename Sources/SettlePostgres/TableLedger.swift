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
    let endpoint: LedgerEndpoint
    let knownFacts: LedgerTableFacts

    init(name: String, display: String, sql: TableLedgerSQL, endpoint: LedgerEndpoint, facts: LedgerTableFacts) {
        self.name = name
        self.display = display
        columns = sql.columns
        self.sql = sql
        self.endpoint = endpoint
        knownFacts = facts
    }

    /// Makes `--ledger postgresql://...` (and `postgres://`) readable in this process.
    package static func register() {
        LedgerSources.register(prefixes: ["postgresql://", "postgres://"]) { url, spec in try open(url, spec: spec) }
    }

    package func facts() throws -> LedgerTableFacts { knownFacts }

    package func makeReader() throws -> any LedgerRowReader { PostgresLedgerReader(source: self) }

    func connect() throws -> LedgerConnection { try LedgerConnection.open(endpoint, what: display) }

    static func open(_ url: String, spec: LedgerSpec) throws -> PostgresLedgerSource {
        let endpoint = try LedgerEndpoint(url: url)
        var sql = TableLedgerSQL(target: endpoint.target, key: endpoint.key ?? "", columns: [])
        let display = endpoint.describe(sql.name)
        let connection = try LedgerConnection.open(endpoint, what: display)
        defer { connection.close() }
        func run(_ statement: String, _ binds: [String] = []) throws -> [[String?]] {
            do {
                return try connection.textRows(statement, binds: binds)
            } catch {
                throw SettleError(.unreadableInput, "ledger \(display): \(LedgerConnection.describe(error))")
            }
        }
        let wanted = spec.columns.compactMap { $0 }
        if let regclass = sql.regclass {
            let present = try run(TableLedgerSQL.columnsOfTable, [regclass]).compactMap { $0.first ?? nil }
            if present.isEmpty {
                throw SettleError(.usage, "ledger \(display): no such table (or it has no columns) in database \(endpoint.database)")
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
                _ = try connection.textRows(sql.probe, binds: [])
            } catch {
                throw SettleError(.usage, "ledger \(display): the query does not give the columns \(([sql.key] + wanted).joined(separator: ", ")) (\(LedgerConnection.describe(error)))")
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
        return PostgresLedgerSource(name: sql.name, display: display, sql: sql, endpoint: endpoint, facts: facts)
    }
}
