import Foundation
import PostgresNIO
import SettleEngine

/// Where a ledger table is and what to read of it: the connection settings of the URL and its
/// ledger parameters (`table=` or `query=`, `key=`).
struct LedgerEndpoint: Sendable {
    var configuration: PostgresConnection.Configuration
    var host: String
    var port: Int
    var database: String
    var target: TableLedgerSQL.Target
    var key: String?
    /// Connection attempts on refused or reset connections (with backoff).
    var connectAttempts = 4

    /// The table for messages: host, port, database and table, never a password.
    func describe(_ table: String) -> String {
        if case .query = target { return "query in database \(database) on \(host):\(port)" }
        return "table \(table) in database \(database) on \(host):\(port)"
    }

    init(url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw SettleError(.usage, "--ledger \(Self.redacted(url)): not a URL of the form postgresql://USER@HOST:PORT/DB?table=NAME")
        }
        let items = components.queryItems ?? []
        func item(_ name: String) -> String? { items.last { $0.name == name }?.value.flatMap { $0.isEmpty ? nil : $0 } }
        let known: Set = ["table", "query", "key", "sslmode", "connect_timeout"]
        if let unknown = items.first(where: { !known.contains($0.name) }) {
            throw SettleError(.usage, "--ledger \(Self.redacted(url)): unknown parameter '\(unknown.name)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        switch (item("table"), item("query")) {
        case (let table?, nil): target = TableLedgerSQL.tableName(table)
        case (nil, let query?):
            let head = query.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard head.hasPrefix("select") || head.hasPrefix("with") else {
                throw SettleError(.usage, "--ledger \(Self.redacted(url)): query= must be a SELECT")
            }
            target = .query(query)
        default:
            throw SettleError(.usage, "--ledger \(Self.redacted(url)): give table=NAME or query=SELECT... (one of them)")
        }
        key = item("key")
        self.host = host
        port = components.port ?? 5432
        database = String(components.path.dropFirst()).removingPercentEncoding ?? ""
        let user = components.user ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres"
        if database.isEmpty { database = user }
        let password = components.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(Int64(item("connect_timeout") ?? "") ?? 10)
    }

    /// The URL without a password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
