import Foundation
import SettleEngine
import SettlePostgres
import Testing

/// The PostgreSQL address and the password file, without a server.
@Suite("PostgreSQL addresses and ~/.pgpass")
struct PostgresURLTests {
    @Test("postgresql:// and postgres:// with table, query, key and sslmode; the description never has the password")
    func parses() throws {
        let url = try PostgresURL.parse("postgresql://app@db.example:6543/ledger?table=entries&key=id&sslmode=require&query=SELECT%20*%20FROM%20t+WHERE+x",
                                        environment: ["PGPASSWORD": "s3cret"])
        #expect(url.user == "app" && url.host == "db.example" && url.port == 6543 && url.database == "ledger")
        #expect(url.table == "entries" && url.key == "id" && url.sslMode == .require)
        #expect(url.query == "SELECT * FROM t WHERE x")
        #expect(url.password == "s3cret")
        #expect(url.redacted == "host db.example port 6543 database ledger table entries")
        #expect(!"\(url)".contains("s3cret"))
        let short = try PostgresURL.parse("postgres://[::1]/db", environment: ["USER": "me"])
        #expect(short.host == "::1" && short.port == 5432 && short.user == "me" && short.sslMode == .prefer && short.password == nil)
    }

    @Test("refused: a password in the address, a bad sslmode, no database, an unknown parameter")
    func refuses() {
        for text in ["postgresql://u:pw@h/db", "postgresql://u@h/db?password=x", "postgresql://u@h/db?sslmode=maybe",
                     "postgresql://u@h/", "postgresql://u@h:99999/db", "mysql://u@h/db", "postgresql://u@h/db?colour=red"] {
            #expect(throws: SettleError.self, "\(text)") { try PostgresURL.parse(text, environment: [:]) }
        }
    }

    @Test("~/.pgpass: first matching line, * wildcards, \\: escapes; ignored when others can read it")
    func passwordFile() throws {
        let directory = try TemporaryDirectory(prefix: "pgpass")
        defer { directory.remove() }
        let path = directory.file("pgpass")
        let lines = ["# comment", "other:5432:*:app:wrong", "db.example:6543:ledger:app:pa\\:ss\\\\word", "*:*:*:*:fallback"]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let environment = ["PGPASSFILE": path]
        #expect(try PostgresURL.parse("postgresql://app@db.example:6543/ledger", environment: environment).password == "pa:ss\\word")
        #expect(try PostgresURL.parse("postgresql://app@db.example:6543/other", environment: environment).password == "fallback")
        #expect(try PostgresURL.parse("postgresql://app@db.example:6543/ledger", environment: environment.merging(["PGPASSWORD": "env"]) { $1 }).password == "env")
        chmod(path, 0o644)
        #expect(try PostgresURL.parse("postgresql://app@db.example:6543/ledger", environment: environment).password == nil)
    }
}
