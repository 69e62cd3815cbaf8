import Foundation
import Testing

/// `--ledger postgresql://...`: the ledger read from a real PostgreSQL table by the real `settle`
/// binary, against the same ledger as CSV (generated with every fault kind and loaded with COPY).
@Suite("Ledger from a PostgreSQL table", .serialized)
struct LedgerFromTableTests {
    /// A generated data set and its ledger in a table `name` keyed by the CSV's line numbers.
    struct Loaded {
        var directory: TemporaryDirectory
        var url: String
        var specArguments: [String]
        var rows: Int
    }

    static func load(_ server: PostgresServer, style: String, records: Int, seed: UInt64, table: String,
                     types: [String: String] = [:]) async throws -> Loaded {
        let directory = try TemporaryDirectory(prefix: "pg-ledger")
        let generated = try await Subprocess.settle(["generate", "--records", String(records), "--merchants", "300", "--seed", String(seed),
                                                     "--faults", "0.05", "--ledger-style", style, "--out", directory.path])
        #expect(generated.exitStatus == 0, "\(generated)")
        let loader = LedgerTableLoader(csv: Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("ledger.csv")))))
        let copy = directory.file("ledger-copy.csv")
        try loader.copyText().write(toFile: copy, atomically: true, encoding: .utf8)
        _ = chmod(directory.path, 0o755)
        _ = chmod(copy, 0o644)
        try server.psql(loader.createTable(table, types: types))
        try server.psql("\\copy \(table) FROM '\(copy)' WITH (FORMAT csv)")
        let spec = FileManager.default.fileExists(atPath: directory.file("ledger-spec.yaml")) ? ["--ledger-spec", directory.file("ledger-spec.yaml")] : []
        return Loaded(directory: directory, url: server.url + "?table=" + table, specArguments: spec, rows: loader.rows.count)
    }

    /// The lines of a CSV output with its `ledger_file` column dropped (the table's name there, the path in the other).
    static func withoutLedgerFile(_ path: String) throws -> [String] {
        let table = try CSVTable(contentsOfFile: path)
        guard let column = table.header.firstIndex(of: "ledger_file") else { return table.rows.map { $0.joined(separator: "\u{1F}") } }
        return table.rows.map { row in row.enumerated().filter { $0.offset != column }.map(\.element).joined(separator: "\u{1F}") }
    }

    static func aggregate(_ loaded: Loaded, ledger: String, out: String, extra: [String] = []) async throws -> ProcessOutcome {
        try await Subprocess.settle(["aggregate", loaded.directory.file("settlement.dat"), "--layout", "reference", "--ledger", ledger,
                                     "--out", out] + loaded.specArguments + extra)
    }

    @Test("a table gives the mismatches and reconciliation of the same ledger as CSV", arguments: [
        ("plain", ["amount": "bigint"]), ("messy", [:]), ("signed", [:]),
    ])
    func sameOutputsAsCSV(style: String, types: [String: String]) async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let loaded = try await Self.load(server, style: style, records: 20_000, seed: 19, table: "ledger_\(style)", types: types)
        defer { loaded.directory.remove() }
        let csv = try await Self.aggregate(loaded, ledger: loaded.directory.file("ledger.csv"), out: loaded.directory.file("out-csv"))
        let table = try await Self.aggregate(loaded, ledger: loaded.url, out: loaded.directory.file("out-table"), extra: ["--partition-size", "256K"])
        #expect(csv.exitStatus == 1, "\(csv)")
        #expect(table.exitStatus == csv.exitStatus, "\(table)")
        for name in ["mismatches.csv", "reconciliation.csv"] {
            let expected = try Self.withoutLedgerFile(loaded.directory.file("out-csv/" + name))
            let got = try Self.withoutLedgerFile(loaded.directory.file("out-table/" + name))
            #expect(expected.count > 1 && expected == got, "\(style): \(name) differs")
        }
        let mismatches = try CSVTable(contentsOfFile: loaded.directory.file("out-table/mismatches.csv"))
        let ledgerFile = try #require(mismatches.header.firstIndex(of: "ledger_file"))
        #expect(mismatches.rows.contains { $0[ledgerFile] == "ledger_\(style)" })
        // Every kind of mismatch the generator makes is there.
        let kinds = Set(mismatches.rows.map { $0[0] })
        #expect(kinds.isSuperset(of: ["amount_mismatch", "missing_in_ledger", "missing_in_settlement", "duplicate_in_ledger"]), "\(kinds)")
    }

    @Test("killed after its first ranges, a run resumes mid-table and gives identical outputs")
    func resumesMidTable() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let loaded = try await Self.load(server, style: "plain", records: 20_000, seed: 7, table: "ledger_resume", types: ["amount": "bigint"])
        defer { loaded.directory.remove() }
        let options = ["--partition-size", "64K", "--checkpoint", "1", "--workers", "1"]
        let reference = try await Self.aggregate(loaded, ledger: loaded.url, out: loaded.directory.file("reference"), extra: options)
        #expect(reference.exitStatus == 1, "\(reference)")
        let out = loaded.directory.file("out")
        let work = out + "/.settle-work"
        // Every partition pauses 40 ms at its first file (SETTLE_TEST_DELAY), so the kill lands mid-table.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SettleBinary.path())
        process.arguments = ["aggregate", loaded.directory.file("settlement.dat"), "--layout", "reference", "--ledger", loaded.url,
                             "--out", out] + options
        process.environment = ProcessInfo.processInfo.environment.merging(["SETTLE_TEST_DELAY": (0..<400).map { "/p" + String(format: "%06d", $0) + "/:40" }.joined(separator: ";")]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var markers = 0
        while process.isRunning && Date() < deadline {
            markers = Self.tableMarkers(work)
            if markers >= 2 { break }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let manifest = try JSONValue(contentsOfFile: work + "/manifest.json")
        let tableRanges = manifest["partitions"]?.array?.filter { $0["key_low"] != nil }.count ?? 0
        #expect(markers >= 2 && markers < tableRanges, "killed with \(markers) of \(tableRanges) table ranges done")
        let resumed = try await Self.aggregate(loaded, ledger: loaded.url, out: out, extra: options)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        #expect(resumed.stderr.contains("partitions already done"), "\(resumed)")
        for name in ["mismatches.csv", "reconciliation.csv", "totals.csv", "rejects.csv"] {
            let expected = try Data(contentsOf: URL(fileURLWithPath: loaded.directory.file("reference/" + name)))
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + name)) == expected, "\(name) differs after the resume")
        }
        // A resume that finds the table changed refuses, naming what changed.
        let planned = loaded.directory.file("planned")
        let plan = try await Subprocess.settle(["plan", loaded.directory.file("settlement.dat"), "--layout", "reference", "--ledger", loaded.url,
                                                "--work", planned])
        #expect(plan.exitStatus == 0, "\(plan)")
        try server.psql("DELETE FROM ledger_resume WHERE line = (SELECT max(line) FROM ledger_resume)")
        let task = try await Subprocess.settle(["map", "--work", planned, "--partition", "0"])
        #expect(task.exitStatus == 2 && task.stderr.contains("row count was \(loaded.rows), now \(loaded.rows - 1)"), "\(task)")
    }

    /// Table ranges with a marker (partitions whose manifest entry has a key range).
    static func tableMarkers(_ work: String) -> Int {
        guard let manifest = try? JSONValue(contentsOfFile: work + "/manifest.json"), let partitions = manifest["partitions"]?.array else { return 0 }
        return partitions.filter { $0["key_low"] != nil }.compactMap { $0["index"]?.int }.filter { index in
            FileManager.default.fileExists(atPath: work + "/partitions/p" + String(format: "%06d", index) + "/marker.json")
        }.count
    }

    @Test("a missing column or an unreachable server stops before any work, naming host, database and table")
    func stopsBeforeAnyWork() async throws {
        guard let server = try PostgresServer.start() else { return }
        let directory = try TemporaryDirectory(prefix: "pg-missing")
        defer { directory.remove() }
        let generated = try await Subprocess.settle(["generate", "--records", "200", "--merchants", "20", "--seed", "3", "--out", directory.path])
        #expect(generated.exitStatus == 0)
        try server.psql("CREATE TABLE no_amount (id bigint PRIMARY KEY, arn text, merchant_id text, currency text, direction text)")
        let url = server.url + "?table=no_amount"
        let host = try #require(URLComponents(string: server.url)?.host)
        let database = try #require(URLComponents(string: server.url)?.path.dropFirst())
        let out = directory.file("out")
        let missing = try await Subprocess.settle(["aggregate", directory.file("settlement.dat"), "--layout", "reference", "--ledger", url, "--out", out])
        #expect(missing.exitStatus == 2, "\(missing)")
        #expect(missing.stderr.contains("no column 'amount'") && missing.stderr.contains(host) && missing.stderr.contains(String(database))
                && missing.stderr.contains("no_amount"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: out + "/.settle-work/manifest.json"))
        server.stop()
        let unreachable = try await Subprocess.settle(["aggregate", directory.file("settlement.dat"), "--layout", "reference", "--ledger", url, "--out", out])
        #expect(unreachable.exitStatus == 2, "\(unreachable)")
        #expect(unreachable.stderr.contains(host) && unreachable.stderr.contains(String(database)) && unreachable.stderr.contains("no_amount"), "\(unreachable)")
        #expect(!FileManager.default.fileExists(atPath: out + "/totals.csv"))
    }

    @Test("a 300,000-row table is read in pages with bounded memory")
    func largeTableBoundedMemory() async throws {
        guard let server = try PostgresServer.start() else { return }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "pg-large")
        defer { directory.remove() }
        let generated = try await Subprocess.settle(["generate", "--records", "1000", "--merchants", "50", "--seed", "5", "--out", directory.path])
        #expect(generated.exitStatus == 0)
        try server.psql("""
            CREATE TABLE big_ledger (id bigint PRIMARY KEY, arn text, merchant_id text, currency text, amount bigint, direction text);
            INSERT INTO big_ledger SELECT g, lpad(g::text, 23, '7'), 'M' || (g % 997), 'USD', 100 + g % 5000, CASE WHEN g % 7 = 0 THEN 'C' ELSE 'D' END
            FROM generate_series(1, 300000) g;
            """)
        let out = directory.file("out")
        let run = try await Subprocess.settle(["aggregate", directory.file("settlement.dat"), "--layout", "reference",
                                               "--ledger", server.url + "?table=big_ledger", "--out", out, "--memory", "64MiB",
                                               "--partition-size", "4MiB"])
        #expect(run.exitStatus == 1, "\(run)")
        let summary = try JSONValue(contentsOfFile: out + "/summary.json")
        let ledgers = summary["result"]?["reconciliation"]?["ledger_files"]?.array ?? summary["reconciliation"]?["ledger_files"]?.array ?? []
        #expect(ledgers.first?["rows"]?.int == 300_000, "\(ledgers)")
        let peak = summary["run"]?["peak_rss_bytes"]?.int ?? summary["result"]?["run"]?["peak_rss_bytes"]?.int ?? 0
        #expect(peak > 0 && peak < 200 << 20, "peak RSS \(peak) bytes")
    }
}
