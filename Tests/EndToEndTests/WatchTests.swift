import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `settle watch` end to end with the real binary: arrivals become batches that obey size and wait,
/// each file lands in exactly one batch, totals over the batches equal the generator's truth, and
/// duplicates, unreadable and growing files, SIGKILL and SIGTERM are handled as documented.
@Suite("settle watch: micro-batches, exactly once", .serialized)
struct WatchTests {
    static func datasets(_ count: Int) async throws -> [GeneratedDataset] {
        var sets: [GeneratedDataset] = []
        for index in 0..<count {
            sets.append(try await SharedDatasets.shared.dataset(DatasetSpec(layout: "reference", records: 1_500, merchants: 40,
                                                                             seed: 500 + UInt64(index), faults: 0)))
        }
        return sets
    }

    static let fast = ["--layout", "reference", "--settle-time", "200ms", "--workers", "2", "--partition-size", "16K"]

    static func expectTotals(_ harness: WatchHarness, batches: [String], truth: [GeneratedDataset],
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let got = try summedTotals(batches.map { harness.root + "/batches/" + $0 + "/totals.csv" })
        let want = try summedTotals(truth.map { $0.directory + "/expected/totals.csv" })
        #expect(!want.isEmpty && got == want, "totals over batches \(batches) differ from the generator's truth", sourceLocation: sourceLocation)
    }

    @Test("A burst and one-by-one arrivals become batches that obey --batch-files and --batch-wait")
    func burstsAndSingles() async throws {
        let sets = try await Self.datasets(7)
        let harness = try WatchHarness("watch-bursts")
        defer { harness.remove() }
        let metrics = harness.directory.path + "/watch.prom"
        let daemon = try harness.start(Self.fast + ["--batch-files", "3", "--batch-wait", "1s", "--metrics-file", metrics, "--metrics-interval", "0.1"])
        let burst = (0..<5).map { "burst\($0).dat" }
        let arrived = Date()
        for (index, name) in burst.enumerated() { try harness.arrive(sets[index].settlementPath, as: name) }
        #expect(await harness.waitFor(seconds: 60) { harness.processed().count == 2 }, "\(harness.daemonStderr)")
        #expect(Date().timeIntervalSince(arrived) >= 1.0, "the batch of two closed before its oldest file waited --batch-wait")
        for (index, name) in ["single5.dat", "single6.dat"].enumerated() {
            try harness.arrive(sets[5 + index].settlementPath, as: name)
            #expect(await harness.waitFor(seconds: 60) { harness.processed().count == 3 + index }, "\(harness.daemonStderr)")
        }
        kill(daemon.processIdentifier, SIGTERM)
        #expect(await harness.waitForExit(daemon) == 0, "\(harness.daemonStderr)")

        let processed = harness.processed()
        #expect(processed.keys.sorted() == ["000001", "000002", "000003", "000004"])
        #expect(processed["000001"]?.count == 3 && processed["000002"]?.count == 2)
        #expect(((processed["000001"] ?? []) + (processed["000002"] ?? [])).sorted() == burst)
        #expect(processed["000003"] == ["single5.dat"] && processed["000004"] == ["single6.dat"])
        #expect(harness.names(in: harness.inbox).isEmpty)
        #expect(harness.journal() == (1...4).flatMap { ["opened \($0)", "published \($0)", "moved \($0)"] })
        try Self.expectTotals(harness, batches: ["000001", "000002", "000003", "000004"], truth: sets)
        let summary = try JSONValue(contentsOfFile: harness.root + "/batches/000003/summary.json")
        #expect(summary["result"]?["files"]?.array?.first?["path"]?.string == harness.inbox + "/single5.dat", "summary.json names the inbox path")
        let prom = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        #expect(prom.contains("settle_watch_batches_total 4\n"), "\(prom.prefix(3000))")
        #expect(prom.contains("settle_watch_inbox_files 0"))
        let status = try await Subprocess.settle(["status", harness.root])
        #expect(status.exitStatus == 0)
        #expect(status.stdout.split(separator: "\n").first == "watch root \(harness.root): 4 batches (4 done), 7 files processed, 0 duplicates, 0 failed")
        #expect(status.stdout.contains("batch 000003: done, 1 files, 1502 records, 0 rejects, exit status 0: single5.dat\n"), "\(status)")
    }

    @Test("--batch-bytes closes batches by size; a duplicate is refused in a batch and across runs; --expect warns")
    func bytesDuplicatesAndLateFiles() async throws {
        let sets = try await Self.datasets(2)
        let harness = try WatchHarness("watch-duplicates")
        defer { harness.remove() }
        try harness.arrive(sets[0].settlementPath, as: "a1.dat")
        try harness.arrive(sets[0].settlementPath, as: "a2.dat")
        try harness.arrive(sets[1].settlementPath, as: "b.dat")
        let size = try #require(watchFileSize(sets[0].settlementPath))
        let metrics = harness.directory.path + "/once.prom"
        let first = try await harness.once(Self.fast + ["--batch-bytes", String(size + 1), "--expect", "never_*@00:00", "--metrics-file", metrics])
        #expect(first.exitStatus == 0, "\(first)")
        #expect(first.stderr.contains("duplicate: a2.dat has the content of a file of batch 000001"), "\(first)")
        #expect(first.stderr.contains("late file: nothing matching 'never_*' has arrived by 00:00 today"), "\(first)")
        #expect(((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").contains("settle_watch_late_files 1"))
        try harness.arrive(sets[0].settlementPath, as: "a3.dat")
        let second = try await harness.once(Self.fast)
        #expect(second.exitStatus == 0, "\(second)")
        #expect(harness.processed() == ["000001": ["a1.dat"], "000002": ["b.dat"]])
        #expect(harness.names(in: harness.root + "/duplicates") == ["a2.dat", "a3.dat"])
        #expect(harness.journal() == ["duplicate a2.dat", "opened 1", "published 1", "moved 1", "opened 2", "published 2", "moved 2", "duplicate a3.dat"])
        try Self.expectTotals(harness, batches: ["000001", "000002"], truth: sets)
    }

    @Test("SIGKILL of the daemon mid-batch, then restart: the batch resumes with its number and files",
          arguments: ["manifest.json", "/p000002/", "totals.csv", "processed/000001/"])
    func killMidBatch(moment: String) async throws {
        let sets = try await Self.datasets(3)
        let harness = try WatchHarness("watch-kill")
        defer { harness.remove() }
        // The batch closes when all three are ready (full), however the arrivals fall between looks.
        let daemon = try harness.start(Self.fast + ["--batch-files", "3", "--batch-wait", "60s"],
                                       environment: ["SETTLE_TEST_DELAY": "\(moment):5000"])
        for index in 0..<3 { try harness.arrive(sets[index].settlementPath, as: "f\(index).dat") }
        let mark = moment.hasPrefix("processed") ? "published 1" : "opened 1"
        #expect(await harness.waitFor(seconds: 60) { harness.journal().contains(mark) }, "\(harness.daemonStderr)")
        try await Task.sleep(nanoseconds: 600_000_000)
        #expect(kill(daemon.processIdentifier, SIGKILL) == 0)
        daemon.waitUntilExit()
        #expect(!harness.journal().contains("moved 1"), "the kill came after the batch was over (\(moment))")

        let restart = try await harness.once(Self.fast)
        #expect(restart.exitStatus == 0, "\(restart)")
        #expect(restart.stderr.contains("batch 000001: resuming (3 files"), "\(restart)")
        #expect(harness.processed() == ["000001": ["f0.dat", "f1.dat", "f2.dat"]])
        #expect(harness.journal().filter { $0.hasPrefix("opened") } == ["opened 1"])
        #expect(harness.journal().last == "moved 1")
        #expect(harness.names(in: harness.inbox).isEmpty)
        try Self.expectTotals(harness, batches: ["000001"], truth: sets)
    }

    @Test("SIGTERM: the batch in flight finishes (or, with --grace 0, stays resumable) and watch exits 0",
          arguments: ["30s", "0s"])
    func sigtermStopsCleanly(grace: String) async throws {
        let sets = try await Self.datasets(2)
        let harness = try WatchHarness("watch-sigterm")
        defer { harness.remove() }
        let daemon = try harness.start(Self.fast + ["--batch-wait", "0s", "--grace", grace], environment: ["SETTLE_TEST_DELAY": "/p000002/:1500"])
        for index in 0..<2 { try harness.arrive(sets[index].settlementPath, as: "f\(index).dat") }
        #expect(await harness.waitFor(seconds: 60) { harness.journal().contains("opened 1") }, "\(harness.daemonStderr)")
        try await Task.sleep(nanoseconds: 300_000_000)
        kill(daemon.processIdentifier, SIGTERM)
        #expect(await harness.waitForExit(daemon) == 0, "\(harness.daemonStderr)")
        #expect(harness.daemonStderr.contains("SIGTERM received: no new batch starts"))
        if grace == "30s" {
            #expect(harness.journal() == ["opened 1", "published 1", "moved 1"])
            #expect(harness.processed() == ["000001": ["f0.dat", "f1.dat"]])
        } else {
            #expect(harness.journal() == ["opened 1"])
            let summary = try JSONValue(contentsOfFile: harness.root + "/batches/000001/summary.json")
            #expect(summary["status"]?.string == "interrupted")
            let status = try await Subprocess.settle(["status", harness.root])
            #expect(status.stdout.contains("batch 000001: in flight, 2 files: f0.dat, f1.dat\n"), "\(status)")
            let restart = try await harness.once(Self.fast)
            #expect(restart.exitStatus == 0, "\(restart)")
            #expect(harness.processed() == ["000001": ["f0.dat", "f1.dat"]])
        }
        try Self.expectTotals(harness, batches: ["000001"], truth: sets)
    }

    @Test("A file still being written is not taken before it settles")
    func growingFileWaits() async throws {
        let sets = try await Self.datasets(1)
        let harness = try WatchHarness("watch-growing")
        defer { harness.remove() }
        // Settle time well above the pauses between writes (250 ms), so a busy machine does not make a pause look like the end.
        let daemon = try harness.start(["--layout", "reference", "--settle-time", "2s", "--batch-wait", "0s", "--workers", "2"])
        let bytes = try readBytes(sets[0].settlementPath)
        let path = harness.inbox + "/grow.dat"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let chunk = bytes.count / 8 + 1
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try handle.write(contentsOf: Data(bytes[start..<min(bytes.count, start + chunk)]))
            try await Task.sleep(nanoseconds: 250_000_000)
            #expect(harness.names(in: harness.root + "/batches").isEmpty, "taken while still growing")
        }
        try handle.close()
        #expect(await harness.waitFor(seconds: 60) { harness.processed() == ["000001": ["grow.dat"]] }, "\(harness.daemonStderr)")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(await harness.waitForExit(daemon) == 0)
        #expect(watchFileSize(harness.root + "/processed/000001/grow.dat") == bytes.count)
        try Self.expectTotals(harness, batches: ["000001"], truth: sets)
    }

    @Test("An unreadable file goes to failed/ with a .reason file; the others go on")
    func unreadableFileSetAside() async throws {
        let sets = try await Self.datasets(3)
        let harness = try WatchHarness("watch-unreadable")
        defer { harness.remove() }
        try harness.arrive(sets[0].settlementPath, as: "a.dat")
        try harness.arrive(sets[1].settlementPath, as: "bad.dat")
        try harness.arrive(sets[2].settlementPath, as: "c.dat")
        chmod(harness.inbox + "/bad.dat", 0)
        // Root reads a file of mode 000 anyway: the injected read fault stands in for it then.
        let run = try await ResumeTests.settle(["watch", harness.inbox, "--out", harness.root, "--once"] + Self.fast,
                                               environment: ["SETTLE_FAULT_INJECTION": "read:bad.dat:1"])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(harness.names(in: harness.root + "/failed") == ["bad.dat", "bad.dat.reason"])
        let reason = (try? String(contentsOfFile: harness.root + "/failed/bad.dat.reason", encoding: .utf8)) ?? ""
        #expect(reason.hasPrefix("cannot ") && reason.contains("bad.dat"), "\(reason)")
        #expect(harness.processed() == ["000001": ["a.dat", "c.dat"]])
        #expect(harness.journal() == ["failed bad.dat", "opened 1", "published 1", "moved 1"])
        try Self.expectTotals(harness, batches: ["000001"], truth: [sets[0], sets[2]])
    }

    @Test("--ready-suffix waits for NAME.done and moves it along; --input-layout picks each file's layout by name")
    func readySuffixAndInputLayouts() async throws {
        let reference = try await Self.datasets(1)[0]
        let wide = try await SharedDatasets.shared.dataset(DatasetSpec(layout: "wide", records: 1_000, merchants: 30, seed: 520, faults: 0))
        let harness = try WatchHarness("watch-suffix")
        defer { harness.remove() }
        let options = ["--layout", "reference", "--input-layout", "wide_*:wide", "--ready-suffix", ".done", "--settle-time", "200ms", "--workers", "2"]
        try harness.arrive(reference.settlementPath, as: "ref.dat")
        try harness.arrive(wide.settlementPath, as: "wide_1.dat")
        let first = try await harness.once(options)
        #expect(first.exitStatus == 0, "\(first)")
        #expect(harness.journal().isEmpty, "taken without its .done marker")
        _ = FileManager.default.createFile(atPath: harness.inbox + "/ref.dat.done", contents: nil)
        _ = FileManager.default.createFile(atPath: harness.inbox + "/wide_1.dat.done", contents: nil)
        let second = try await harness.once(options)
        #expect(second.exitStatus == 0, "\(second)")
        #expect(harness.processed() == ["000001": ["ref.dat", "ref.dat.done", "wide_1.dat", "wide_1.dat.done"]])
        #expect(harness.names(in: harness.inbox).isEmpty)
        let files = try JSONValue(contentsOfFile: harness.root + "/batches/000001/summary.json")["result"]?["files"]?.array ?? []
        #expect(files.map { $0["layout"]?.string ?? "" } == ["reference", "wide"])
        try Self.expectTotals(harness, batches: ["000001"], truth: [reference, wide])
    }

    @Test("--ledger: each batch is reconciled against the ledger as aggregate reconciles")
    func ledgerPassesThrough() async throws {
        let data = try TemporaryDirectory(prefix: "watch-ledger-data")
        defer { data.remove() }
        let generated = try await Subprocess.settle(["generate", "--records", "1500", "--merchants", "40", "--seed", "530",
                                                     "--layout", "reference", "--faults", "0", "--out", data.path])
        #expect(generated.exitStatus == 0, "\(generated)")
        let harness = try WatchHarness("watch-ledger")
        defer { harness.remove() }
        try harness.arrive(data.file("settlement.dat"), as: "settlement.dat")
        let run = try await harness.once(Self.fast + ["--ledger", data.file("ledger.csv")])
        let expected = try CSVTable(contentsOfFile: data.file("expected/mismatches.csv"))
        #expect(run.exitStatus == (expected.rows.isEmpty ? 0 : 1), "\(run)")
        // The file columns name the paths given (the inbox's, the ledger's); every other column must agree.
        let columns = expected.header.filter { $0 != "file" && $0 != "ledger_file" }
        let got = try CSVTable(contentsOfFile: harness.root + "/batches/000001/mismatches.csv")
        #expect(columns.count == expected.header.count - 2)
        expectSameRows(try got.columns(columns), try expected.columns(columns), "mismatches.csv")
        expectSameBytes(try readBytes(harness.root + "/batches/000001/totals.csv"), try readBytes(data.file("expected/totals.csv")), "totals.csv")
    }

    @Test("An inbox and a root on different filesystems are refused (exit 2): files move only by rename")
    func differentFilesystemsRefused() async throws {
        let shm = "/dev/shm"
        let harness = try WatchHarness("watch-devices")
        defer { harness.remove() }
        var shmStatus = stat(), tmpStatus = stat()
        guard stat(shm, &shmStatus) == 0, stat(harness.inbox, &tmpStatus) == 0, shmStatus.st_dev != tmpStatus.st_dev else { return }
        let root = shm + "/settle-watch-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try await Subprocess.settle(["watch", harness.inbox, "--out", root, "--once", "--layout", "reference"])
        #expect(run.exitStatus == 2)
        #expect(run.stderr.contains("are on different filesystems"), "\(run)")
    }
}
