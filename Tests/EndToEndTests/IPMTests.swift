import Foundation
import Testing

/// Mastercard IPM files (`--layout mastercard-ipm`): files and ledgers written by
/// `settle generate --layout mastercard-ipm` read to their ground truth (totals, reconciliation on
/// DE 31, every control passed) whatever the blocking, code page, partition size (down to one
/// message per partition) and workers; damaged files give exact rejects and never a crash.
@Suite("Mastercard IPM end to end")
struct IPMTests {
    static let datasets = [
        ReconciliationDataset.Spec(layout: "mastercard-ipm", records: 2_000, merchants: 200, seed: 801, faults: 0.03, style: "plain", ledgerFiles: 1),
        ReconciliationDataset.Spec(layout: "mastercard-ipm", records: 2_000, merchants: 200, seed: 802, faults: 0, style: "messy", ledgerFiles: 2),
    ]

    static let resources = [
        ReconciliationGroundTruthTests.Resources(workers: 2, partitionSize: "4099", memory: "8M"),
        ReconciliationGroundTruthTests.Resources(workers: 1, partitionSize: "1G", memory: "1G"),
    ]

    @Test("reconciliation on DE 31, totals and summary equal the ground truth", arguments: datasets, resources)
    func reconciliationEqualsGroundTruth(_ spec: ReconciliationDataset.Spec, _ resources: ReconciliationGroundTruthTests.Resources) async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(spec)
        let out = try TemporaryDirectory(prefix: "ipm-reconcile")
        defer { out.remove() }
        let run = try await AggregateRun.run(spec.aggregateArguments + resources.arguments + ["--quiet"], out: out.path, in: dataset.directory)
        try dataset.expectOutputs(of: run)
        #expect(run.outcome.exitStatus == (dataset.hasFindings ? 1 : 0), "\(run.outcome)")
        try IPMFile.expectChecksPassed(run)
    }

    @Test("the ground truth holds every ledger mismatch kind")
    func groundTruthHasEveryLedgerKind() async throws {
        let dataset = try await ReconciliationDatasets.shared.dataset(Self.datasets[0])
        let kinds = Set(try dataset.expectedMismatches.column("kind"))
        #expect(kinds == ["amount_mismatch", "currency_mismatch", "direction_mismatch", "duplicate_in_ledger", "merchant_mismatch",
                          "missing_in_ledger", "missing_in_settlement"])
        #expect(try dataset.expectedMismatches.column("arn").allSatisfy { $0.count == 23 })
    }

    static let variants = [("1014", "ebcdic-cp500"), ("none", "ebcdic-cp500"), ("1014", "ascii"), ("none", "ascii"), ("1014", "ebcdic-cp037")]

    /// The same seed gives the same transactions in every variant: one expected totals.csv. `auto`
    /// reads an EBCDIC file as cp500 (cp037 differs only in punctuation these files do not use).
    @Test("blocked and unblocked, EBCDIC and ASCII read the same, one message per partition", arguments: variants)
    func variantsReadTheSame(_ blocking: String, _ encoding: String) async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-variant")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 150, seed: 9, blocking: blocking, encoding: encoding)
        for (workers, size) in [("2", "1"), ("1", "1G")] {
            let run = try await AggregateRun.run(["settlement.ipm", "--layout", "mastercard-ipm", "--workers", workers, "--partition-size", size,
                                                  "--quiet"], out: "out-\(workers)-\(size)", in: directory.path)
            #expect(run.outcome.exitStatus == 0, "\(run.outcome)")
            expectSameBytes(try run.totals(), try readBytes(directory.file("expected/totals.csv")), "totals.csv (\(workers) workers, \(size))")
            let file = try #require(try run.summary()["result"]?["files"]?[0])
            #expect(file["framing"]?.string == (blocking == "1014" ? "rdw-1014" : "rdw"))
            #expect(file["encoding"]?.string == (encoding == "ascii" ? "ascii" : "ebcdic-cp500"))
            let partitions = try run.summary()["run"]?["partitions"]?.array?.count ?? 0
            #expect(size == "1G" ? partitions == 1 : partitions >= 150, "\(partitions) partitions")
            try IPMFile.expectChecksPassed(run)
        }
    }
}

/// Damaged IPM files: each damage gives its exact reject (file, message number, byte offset) and
/// the walk goes on where it can.
@Suite("Mastercard IPM damaged files")
struct IPMDamageTests {
    @Test("a corrupted RDW stops the file with one bad_length and a failed file_trailer check")
    func corruptedRDW() async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-rdw")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 400, seed: 21, blocking: "1014", encoding: "ebcdic-cp500")
        var bytes = try readBytes(directory.file("settlement.ipm"))
        let messages = IPMFile.messages(bytes, blocked: true)
        let target = messages[99]   // record 100
        for index in 0..<4 { bytes[IPMFile.physical(target.logical + index, blocked: true)] = 0xFF }
        try writeBytes(bytes, to: directory.file("settlement.ipm"))
        let run = try await AggregateRun.run(["settlement.ipm", "--layout", "mastercard-ipm", "--partition-size", "2000", "--quiet"],
                                             out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(try run.rejectPositions() == [["100", String(target.physical), "bad_length", ""]])
        let file = try #require(try run.summary()["result"]?["files"]?[0])
        #expect(file["records"]?.int == 99)
        let failed = file["checks"]?.array?.filter { $0["status"]?.string == "failed" }.compactMap { $0["name"]?.string }
        #expect(failed == ["file_trailer"])
    }

    @Test("bytes cut out of a message: the message is rejected where it starts")
    func bytesCutOut() async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-cut")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 200, seed: 22, blocking: "none", encoding: "ascii")
        var bytes = try readBytes(directory.file("settlement.ipm"))
        let target = IPMFile.messages(bytes, blocked: false)[49]   // record 50
        bytes.removeSubrange((target.physical + 30)..<(target.physical + 37))
        try writeBytes(bytes, to: directory.file("settlement.ipm"))
        let run = try await AggregateRun.run(["settlement.ipm", "--layout", "mastercard-ipm", "--quiet"], out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rejects = try run.rejectPositions()
        #expect(rejects.first?[0] == "50" && rejects.first?[1] == String(target.physical), "\(rejects)")
        #expect(["bad_message", "bad_length"].contains(rejects.first?[2] ?? ""), "\(rejects)")
    }

    @Test("a bad block tail is one bad_block; the file is read on to the same totals")
    func badBlockTail() async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-tail")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 300, seed: 23, blocking: "1014", encoding: "ebcdic-cp500")
        var bytes = try readBytes(directory.file("settlement.ipm"))
        bytes[1012 + 1014 * 3] = 0x41
        try writeBytes(bytes, to: directory.file("settlement.ipm"))
        let run = try await AggregateRun.run(["settlement.ipm", "--layout", "mastercard-ipm", "--partition-size", "3000", "--quiet"],
                                             out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rejects = try run.rejectPositions()
        #expect(rejects.map { Array($0.dropFirst()) } == [[String(1012 + 1014 * 3), "bad_block", ""]])
        expectSameBytes(try run.totals(), try readBytes(directory.file("expected/totals.csv")), "totals.csv")
    }

    @Test("a truncated final block: padding cut is one truncated_block; a block cut mid-file also stops the messages")
    func truncatedBlocks() async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-truncated")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 300, seed: 24, blocking: "1014", encoding: "ebcdic-cp500")
        let bytes = try readBytes(directory.file("settlement.ipm"))
        try writeBytes(Array(bytes.dropLast(1)), to: directory.file("padding.ipm"))
        var run = try await AggregateRun.run(["padding.ipm", "--layout", "mastercard-ipm", "--quiet"], out: "out1", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let lastBlock = (bytes.count - 1) / 1014 * 1014
        #expect(try run.rejectPositions().map { Array($0.dropFirst()) } == [[String(lastBlock), "truncated_block", ""]])
        expectSameBytes(try run.totals(), try readBytes(directory.file("expected/totals.csv")), "totals.csv")

        let cut = 1014 * 10 + 500
        try writeBytes(Array(bytes.prefix(cut)), to: directory.file("cut.ipm"))
        run = try await AggregateRun.run(["cut.ipm", "--layout", "mastercard-ipm", "--quiet"], out: "out2", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let messages = IPMFile.messages(bytes, blocked: true)
        let logicalSize = 1012 * 10 + 500
        let stop = try #require(messages.firstIndex { $0.logical + 4 + $0.length > logicalSize })
        #expect(try run.rejectPositions() == [[String(stop + 1), String(1014 * 10), "truncated_block", ""],
                                              [String(stop + 1), String(messages[stop].physical), "bad_length", ""]])
    }

    @Test("a bad length prefix and a bitmap announcing a field past the message: bad_message naming the DE")
    func badMessages() async throws {
        let directory = try TemporaryDirectory(prefix: "ipm-badmessage")
        defer { directory.remove() }
        try await IPMFile.generate(into: directory.path, records: 50, seed: 25, blocking: "none", encoding: "ascii")
        var bytes = try readBytes(directory.file("settlement.ipm"))
        let messages = IPMFile.messages(bytes, blocked: false)
        bytes[messages[1].physical + 4 + 4 + 16] = UInt8(ascii: "X")       // DE 2's LLVAR prefix
        bytes[messages[2].physical + 4 + 4 + 15] |= 0x02                    // DE 127 in the secondary bitmap
        try writeBytes(bytes, to: directory.file("settlement.ipm"))
        let run = try await AggregateRun.run(["settlement.ipm", "--layout", "mastercard-ipm", "--quiet"], out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rows = try run.rejects().columns(["record_number", "byte_offset", "reason", "field"])
        #expect(rows == [["2", String(messages[1].physical), "bad_message", "DE2"], ["3", String(messages[2].physical), "bad_message", "DE127"]])
        let details = try run.rejects().column("detail")
        #expect(details == ["DE 2's length prefix holds a byte that is not a digit",
                            "DE 127, announced by the bitmap, runs past the end of the message"])
    }
}

/// Generating and walking IPM files in tests (an RDW walk of its own, not the engine's).
enum IPMFile {
    static func generate(into directory: String, records: Int, seed: Int, blocking: String, encoding: String) async throws {
        let outcome = try await Subprocess.settle(["generate", "--layout", "mastercard-ipm", "--records", String(records), "--merchants", "40",
                                                   "--seed", String(seed), "--ipm-blocking", blocking, "--ipm-encoding", encoding,
                                                   "--out", directory])
        guard outcome.exitStatus == 0 else { throw FileProblem(path: directory, problem: "settle generate failed:\n\(outcome)") }
    }

    static func physical(_ logical: Int, blocked: Bool) -> Int { blocked ? logical + 2 * (logical / 1012) : logical }

    /// Every message's RDW position (logical and physical) and length, up to the zero RDW.
    static func messages(_ bytes: [UInt8], blocked: Bool) -> [(logical: Int, physical: Int, length: Int)] {
        var out: [(Int, Int, Int)] = []
        var logical = 0
        while physical(logical + 3, blocked: blocked) < bytes.count {
            let length = (0..<4).reduce(0) { $0 << 8 | Int(bytes[physical(logical + $1, blocked: blocked)]) }
            if length == 0 { break }
            out.append((logical, physical(logical, blocked: blocked), length))
            logical += 4 + length
        }
        return out
    }

    /// Every check of the file passed: message_number, message_count, amount_total, file_id.
    static func expectChecksPassed(_ run: AggregateRun, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = try #require(try run.summary()["result"]?["files"]?[0], sourceLocation: sourceLocation)
        let checks = file["checks"]?.array ?? []
        #expect(checks.compactMap { $0["name"]?.string } == ["message_number", "message_count", "amount_total", "file_id"],
                sourceLocation: sourceLocation)
        #expect(checks.allSatisfy { $0["status"]?.string == "passed" }, "\(checks)", sourceLocation: sourceLocation)
    }
}
