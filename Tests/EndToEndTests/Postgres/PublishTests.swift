import Foundation
import Testing

/// `--publish` and `settle publish` against a real PostgreSQL server (one per test, started by
/// `PostgresServer`; the tests skip when the server binaries are not installed): exactly one copy
/// whatever is retried or killed, the reprocessing guard, and local outputs that never depend on
/// the database. Every wait has a deadline.
@Suite("PostgreSQL: publishing exactly once", .serialized)
struct PublishTests {
    /// A generated night: settlement.dat (faults, so rejects and mismatches) and its ledger.csv.
    final class Night: Sendable {
        let directory: TemporaryDirectory
        var path: String { directory.path }
        init(directory: TemporaryDirectory) { self.directory = directory }
        deinit { directory.remove() }
    }

    static func night(seed: UInt64, records: Int = 3_000) async throws -> Night {
        let directory = try TemporaryDirectory(prefix: "pg-night")
        let outcome = try await SettleChild.run(["generate", "--records", String(records), "--merchants", "150", "--seed", String(seed),
                                                 "--layout", "reference", "--faults", "0.03", "--out", directory.path])
        try #require(outcome.exitStatus == 0, "\(outcome)")
        return Night(directory: directory)
    }

    /// `settle aggregate` of `files` in `night` (with its ledger), into `out`, publishing with `extra`.
    static func aggregate(_ files: [String], in directory: String, out: String, extra: [String] = [],
                          environment: [String: String] = [:]) async throws -> ProcessOutcome {
        try await SettleChild.run(["aggregate"] + files + ["--layout", "reference", "--ledger", "ledger.csv", "--out", out, "--quiet"] + extra,
                                  environment: environment, in: directory)
    }

    /// Row counts of the current tables, in `PublishSchema.jobTables` order.
    static func counts(_ server: PostgresServer) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["jobs", "files", "totals", "rejects", "mismatches", "reconciliation"] {
            counts[table] = Int(try server.psql("SELECT count(*) FROM settle.\(table)"))
        }
        return counts
    }

    /// Data rows of a CSV output (its lines but the header).
    static func csvRows(_ path: String) throws -> Int {
        try CSVTable(contentsOfFile: path).rows.count
    }

    static func expectOneCopy(_ server: PostgresServer, of out: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let counts = try counts(server)
        #expect(counts["jobs"] == 1, "\(counts)", sourceLocation: sourceLocation)
        #expect(counts["files"] == 2, "settlement file and ledger: \(counts)", sourceLocation: sourceLocation)
        for (table, csv) in [("totals", "totals.csv"), ("rejects", "rejects.csv"), ("mismatches", "mismatches.csv"),
                             ("reconciliation", "reconciliation.csv")] {
            #expect(counts[table] == (try csvRows(out + "/" + csv)), "settle.\(table) against \(csv)", sourceLocation: sourceLocation)
        }
        // The figures themselves: settle.totals read back as CSV is totals.csv, byte for byte.
        let totals = try server.psql("""
            COPY (SELECT merchant_id, currency, debit_count, debit_amount, credit_count, credit_amount, fee_amount, net_amount
                  FROM settle.totals ORDER BY merchant_id COLLATE "C", currency COLLATE "C") TO STDOUT WITH (FORMAT csv, HEADER)
            """)
        expectSameBytes(Array((totals + "\n").utf8), try readBytes(out + "/totals.csv"), "settle.totals as CSV", sourceLocation: sourceLocation)
    }

    @Test("aggregate --publish, then settle publish of the same set: one copy, equal to the files", .timeLimit(.minutes(3)))
    func publishTwiceIsOneCopy() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let night = try await Self.night(seed: 1901)
        let out = night.path + "/out"
        let first = try await Self.aggregate(["settlement.dat"], in: night.path, out: out, extra: ["--publish", server.url])
        try #require(first.exitStatus == 1, "faults: findings\n\(first)")
        try Self.expectOneCopy(server, of: out)
        let expected = try readBytes(night.path + "/expected/totals.csv")
        expectSameBytes(try readBytes(out + "/totals.csv"), expected, "totals.csv against the generator's")
        let key = try server.psql("SELECT job_key FROM settle.jobs")
        #expect(try server.psql("SELECT result->>'valid' FROM settle.jobs") == String(try JSONValue(contentsOfFile: out + "/summary.json")["result"]?["valid"]?.int ?? -1))

        let again = try await SettleChild.run(["publish", out, "--to", server.url])
        #expect(again.exitStatus == 1, "\(again)")
        #expect(again.stderr.contains("published job \(key)"), "\(again)")
        try Self.expectOneCopy(server, of: out)
        #expect(try server.psql("SELECT job_key FROM settle.jobs") == key, "same inputs, same job key")
        #expect(try server.psql("SELECT max(version) FROM settle.schema_version") == "1")
    }

    @Test("a file already published by another job: refused, then --reprocess supersedes that job whole", .timeLimit(.minutes(3)))
    func reprocessingGuard() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let night = try await Self.night(seed: 1902)
        let other = try await Self.night(seed: 1903)
        try FileManager.default.copyItem(atPath: other.path + "/settlement.dat", toPath: night.path + "/second.dat")
        let outA = night.path + "/out-a", outB = night.path + "/out-b", outC = night.path + "/out-c"
        let a = try await Self.aggregate(["settlement.dat"], in: night.path, out: outA, extra: ["--publish", server.url])
        try #require(a.exitStatus == 1, "\(a)")
        let keyA = try server.psql("SELECT job_key FROM settle.jobs")
        let totalsA = try Self.csvRows(outA + "/totals.csv")

        // Job B reads settlement.dat again (with second.dat): refused before anything is written.
        let b = try await Self.aggregate(["settlement.dat", "second.dat"], in: night.path, out: outB, extra: ["--publish", server.url])
        #expect(b.exitStatus == 2, "\(b)")
        #expect(b.stderr.contains("settlement.dat") && b.stderr.contains(keyA) && b.stderr.contains("--reprocess"), "\(b.stderr)")
        #expect(FileManager.default.fileExists(atPath: outB + "/totals.csv"), "local outputs are published all the same")
        #expect(try server.psql("SELECT job_key FROM settle.jobs") == keyA)
        #expect(try server.psql("SELECT count(*) FROM settle.totals") == String(totalsA))

        let reprocessed = try await SettleChild.run(["publish", outB, "--to", server.url, "--reprocess"])
        #expect(reprocessed.exitStatus == 1, "\(reprocessed)")
        let keyB = try server.psql("SELECT job_key FROM settle.jobs")
        #expect(keyB != keyA)
        #expect(try server.psql("SELECT count(*) FROM settle.totals") == String(try Self.csvRows(outB + "/totals.csv")), "one copy: B's")
        #expect(try server.psql("SELECT count(*) FROM settle.totals WHERE job_key = '\(keyA)'") == "0")
        #expect(try server.psql("SELECT count(*) FROM settle.superseded_totals WHERE job_key = '\(keyA)' AND superseded_by = '\(keyB)'") == String(totalsA))
        #expect(try server.psql("SELECT count(*) FROM settle.superseded_jobs WHERE job_key = '\(keyA)'") == "1")
        #expect(try server.psql("SELECT count(*) FROM settle.superseded_rejects WHERE job_key = '\(keyA)'")
                == String(try Self.csvRows(outA + "/rejects.csv")))

        // Job C reads settlement.dat alone: superseding B would drop second.dat's figures, so refused even with --reprocess.
        let c = try await Self.aggregate(["settlement.dat"], in: night.path, out: outC, extra: ["--publish", server.url, "--reprocess"])
        #expect(c.exitStatus == 2, "\(c)")
        #expect(c.stderr.contains("second.dat") && c.stderr.contains("together"), "\(c.stderr)")
        #expect(try server.psql("SELECT job_key FROM settle.jobs") == keyB)
    }

    @Test("an unreachable server: the outputs are in --out, exit 2 naming it; settle publish later works", .timeLimit(.minutes(3)))
    func unreachableServer() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        server.halt()
        let night = try await Self.night(seed: 1904)
        let out = night.path + "/out"
        let started = Date()
        let run = try await Self.aggregate(["settlement.dat"], in: night.path, out: out, extra: ["--publish", server.url])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("host 127.0.0.1 port \(server.port) database settle_test"), "\(run.stderr)")
        #expect(run.stderr.contains("settle publish"), "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 60, "retries are bounded")
        let expected = try readBytes(night.path + "/expected/totals.csv")
        expectSameBytes(try readBytes(out + "/totals.csv"), expected, "totals.csv")
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))

        try server.startServer()
        let later = try await SettleChild.run(["publish", out, "--to", server.url])
        #expect(later.exitStatus == 1, "\(later)")
        try Self.expectOneCopy(server, of: out)
    }

    /// Starts `settle publish` paused just before its COMMIT, and waits until the server shows its
    /// transaction open (idle in transaction).
    static func publishPausedBeforeCommit(_ out: String, server: PostgresServer) async throws -> SettleChild {
        let child = try SettleChild(["publish", out, "--to", server.url], environment: ["SETTLE_TEST_DELAY": "publish-before-commit:8000"])
        let open = try await eventually(within: 30) {
            try server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'settle' AND state = 'idle in transaction'") == "1"
        }
        try #require(open, "the publish never reached its commit")
        return child
    }

    @Test("the server stopped mid-publish: nothing partial; publishing again gives one copy", .timeLimit(.minutes(3)))
    func serverStoppedMidPublish() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let night = try await Self.night(seed: 1905)
        let out = night.path + "/out"
        let run = try await Self.aggregate(["settlement.dat"], in: night.path, out: out)
        try #require(run.exitStatus == 1, "\(run)")
        let child = try await Self.publishPausedBeforeCommit(out, server: server)
        server.halt(mode: "fast")
        let stopped = await child.finish(within: 60)
        #expect(stopped.exitStatus == 2 && !stopped.timedOut, "\(stopped)")
        #expect(stopped.stderr.contains("database settle_test"), "\(stopped.stderr)")
        try server.startServer()
        let counts = try Self.counts(server)
        #expect(counts.values.allSatisfy { $0 == 0 }, "nothing of the interrupted publish: \(counts)")

        let again = try await SettleChild.run(["publish", out, "--to", server.url])
        #expect(again.exitStatus == 1, "\(again)")
        try Self.expectOneCopy(server, of: out)
    }

    @Test("SIGKILL during publish, then publish again (twice): exactly one copy", .timeLimit(.minutes(3)))
    func killedDuringPublish() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let night = try await Self.night(seed: 1906)
        let out = night.path + "/out"
        let first = try await Self.aggregate(["settlement.dat"], in: night.path, out: out, extra: ["--publish", server.url])
        try #require(first.exitStatus == 1, "\(first)")
        let child = try await Self.publishPausedBeforeCommit(out, server: server)
        child.signal(SIGKILL)
        let killed = await child.finish(within: 30)
        #expect(killed.signalled && killed.status == SIGKILL, "\(killed)")
        let gone = try await eventually(within: 30) {
            try server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'settle'") == "0"
        }
        #expect(gone, "the server ended the killed client's session")
        try Self.expectOneCopy(server, of: out)
        for _ in 0..<2 {
            let again = try await SettleChild.run(["publish", out, "--to", server.url])
            #expect(again.exitStatus == 1, "\(again)")
            try Self.expectOneCopy(server, of: out)
        }
    }
}
