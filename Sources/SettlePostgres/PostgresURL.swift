import Foundation
import SettleEngine

/// A PostgreSQL address as Settle takes it on the command line:
///
///     postgresql://USER@HOST:PORT/DB?table=NAME&query=SELECT...&key=COLUMN&sslmode=disable|prefer|require
///
/// (`postgres://` too). The password is never part of it: it comes from `PGPASSWORD` or the password
/// file (`PGPASSFILE`, else `~/.pgpass`, libpq's format), and is never printed: `description` is
/// `redacted`, which names host, port, database and table only.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    package enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    package var user: String
    package var host: String
    package var port: Int
    package var database: String
    package var table: String?
    package var query: String?
    package var key: String?
    package var sslMode: SSLMode
    /// From `PGPASSWORD` or the password file; nil when neither has one (trust or peer auth).
    package var password: String?

    /// For logs and errors: `host H port P database D` (and `table T`); never the password or query.
    package var redacted: String {
        "host \(host) port \(port) database \(database)" + (table.map { " table \($0)" } ?? "")
    }

    package var description: String { redacted }

    /// Parses `text` and looks up the password. `environment` and `home` are the process's unless given.
    package static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                              home: String? = nil) throws(SettleError) -> PostgresURL {
        var url = try parseAddress(text, environment: environment)
        if let password = environment["PGPASSWORD"], !password.isEmpty {
            url.password = password
        } else {
            let file = environment["PGPASSFILE"] ?? ((home ?? environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass")
            url.password = PasswordFile.lookup(path: file, host: url.host, port: url.port, database: url.database, user: url.user)
        }
        return url
    }

    /// The address alone, without a password lookup.
    static func parseAddress(_ text: String, environment: [String: String]) throws(SettleError) -> PostgresURL {
        let problem = { (why: String) in SettleError(.usage, "invalid PostgreSQL address: \(why) (expected postgresql://USER@HOST:PORT/DATABASE?table=NAME)") }
        var rest: Substring
        if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else {
            throw problem("it does not start with postgresql://")
        }
        var queryPart: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            queryPart = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if userInfo.contains(":") {
                throw SettleError(.usage, "a password does not belong in a PostgreSQL address (it would show in process lists and logs): set PGPASSWORD or put it in ~/.pgpass")
            }
            guard let decoded = percentDecoded(userInfo), !decoded.isEmpty else { throw problem("bad user name") }
            user = decoded
            rest = rest[rest.index(after: at)...]
        }
        var host = "localhost"
        var port = 5432
        var hostPart = rest
        if hostPart.hasPrefix("[") {
            // [IPv6]:port
            guard let close = hostPart.firstIndex(of: "]") else { throw problem("unclosed [ in the host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") { port = try parsePort(hostPart.dropFirst(), problem) } else if !hostPart.isEmpty {
                throw problem("unexpected '\(hostPart)' after the host")
            }
        } else {
            if let colon = hostPart.lastIndex(of: ":") {
                port = try parsePort(hostPart[hostPart.index(after: colon)...], problem)
                hostPart = hostPart[..<colon]
            }
            if !hostPart.isEmpty {
                guard let decoded = percentDecoded(hostPart) else { throw problem("bad host") }
                host = decoded
            }
        }
        guard let database = percentDecoded(path), !database.isEmpty, !database.contains("/") else {
            throw problem("no database name after the host")
        }
        var url = PostgresURL(user: user, host: host, port: port, database: database, table: nil, query: nil, key: nil,
                              sslMode: .prefer, password: nil)
        for pair in queryPart.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(parts[0]), let value = percentDecoded(parts.count > 1 ? parts[1] : "", plusIsSpace: true) else {
                throw problem("bad parameter '\(pair)'")
            }
            switch name {
            case "table": url.table = value
            case "query": url.query = value
            case "key": url.key = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw problem("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(value)'")
                }
                url.sslMode = mode
            case "user": url.user = value
            case "password":
                throw SettleError(.usage, "a password does not belong in a PostgreSQL address (it would show in process lists and logs): set PGPASSWORD or put it in ~/.pgpass")
            default:
                throw problem("unknown parameter '\(name)' (known: table, query, key, sslmode, user)")
            }
        }
        return url
    }

    private static func parsePort(_ text: Substring, _ problem: (String) -> SettleError) throws(SettleError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw problem("bad port '\(text)'") }
        return port
    }

    /// `%XX` decoded (and `+` as a space in parameter values); nil when an escape is bad or the
    /// result is not UTF-8.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// libpq's password file: lines `hostname:port:database:username:password`, `*` matching anything in
/// the first four fields, `\:` and `\\` escapes, `#` comments. Like libpq, a file that group or others
/// can read is ignored.
enum PasswordFile {
    static func lookup(path: String, host: String, port: Int, database: String, user: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        let wanted = [host, String(port), database, user]
        for line in String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if line.hasPrefix("#") { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0.0 == "*" || $0.0 == $0.1 }) { return fields[4] }
        }
        return nil
    }

    /// A line's fields, unescaped.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var escaped = false
        for character in line {
            if escaped {
                field.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
