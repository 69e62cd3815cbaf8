import Foundation
import Testing

/// `--ledger` with structured layouts: a detail's `reference` role is matched as a flat layout's is,
/// with the same pairing rules and outputs. A small hand-made file with its hand-made ledger (every
/// expected row written out here), and a generated NACHA file whose ledger is built here from its
/// entries with known faults, reconciled whatever the partition size and after a failed run resumed.
@Suite("Reconciliation of structured layouts")
struct StructuredReconciliationTests {
    /// Groups of details under a group header that gives the merchant and currency; details carry a
    /// 10-digit reference; a continuation may follow a detail.
    static let layout = """
    name: recon
    record_length: 30
    terminator: lf
    record_type: {start: 1, length: 1}
    currency: {field: currency}
    merchant: [shop]
    records:
      - kind: file_header
        code: "H"
        fields:
          - {name: label, start: 2, length: 4, type: text}
      - kind: group_header
        code: "B"
        fields:
          - {name: shop, start: 2, length: 6, type: text}
          - {name: currency, start: 8, length: 3, type: text}
      - kind: detail
        code: "D"
        fields:
          - {name: direction, start: 2, length: 1, type: code, role: direction, debit: ["D"], credit: ["C"]}
          - {name: amount, start: 3, length: 8, type: amount, role: amount, scale: 2}
          - {name: ref, start: 11, length: 10, type: digits, role: reference}
      - kind: continuation
        code: "C"
        fields:
          - {name: note, start: 2, length: 10, type: text, optional: true}
      - kind: group_trailer
        code: "T"
        fields:
          - {name: count, start: 2, length: 6, type: digits}
        controls:
          - {name: count, field: count, count: [detail]}
      - kind: file_trailer
        code: "Z"
        fields:
          - {name: groups, start: 2, length: 4, type: digits}
        controls:
          - {name: groups, field: groups, count: [group_header]}
    """

    static func line(_ text: String) -> String { text + String(repeating: " ", count: 30 - text.utf8.count) + "\n" }

    /// Record numbers are line numbers.
    static let settlement = [
        "HTEST",                          // 1
        "BSHOP01EUR",                     // 2
        "DD000010000000000001",           // 3  ref 1: debit 10.00
        "Cnote",                          // 4  a continuation
        "DC000005000000000002",           // 5  ref 2: credit 5.00
        "DD0000X0000000000003",           // 6  ref 3: a letter in the amount, rejected; its reference is readable
        "T000003",                        // 7
        "BSHOP02USD",                     // 8
        "DD000007000000000004",           // 9  ref 4: debit 7.00
        "DD000002000000000005",           // 10 ref 5: debit 2.00
        "T000002",                        // 11
        "Z0002",                          // 12
    ].map(line).joined()

    static let ledger = """
    arn,merchant_id,currency,amount,direction
    0000000001,SHOP01,EUR,1000,D
    0000000002,SHOP01,EUR,500,C
    0000000003,SHOP01,EUR,900,D
    4,SHOP02,USD,750,D
    0000000006,SHOP03,USD,10,C

    """

    struct Outcome {
        var run: AggregateRun
        var mismatches: [[String]], reconciliation: [[String]], rejects: [[String]]
        var summary: JSONValue
    }

    func reconcile(_ extra: [String]) async throws -> Outcome {
        let directory = try TemporaryDirectory(prefix: "structured-recon")
        defer { directory.remove() }
        try writeBytes(Array(Self.settlement.utf8), to: directory.file("recon.dat"))
        try writeBytes(Array(Self.ledger.utf8), to: directory.file("ledger.csv"))
        try writeBytes(Array(Self.layout.utf8), to: directory.file("recon.yaml"))
        let run = try await AggregateRun.run(["recon.dat", "--layout", "recon.yaml", "--ledger", "ledger.csv", "--quiet"] + extra,
                                             out: "out", in: directory.path)
        let mismatches = (try? CSVTable(contentsOfFile: run.outDirectory + "/mismatches.csv").rows) ?? []
        let reconciliation = (try? CSVTable(contentsOfFile: run.outDirectory + "/reconciliation.csv").rows) ?? []
        return Outcome(run: run, mismatches: mismatches, reconciliation: reconciliation,
                       rejects: try run.rejects().columns(["record_number", "reason", "field"]), summary: try run.summary())
    }

    @Test("a hand-made structured file against a hand-made ledger: exact mismatches and reconciliation rows",
          arguments: [["--partition-size", "10G"], ["--partition-size", "31", "--workers", "2"], ["--partition-size", "64"]])
    func handMade(_ extra: [String]) async throws {
        let outcome = try await reconcile(extra)
        #expect(outcome.run.outcome.exitStatus == 1, "\(outcome.run.outcome)")
        #expect(outcome.mismatches == [
            ["amount_mismatch", "0000000004", "SHOP02", "USD", "debit", "700", "SHOP02", "USD", "debit", "750", "-50", "recon.dat", "9", "ledger.csv", "5"],
            ["missing_in_ledger", "0000000005", "SHOP02", "USD", "debit", "200", "", "", "", "", "200", "recon.dat", "10", "", ""],
            ["missing_in_settlement", "0000000006", "", "", "", "", "SHOP03", "USD", "credit", "10", "10", "", "", "ledger.csv", "6"],
            ["settlement_rejected", "0000000003", "", "", "", "", "SHOP01", "EUR", "debit", "900", "-900", "recon.dat", "6", "ledger.csv", "4"],
        ])
        #expect(outcome.reconciliation == [
            ["SHOP01", "EUR", "2", "500", "3", "1400", "2", "500", "1", "-900"],
            ["SHOP02", "USD", "2", "900", "1", "750", "0", "0", "2", "150"],
            ["SHOP03", "USD", "0", "0", "1", "-10", "0", "0", "1", "10"],
        ])
        #expect(outcome.rejects == [["6", "bad_amount", "amount"]])
        #expect(outcome.summary["result"]?["reconciliation"]?["matched"]?["count"]?.int == 2)
        #expect(outcome.summary["result"]?["files"]?[0]?["checks_failed"]?.int == 0)
        // The options took effect: one partition per file, or the settlement file in several.
        let partitions = outcome.summary["run"]?["partitions"]?.array?.count ?? 0
        #expect(extra[1] == "10G" ? partitions == 2 : partitions > 4, "\(partitions) partitions")
    }

    @Test("a structured layout without a reference role is refused before any work")
    func noReference() async throws {
        let directory = try TemporaryDirectory(prefix: "structured-recon-noref")
        defer { directory.remove() }
        try writeBytes(Array(Self.settlement.utf8), to: directory.file("recon.dat"))
        try writeBytes(Array(Self.ledger.utf8), to: directory.file("ledger.csv"))
        try writeBytes(Array(Self.layout.replacingOccurrences(of: ", role: reference", with: "").utf8), to: directory.file("recon.yaml"))
        let run = try await AggregateRun.run(["recon.dat", "--layout", "recon.yaml", "--ledger", "ledger.csv", "--quiet"],
                                             out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 2)
        #expect(run.outcome.stderr.contains("has no field with role reference"), "\(run.outcome)")
    }
}

/// A generated NACHA file reconciled against a ledger built here from its entries: the trace number
/// (80-94) is the reference, the merchant the batch's company identification and name. The ledger
/// leaves out the IAT and ADV batches and every 41st entry, changes every 53rd entry's amount,
/// repeats every 67th and adds three unknown traces: those are exactly the mismatches expected,
/// whatever the partition size, and after a run that failed mid-map and was resumed.
@Suite("NACHA reconciled against a ledger")
struct NachaReconciliationTests {
    struct Ledger {
        var csv = "arn,merchant_id,currency,amount,direction\n"
        var kinds: [String: Int] = [:]
        var matched = 0
    }

    static let debitCodes: Set<String> = ["26", "27", "28", "29", "36", "37", "38", "39", "46", "47", "48", "49", "55", "56"]

    static func ledger(for file: [UInt8]) -> Ledger {
        var ledger = Ledger()
        var merchant = "", skipBatch = false, entry = 0
        for raw in file.split(separator: UInt8(ascii: "\n")) {
            let line = String(decoding: raw, as: UTF8.self)
            func field(_ start: Int, _ length: Int) -> String {
                let from = line.utf8.index(line.startIndex, offsetBy: start - 1)
                return String(line[from..<line.utf8.index(from, offsetBy: length)]).trimmingCharacters(in: .whitespaces)
            }
            switch line.first {
            case "5":
                let sec = field(51, 3)
                skipBatch = sec == "IAT" || sec == "ADV"
                let name = field(5, 16)
                merchant = field(41, 10) + (name.isEmpty ? "" : "|" + name)
            case "6":
                if skipBatch {
                    ledger.kinds["missing_in_ledger", default: 0] += 1
                    continue
                }
                entry += 1
                let trace = field(80, 15)
                let amount = Int(field(30, 10))!
                let direction = Self.debitCodes.contains(field(2, 2)) ? "D" : "C"
                if entry % 41 == 0 {
                    ledger.kinds["missing_in_ledger", default: 0] += 1
                    continue
                }
                let changed = entry % 53 == 0
                let quoted = "\"" + merchant.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                ledger.csv += "\(trace),\(quoted),USD,\(changed ? amount + 1 : amount),\(direction)\n"
                if changed { ledger.kinds["amount_mismatch", default: 0] += 1 } else { ledger.matched += 1 }
                if entry % 67 == 0 {
                    ledger.csv += "\(trace),\(quoted),USD,\(amount),\(direction)\n"
                    ledger.kinds["duplicate_in_ledger", default: 0] += 1
                }
            default:
                continue
            }
        }
        for extra in 1...3 {
            ledger.csv += "99999999\(String(format: "%07d", extra)),NOBODY,USD,100,D\n"
            ledger.kinds["missing_in_settlement", default: 0] += 1
        }
        return ledger
    }

    struct Outputs: Equatable {
        var totals: [UInt8], rejects: [UInt8], mismatches: [UInt8], reconciliation: [UInt8]

        /// `inputs`: the directory prefix of the input paths as given, left out of the file columns.
        init(_ out: String, inputs: String = "") throws {
            func read(_ name: String) throws -> [UInt8] {
                let text = String(decoding: try readBytes(out + "/" + name), as: UTF8.self)
                return Array((inputs.isEmpty ? text : text.replacingOccurrences(of: inputs, with: "")).utf8)
            }
            totals = try read("totals.csv")
            rejects = try read("rejects.csv")
            mismatches = try read("mismatches.csv")
            reconciliation = try read("reconciliation.csv")
        }
    }

    @Test("exact mismatch counts, and the same outputs at every partition size and after a resume")
    func invariance() async throws {
        let dataset = try await NachaDataset.generate(entries: 2_000, seed: 2)
        defer { dataset.directory.remove() }
        let ledger = Self.ledger(for: try readBytes(dataset.directory.file(NachaDataset.fileName)))
        try writeBytes(Array(ledger.csv.utf8), to: dataset.directory.file("nacha-ledger.csv"))
        let arguments = [NachaDataset.fileName, "--layout", "nacha", "--ledger", "nacha-ledger.csv", "--quiet"]

        let whole = try await AggregateRun.run(arguments + ["--partition-size", "10G"], out: "whole", in: dataset.directory.path)
        #expect(whole.outcome.exitStatus == 1, "\(whole.outcome)")
        expectSameBytes(try whole.totals(), dataset.expectedTotals, "totals.csv")
        let summary = try whole.summary()
        let reconciliation = try #require(summary["result"]?["reconciliation"])
        let kinds = try #require(reconciliation["mismatches_by_kind"]?.members)
        for (kind, count) in kinds {
            #expect(count.int == ledger.kinds[kind] ?? 0, "\(kind)")
        }
        #expect(reconciliation["matched"]?["count"]?.int == ledger.matched)
        #expect(ledger.kinds["missing_in_ledger", default: 0] > 40 && ledger.matched > 1_000)
        let reference = try Outputs(whole.outDirectory)

        for size in ["95", "4099", "64K"] {
            let run = try await AggregateRun.run(arguments + ["--partition-size", size, "--workers", "2"], out: "p\(size)",
                                                 in: dataset.directory.path)
            #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
            #expect(try Outputs(run.outDirectory) == reference, "partition size \(size)")
        }

        // A persistent read fault fails the run mid-map; the same command without it resumes.
        let directory = dataset.directory.path
        let resumable = ["aggregate", directory + "/" + NachaDataset.fileName, "--layout", "nacha", "--ledger", directory + "/nacha-ledger.csv",
                         "--quiet", "--partition-size", "4099", "--max-attempts", "2", "--out", directory + "/resumed",
                         "--checkpoint", "1B"]  // a checkpoint per partition: partition 4 has spill runs of its own
        let failed = try await ResumeTests.settle(resumable, environment: ["SETTLE_FAULT_INJECTION": "read:p000004/:1:*"])
        #expect(failed.exitStatus == 2, "\(failed)")
        #expect(FileManager.default.fileExists(atPath: directory + "/resumed/.settle-work/manifest.json"), "the job stays resumable")
        let resumed = try await ResumeTests.settle(resumable)
        #expect(resumed.exitStatus == 1, "\(resumed)")
        #expect(try Outputs(directory + "/resumed", inputs: directory + "/") == reference, "resumed")
    }
}
