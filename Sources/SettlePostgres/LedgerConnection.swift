import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SettleEngine

/// A synchronous connection for the engine's threads (map workers, the planner): statements run
/// with their values bound, results as rows.
final class LedgerConnection {
    let connection: PostgresConnection
    let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Connects (with a connect timeout, retrying refused or reset connections with backoff), or
    /// throws naming `what`: host, database and table.
    static func open(_ endpoint: LedgerEndpoint, what: String) throws -> LedgerConnection {
        let logger = Logger(label: "settle.postgres")
        var lastError: (any Error)?
        for attempt in 0..<endpoint.connectAttempts {
            if attempt > 0 { usleep(UInt32(min(2_000, 100 << attempt)) * 1000) }
            do {
                let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: endpoint.configuration,
                                                                id: 1, logger: logger).wait()
                return LedgerConnection(connection: connection, logger: logger)
            } catch {
                lastError = error
                guard isTransient(error) else { break }
            }
        }
        throw SettleError(.unreadableInput, "ledger \(what): cannot connect: \(describe(lastError!))")
    }

    func rows(_ sql: String, binds: [Int64]) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { bindings.append(value) }
        return try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait().rows
    }

    /// Every cell as text (catalog and count queries; their columns are text).
    func textRows(_ sql: String, binds: [String]) throws -> [[String?]] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { bindings.append(value) }
        let rows = try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait().rows
        return rows.map { row in row.map { cell in cell.bytes.map { String(buffer: $0) } } }
    }

    func close() {
        _ = try? connection.close().wait()
    }

    /// Refused, reset or timed-out connections are worth another try; a bad password or database is not.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            return [.connectionError, .uncleanShutdown].contains(error.code)
        }
        return error is ChannelError || error is IOError || "\(error)".contains("connect")
    }

    /// A server's message (and SQLSTATE), or the error's own words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? SettleError { return error.message }
        return "\(error)"
    }
}
