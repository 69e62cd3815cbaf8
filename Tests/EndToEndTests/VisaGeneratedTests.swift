import Foundation
import Testing

/// `settle aggregate --layout visa-ctf` on files written by `settle generate --layout visa-ctf`, in
/// every code page and line-end form, with record faults, broken trailers and a faulty ledger:
/// totals, rejects (file, record, field), failed checks, mismatches and reconciliation equal the
/// generator's ground truth, and no card number ever appears unmasked.
@Suite("Visa CTF files from the generator: settle aggregate --layout visa-ctf")
struct VisaGeneratedTests {
    struct Form: Sendable, CustomTestStringConvertible {
        var encoding: String
        var lineEnd: String
        var testDescription: String { "\(encoding), \(lineEnd)" }
        /// What `encoding: auto` reports: EBCDIC files read as cp500 (the two agree on every byte the generator writes).
        var detected: String { encoding == "ascii" ? "ascii" : "ebcdic-cp500" }
    }

    static let forms: [Form] = ["ascii", "ebcdic-cp500", "ebcdic-cp037"].flatMap { encoding in
        ["lf", "crlf", "none"].map { Form(encoding: encoding, lineEnd: $0) }
    }

    @Test("outputs equal the ground truth", arguments: forms)
    func outputsEqualGroundTruth(_ form: Form) async throws {
        let dataset = try await VisaDataset.generate(transactions: 1_500, seed: 3, faults: 0.03, form: form)
        defer { dataset.directory.remove() }
        let run = try await AggregateRun.run([VisaDataset.fileName, "--layout", "visa-ctf", "--ledger", "ledger.csv", "--quiet"],
                                             out: "out", in: dataset.directory.path)
        #expect(run.outcome.exitStatus == 1, "failed checks and rejects are findings: \(run.outcome)")
        try dataset.expectGroundTruth(run, detected: form.detected)
    }

    /// One record per partition (a record and its line end), and two workers: the same outputs.
    @Test("invariant over partition sizes down to one record and over workers",
          arguments: [(Form(encoding: "ascii", lineEnd: "lf"), "169"), (Form(encoding: "ebcdic-cp037", lineEnd: "none"), "168"),
                      (Form(encoding: "ebcdic-cp500", lineEnd: "crlf"), "1000")])
    func invariantOverPartitions(_ form: Form, _ partition: String) async throws {
        let dataset = try await VisaDataset.generate(transactions: 120, seed: 9, faults: 0.05, form: form)
        defer { dataset.directory.remove() }
        for workers in ["1", "2"] {
            let run = try await AggregateRun.run([VisaDataset.fileName, "--layout", "visa-ctf", "--ledger", "ledger.csv", "--quiet",
                                                  "--workers", workers, "--partition-size", partition],
                                                 out: "out-\(workers)", in: dataset.directory.path)
            #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
            try dataset.expectGroundTruth(run, detected: form.detected)
            let partitions = try run.summary()["run"]?["partitions"]?.array?.count ?? 0
            // One partition per record of the settlement file (the ledger has its own).
            if partition != "1000" { #expect(partitions >= (dataset.summary["records"]?.int ?? .max), "one partition per record") }
        }
    }

    /// A layout that says EBCDIC given an ASCII file: every record is a reject naming the record
    /// type, the file's checks fail, and no card number shows.
    @Test func fileInAnotherEncodingThanTheLayoutSays() async throws {
        let dataset = try await VisaDataset.generate(transactions: 40, seed: 4, faults: 0, form: Form(encoding: "ascii", lineEnd: "lf"))
        defer { dataset.directory.remove() }
        try Self.layoutText().replacingOccurrences(of: "encoding: auto", with: "encoding: ebcdic-cp500")
            .write(toFile: dataset.directory.file("ebcdic.yaml"), atomically: true, encoding: .utf8)
        let run = try await AggregateRun.run([VisaDataset.fileName, "--layout", "ebcdic.yaml", "--quiet"], out: "out",
                                             in: dataset.directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rejects = try run.rejects()
        let records = try #require(dataset.summary["records"]?.int)
        #expect(rejects.rows.count == records)
        #expect(try rejects.column("reason").allSatisfy { $0 == "unknown_record_type" })
        #expect(try rejects.column("file").allSatisfy { $0 == VisaDataset.fileName })
        try VisaDataset.expectMasked(rejects)
        let file = try #require(try run.summary()["result"]?["files"]?[0])
        #expect(file["encoding"]?.string == "ebcdic-cp500")
        #expect((file["checks_failed"]?.int ?? 0) > 0)
    }

    /// Damage of every kind (bytes cut out, garbage lines, a line doubled, a byte changed, a
    /// truncated end) in an ASCII and an EBCDIC file: no crash, the same totals, rejects and checks
    /// whatever the partition size and workers, and no card number unmasked.
    @Test("damaged files give the same results whatever the partitions", arguments: 1...4)
    func damagedInvariance(seed: Int) async throws {
        let form = seed % 2 == 0 ? Form(encoding: "ascii", lineEnd: "lf") : Form(encoding: "ebcdic-cp037", lineEnd: "crlf")
        let dataset = try await VisaDataset.generate(transactions: 60, seed: UInt64(seed), faults: 0.05, form: form)
        defer { dataset.directory.remove() }
        var bytes = try readBytes(dataset.directory.file(VisaDataset.fileName))
        Damage.apply(to: &bytes, seed: seed, replacements: [0x30, 0xF1, 0x39, 0xF9, 0x41])
        try Data(bytes).write(to: URL(fileURLWithPath: dataset.directory.file("damaged.ctf")))
        var base: (status: Int32?, totals: [UInt8], rejects: [UInt8], result: JSONValue?)?
        for (size, workers) in [("100G", "1"), ("170", "2"), ("997", "1"), ("4000", "2")] {
            let run = try await AggregateRun.run(["damaged.ctf", "--layout", "visa-ctf", "--quiet", "--partition-size", size,
                                                  "--workers", workers], out: "out-\(size)", in: dataset.directory.path)
            let status = run.outcome.exitStatus
            try #require(status == 0 || status == 1, "\(run.outcome)")
            try VisaDataset.expectMasked(try run.rejects())
            let outcome = (status, try run.totals(), try run.rejectsBytes(), try run.summary()["result"])
            guard let base else {
                base = outcome
                continue
            }
            let label = "seed \(seed), partition size \(size)"
            #expect(outcome.0 == base.status, "\(label)")
            #expect(outcome.1 == base.totals, "\(label)")
            #expect(outcome.2 == base.rejects, "\(label)")
            #expect(outcome.3?["files"]?[0]?["checks"] == base.result?["files"]?[0]?["checks"], "\(label)")
            #expect(outcome.3?["rejected"] == base.result?["rejected"], "\(label)")
        }
    }

    static func layoutText() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("datasets/layouts/visa-ctf.yaml"), encoding: .utf8)
    }
}

/// A Visa file written by `settle generate --layout visa-ctf`, with its ground truth.
struct VisaDataset {
    static let fileName = "settlement.ctf"
    let directory: TemporaryDirectory
    let summary: JSONValue

    static func generate(transactions: Int, seed: UInt64, faults: Double, form: VisaGeneratedTests.Form) async throws -> VisaDataset {
        let directory = try TemporaryDirectory(prefix: "visa-\(form.encoding)-\(form.lineEnd)")
        let outcome = try await Subprocess.settle(["generate", "--layout", "visa-ctf", "--records", String(transactions),
                                                   "--merchants", "60", "--seed", String(seed), "--faults", String(faults),
                                                   "--encoding", form.encoding, "--line-end", form.lineEnd, "--out", directory.path])
        guard outcome.exitStatus == 0 else {
            directory.remove()
            throw FileProblem(path: directory.path, problem: "settle generate failed:\n\(outcome)")
        }
        return VisaDataset(directory: directory, summary: try JSONValue(contentsOfFile: directory.file("expected/summary.json")))
    }

    func expected(_ name: String) throws -> [UInt8] { try readBytes(directory.file("expected/" + name)) }

    func expectGroundTruth(_ run: AggregateRun, detected: String) throws {
        expectSameBytes(try run.totals(), try expected("totals.csv"), "totals.csv")
        let rejects = try run.rejects()
        let expectedRejects = try CSVTable(parsing: try expected("rejects.csv"))
        expectSameRows(try rejects.columns(["record_number", "byte_offset", "reason", "field"]), expectedRejects.rows, "rejects.csv")
        #expect(try rejects.column("file").allSatisfy { $0 == Self.fileName })
        try Self.expectMasked(rejects)
        expectSameBytes(try readBytes(run.outDirectory + "/mismatches.csv"), try expected("mismatches.csv"), "mismatches.csv")
        expectSameBytes(try readBytes(run.outDirectory + "/reconciliation.csv"), try expected("reconciliation.csv"), "reconciliation.csv")

        let file = try #require(try run.summary()["result"]?["files"]?[0])
        #expect(file["encoding"]?.string == detected)
        #expect(file["amount_scale"]?.int == 6)
        #expect(file["groups"]?.int == summary["batches"]?.int)
        #expect(file["records"]?.int == summary["records"]?.int)
        let failed = (file["checks"]?.array ?? []).filter { $0["status"]?.string == "failed" }.map { check in
            [check["scope"]?.string ?? "", check["group"]?.int.map(String.init) ?? "", check["name"]?.string ?? ""]
        }
        let expectedFailed = try CSVTable(parsing: try expected("failed_checks.csv")).rows
        #expect(failed.sorted { $0.joined(separator: ",") < $1.joined(separator: ",") }
                == expectedFailed.sorted { $0.joined(separator: ",") < $1.joined(separator: ",") })
        #expect(file["checks_failed"]?.int == expectedFailed.count)
    }

    /// The account number (5-20) of every reject shows no digit at 11-16, read as ASCII or as the
    /// escaped bytes of another code page's digits: masked as a receipt is, or every digit of its run.
    static func expectMasked(_ rejects: CSVTable) throws {
        for raw in try rejects.column("raw") {
            let bytes = unescaped(raw)
            guard bytes.count >= 20 else { continue }
            let digits = bytes[10..<16].filter { (0x30...0x39).contains($0) || (0xF0...0xF9).contains($0)
                || (0x30...0x39).contains(CodePageProbe.cp500ToASCII($0)) }
            #expect(digits.isEmpty, "account number not masked: \(raw)")
        }
    }

    /// rejects.csv's `raw` back to bytes: `\\xNN` is one byte, `\\\\` a backslash.
    static func unescaped(_ raw: String) -> [UInt8] {
        let text = Array(raw.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < text.count {
            if text[index] == UInt8(ascii: "\\"), index + 1 < text.count, text[index + 1] == UInt8(ascii: "x"), index + 3 < text.count,
               let byte = UInt8(String(decoding: text[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                bytes.append(byte)
                index += 4
            } else if text[index] == UInt8(ascii: "\\"), index + 1 < text.count {
                bytes.append(text[index + 1])
                index += 2
            } else {
                bytes.append(text[index])
                index += 1
            }
        }
        return bytes
    }
}

/// The Latin-1 byte an ASCII file's byte becomes when read as cp500: only the digits matter here,
/// and the test finds them back from the engine's own output, so it asks the generator's tables.
enum CodePageProbe {
    static func cp500ToASCII(_ byte: UInt8) -> UInt8 {
        // An ASCII digit 0x30-0x39 read as cp500 is a control character; settle maps it to one byte
        // whose cp500 encoding is the digit again. Without the table, count any escaped byte as a digit
        // when it is one of those ten.
        digitsAsCP500.firstIndex(of: byte).map { UInt8(0x30 + $0) } ?? 0
    }
    /// cp500's Latin-1 reading of the bytes 0x30-0x39 (from the IBM code page 500 table).
    static let digitsAsCP500: [UInt8] = [0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99]
}
