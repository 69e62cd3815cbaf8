import Foundation
import Logging
import PostgresNIO
import SettleEngine

/// One connection to PostgreSQL, used from one of Settle's threads (a worker, or the CLI's main
/// thread), which blocks on each call. The connection runs on an event loop of NIO's shared group;
/// every call waits on a future with a deadline (`Options.operationTimeout`), so a server that stops
/// answering fails the call instead of hanging it, and the connection is then closed. Never call it
/// from an event loop or from async code.
///
/// Transient failures (connection refused or reset, the server shutting down, `serialization_failure`
/// 40001, `deadlock_detected` 40P01, `admin_shutdown` 57P01) are retried with exponential backoff:
/// by `open` for connecting, and by `retrying` for a unit of work, which reconnects when the
/// connection was lost and runs the whole unit again (a transaction, not a statement).
package final class PostgresSession {
    package struct Options: Sendable {
        package var connectTimeout: Duration = .seconds(10)
        /// The longest any one call (statement, COPY) may take before the session gives up on it.
        package var operationTimeout: Duration = .seconds(600)
        package var maxAttempts = 4
        package var baseDelayMilliseconds = 200
        package var maxDelayMilliseconds = 5_000
        /// `application_name`, as `pg_stat_activity` shows it.
        package var applicationName = "settle"

        package init() {}
    }

    package let url: PostgresURL
    package let options: Options
    private var connection: PostgresConnection
    private let logger: Logger

    private init(url: PostgresURL, options: Options, connection: PostgresConnection, logger: Logger) {
        self.url = url
        self.options = options
        self.connection = connection
        self.logger = logger
    }

    deinit {
        let connection = self.connection
        if !connection.isClosed { connection.close().whenComplete { _ in } }
    }

    /// Connects, retrying transient failures; throws a `SettleError` naming host, port and database.
    package static func open(_ url: PostgresURL, options: Options = Options(), logger: Logger? = nil) throws(SettleError) -> PostgresSession {
        var logger = logger ?? Logger(label: "settle.postgres")
        if logger.logLevel < .warning { logger.logLevel = .warning }
        let connection = try retry(url: url, options: options, what: "connect", logger: logger) {
            try connect(url, options: options, logger: logger)
        }
        return PostgresSession(url: url, options: options, connection: connection, logger: logger)
    }

    private static func connect(_ url: PostgresURL, options: Options, logger: Logger) throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            // As libpq's prefer and require: encrypted, the server's certificate not verified.
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            tls = url.sslMode == .require ? .require(context) : .prefer(context)
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user,
                                                             password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .nanoseconds(Int64(options.connectTimeout.nanosecondCount))
        configuration.options.additionalStartupParameters = [("application_name", options.applicationName)]
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let future = PostgresConnection.connect(on: eventLoop, configuration: configuration, id: Int.random(in: 1...Int(Int32.max)),
                                                logger: logger)
        // The whole handshake (TCP, TLS, startup, authentication) under the connect timeout.
        return try deadline(future, after: options.connectTimeout + .seconds(1), connection: nil)
    }

    /// Runs `body` until it succeeds, a failure is not transient, or attempts run out; reconnects
    /// first when the connection was lost. `what` names the unit of work in errors.
    package func retrying<R>(_ what: String, _ body: (PostgresSession) throws -> R) throws(SettleError) -> R {
        try Self.retry(url: url, options: options, what: what, logger: logger) { () throws -> R in
            if connection.isClosed { connection = try Self.connect(url, options: options, logger: logger) }
            return try body(self)
        }
    }

    /// Runs one statement with its binds and returns every row.
    @discardableResult
    package func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        let future = connection.query(query, logger: logger)
        return try Self.deadline(future, after: options.operationTimeout, connection: connection).rows
    }

    /// One statement given as text, its parameters `$1`... bound from `binds`.
    @discardableResult
    package func query(sql: String, binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try query(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    /// Runs statements one after another (DDL, `BEGIN`, `COMMIT`), ignoring their rows.
    package func execute(_ statements: String...) throws {
        for statement in statements { try query(sql: statement) }
    }

    /// `COPY table (columns) FROM STDIN` in text format: `next` is called (inside the copy, off this
    /// thread) until it returns nil; each chunk it returns is whole lines of COPY text (tab-separated,
    /// `\N` for null, backslash escapes). A throw from `next` fails the copy (and the transaction).
    package func copyFrom(table: String, columns: [String], next: @escaping @Sendable () throws -> [UInt8]?) throws {
        let connection = self.connection
        let logger = self.logger
        let promise = connection.eventLoop.makePromise(of: Void.self)
        promise.completeWithTask {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                while let chunk = try next() {
                    var buffer = ByteBufferAllocator().buffer(capacity: chunk.count)
                    buffer.writeBytes(chunk)
                    try await writer.write(buffer)
                }
            }
        }
        try Self.deadline(promise.futureResult, after: options.operationTimeout, connection: connection)
    }

    package func close() {
        guard !connection.isClosed else { return }
        _ = try? Self.deadline(connection.close(), after: .seconds(5), connection: nil)
    }

    /// Waits for `future`, failing it after `timeout` (and closing `connection`, whose state is then
    /// unknown).
    @discardableResult
    private static func deadline<T: Sendable>(_ future: EventLoopFuture<T>, after timeout: Duration,
                                              connection: PostgresConnection?) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let timer = future.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanosecondCount))) {
            promise.fail(PostgresTimeout(seconds: seconds))
            connection?.close().whenComplete { _ in }
        }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    private static func retry<R>(url: PostgresURL, options: Options, what: String, logger: Logger,
                                 _ body: () throws -> R) throws(SettleError) -> R {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error as SettleError {
                // Settle's own findings (the guard, a damaged output set) are worded already, and final.
                throw error
            } catch {
                let why = PostgresFailure.describe(error)
                guard PostgresFailure.isTransient(error), attempt < options.maxAttempts else {
                    let tries = attempt > 1 ? " after \(attempt) attempts" : ""
                    throw SettleError(.io, "PostgreSQL at \(url.redacted): \(what) failed\(tries): \(why)")
                }
                let delay = min(options.maxDelayMilliseconds, options.baseDelayMilliseconds << (attempt - 1))
                let jittered = delay + Int.random(in: 0...max(1, delay / 4))
                logger.warning("PostgreSQL at \(url.redacted): \(what) failed (attempt \(attempt) of \(options.maxAttempts)), retrying in \(jittered) ms: \(why)")
                Thread.sleep(forTimeInterval: Double(jittered) / 1000)
                attempt += 1
            }
        }
    }
}

extension Duration {
    var nanosecondCount: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// A call that did not finish within its deadline.
package struct PostgresTimeout: Error, CustomStringConvertible {
    package var seconds: Double
    package var description: String { "no answer within \(seconds) s" }
}
