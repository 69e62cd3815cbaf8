import Foundation

/// A throwaway PostgreSQL server for one test: `initdb` into a temporary directory, started on a
/// free port of 127.0.0.1 (trust authentication, user `postgres`, database `settle_test`), stopped
/// and removed by `stop()`. When the tests run as root the server runs as the `postgres` user (its
/// directory owned by it), as PostgreSQL refuses to run as root. Every command it runs has a deadline.
///
/// `start()` returns nil, after printing why, when the server binaries are not installed (`.ci/run`
/// installs Debian's `postgresql`); the test then skips.
final class PostgresServer: @unchecked Sendable {
    let directory: String
    let binDirectory: String
    let port: Int
    /// Who runs the server's commands: nil for the current user, else `postgres` (tests run as root).
    private let runAs: String?
    private let lock = NSLock()
    private var running = false

    /// No parameters, so a test can add `?table=...`; without TLS configured the server answers
    /// sslmode=prefer's request with "no" and the session goes on in plain text.
    var url: String { "postgresql://postgres@127.0.0.1:\(port)/settle_test" }

    var dataDirectory: String { directory + "/data" }

    private init(directory: String, binDirectory: String, port: Int, runAs: String?) {
        self.directory = directory
        self.binDirectory = binDirectory
        self.port = port
        self.runAs = runAs
    }

    deinit { stop() }

    /// A running server with database `settle_test`, or nil when PostgreSQL is not installed.
    static func start() throws -> PostgresServer? {
        guard let bin = binDirectory() else {
            print("PostgresServer: skipped: no initdb and pg_ctl (looked in /usr/lib/postgresql/*/bin and PATH); install Debian's postgresql")
            return nil
        }
        let runAs: String? = getuid() == 0 ? "postgres" : nil
        let base = FileManager.default.fileExists(atPath: "/tmp") ? "/tmp" : NSTemporaryDirectory()
        let directory = "\(base)/settle-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let runAs {
            guard let user = getpwnam(runAs) else {
                try? FileManager.default.removeItem(atPath: directory)
                throw ServerProblem("running as root, but there is no user \(runAs) to run PostgreSQL as")
            }
            guard chown(directory, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ServerProblem("cannot chown \(directory) to \(runAs): errno \(errno)")
            }
        }
        chmod(directory, 0o700)
        let server = PostgresServer(directory: directory, binDirectory: bin, port: try freePort(), runAs: runAs)
        do {
            try server.command("initdb", ["-D", server.dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                          "--locale=C", "--no-sync"], timeout: 120)
            try server.startServer()
            try server.psql("CREATE DATABASE settle_test", database: "postgres")
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Starts (or starts again, after `halt`) the server on the same port and data directory.
    func startServer() throws {
        let options = "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try command("pg_ctl", ["-D", dataDirectory, "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"], timeout: 90)
        lock.withLock { running = true }
    }

    /// Stops the server, keeping its data: `fast` ends sessions (admin_shutdown), `immediate` kills them.
    func halt(mode: String = "immediate") {
        guard lock.withLock({ running }) else { return }
        _ = try? command("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"], timeout: 90)
        lock.withLock { running = false }
    }

    /// Stops the server and removes its directory; safe to call twice.
    func stop() {
        halt()
        if ProcessInfo.processInfo.environment["SETTLE_E2E_KEEP"] == nil { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// `psql -At` over TCP: rows one per line, columns separated by `|`; throws on an SQL error.
    @discardableResult
    func psql(_ sql: String, database: String = "settle_test") throws -> String {
        let psql = FileManager.default.isExecutableFile(atPath: binDirectory + "/psql") ? binDirectory + "/psql" : "/usr/bin/psql"
        let outcome = try Self.run(psql, ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres",
                                          "-d", database, "-c", sql], timeout: 60)
        guard outcome.status == 0 else { throw ServerProblem("psql failed (\(outcome.status)): \(sql)\n\(outcome.output)") }
        return outcome.output.hasSuffix("\n") ? String(outcome.output.dropLast()) : outcome.output
    }

    /// The server's log, for a failure message.
    var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    private func command(_ name: String, _ arguments: [String], timeout: Double) throws {
        let executable = binDirectory + "/" + name
        let result = if let runAs {
            try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", executable] + arguments, timeout: timeout)
        } else {
            try Self.run(executable, arguments, timeout: timeout)
        }
        guard result.status == 0 else {
            throw ServerProblem("\(name) failed (\(result.status)): \(result.output)\n--- server log ---\n\(log.suffix(2000))")
        }
    }

    /// A directory with both initdb and pg_ctl: Debian's newest version first, then PATH.
    private static func binDirectory() -> String? {
        let fileManager = FileManager.default
        let versions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in versions.map({ "/usr/lib/postgresql/\($0)/bin" }) + path {
            if fileManager.isExecutableFile(atPath: directory + "/initdb"), fileManager.isExecutableFile(atPath: directory + "/pg_ctl") {
                return directory
            }
        }
        return nil
    }

    /// A port the kernel just handed out on 127.0.0.1 (and took back).
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ServerProblem("socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw ServerProblem("cannot bind a port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a command to completion or `timeout` seconds (then kills it, by its pid), output merged.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> (status: Int32, output: String) {
        let capture = NSTemporaryDirectory() + "/settle-pg-out-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: capture, contents: nil) else { throw ServerProblem("cannot create \(capture)") }
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: capture))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ServerProblem("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        let output = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}

struct ServerProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
