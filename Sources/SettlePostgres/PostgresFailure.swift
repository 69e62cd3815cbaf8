#if canImport(Glibc)
import Glibc
#endif
import PostgresNIO

/// What a PostgreSQL failure was, in words an operator can act on (postgres-nio's own description
/// of `PSQLError` is deliberately vague), and whether trying again may help.
package enum PostgresFailure {
    /// SQLSTATEs worth another attempt: serialization_failure, deadlock_detected, admin_shutdown,
    /// crash_shutdown, cannot_connect_now; and class 08, connection exceptions.
    static let transientStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03"]
    static let transientErrnos: Set<CInt> = [ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH]

    /// The server's SQLSTATE, when the failure came from the server.
    package static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    package static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] { return transientStates.contains(state) || state.hasPrefix("08") }
            let lost: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .uncleanShutdown]
            if lost.contains(error.code) { return true }
            return error.underlying.map(isTransient) ?? false
        case let error as NIOConnectionError:
            return error.dnsAError == nil && error.dnsAAAAError == nil
        case let error as IOError:
            return transientErrnos.contains(error.errnoCode)
        case let error as ChannelError:
            switch error {
            case .connectTimeout, .ioOnClosedChannel, .eof, .alreadyClosed, .outputClosed: return true
            default: return false
            }
        case is PostgresTimeout:
            return true
        default:
            return false
        }
    }

    package static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let info = error.serverInfo {
                var text = "\(info[.message] ?? "server error") (SQLSTATE \(info[.sqlState] ?? "?"))"
                if let detail = info[.detail] { text += ": \(detail)" }
                return text
            }
            let code: String
            switch error.code {
            case .connectionError: code = "cannot connect"
            case .serverClosedConnection: code = "the server closed the connection"
            case .uncleanShutdown: code = "the connection was cut"
            case .clientClosedConnection: code = "the connection is closed"
            case .sslUnsupported: code = "the server does not support TLS (sslmode=require)"
            case .authMechanismRequiresPassword: code = "the server wants a password: set PGPASSWORD or add it to ~/.pgpass"
            default: code = "\(error.code)"
            }
            return error.underlying.map { "\(code): \(describe($0))" } ?? code
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
            let reasons = error.connectionErrors.map { describe($0.error) }
            return reasons.isEmpty ? "cannot connect to \(error.host):\(error.port)" : Array(Set(reasons)).sorted().joined(separator: "; ")
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let amount): return "connect timed out after \(Double(amount.nanoseconds) / 1e9) s"
            default: return "\(error)"
            }
        default:
            return "\(error)"
        }
    }
}
