import Foundation
import Testing

/// `settle layout check` says ok or exactly what is wrong and where; `settle inspect` shows every
/// field of a record and marks the invalid one.
@Suite("layout check and inspect")
struct LayoutAndInspectTests {
    @Test("layout check accepts the built-in layouts and their files",
          arguments: ["reference", "wide", "datasets/layouts/reference.yaml", "datasets/layouts/wide.yaml"])
    func validLayouts(_ layout: String) async throws {
        let outcome = try await Subprocess.settle(["layout", "check", layout], in: SettleBinary.packageRoot)
        #expect(outcome.exitStatus == 0, "\(outcome)")
        let name = layout.contains("wide") ? "wide" : "reference"
        let length = name == "wide" ? 200 : 160
        #expect(outcome.stdout.contains("\(layout): ok"), "\(outcome)")
        #expect(outcome.stdout.contains("'\(name)'") && outcome.stdout.contains("record length \(length)"), "\(outcome)")
    }

    /// Each broken layout, and what the message must name: the file, the line, the field, the problem.
    struct BrokenLayout: Sendable, CustomTestStringConvertible {
        var name: String
        var text: @Sendable () throws -> String
        var mustMention: [String]
        var testDescription: String { name }
    }

    static let brokenLayouts = [
        BrokenLayout(name: "overlapping fields", text: LayoutFiles.overlapping,
                     mustMention: ["line 19", "terminal_id", "38-45", "overlap", "merchant_id", "25-39"]),
        BrokenLayout(name: "field past the record end", text: LayoutFiles.pastRecordEnd,
                     mustMention: ["txn_type", "159-163", "record_length 160"]),
        BrokenLayout(name: "unknown field type", text: LayoutFiles.unknownType, mustMention: ["amount", "money"]),
        BrokenLayout(name: "not YAML", text: { "name: broken\nrecords: [\n" }, mustMention: ["YAML"]),
    ]

    @Test("layout check rejects a broken layout with a precise message", arguments: brokenLayouts)
    func invalidLayout(_ broken: BrokenLayout) async throws {
        let work = try TemporaryDirectory(prefix: "layout")
        defer { work.remove() }
        let path = work.file("broken-layout.yaml")
        try writeBytes(Array(try broken.text().utf8), to: path)
        let outcome = try await Subprocess.settle(["layout", "check", path])
        #expect(outcome.exitStatus == 2, "\(outcome)")
        #expect(outcome.stderr.contains(path), "the message names the file: \(outcome)")
        for needle in broken.mustMention {
            #expect(outcome.stderr.contains(needle), "the message should mention \(needle): \(outcome)")
        }
        #expect(!outcome.stdout.contains("ok"), "\(outcome)")
    }

    @Test("layout check: a missing layout file is named")
    func missingLayoutFile() async throws {
        let outcome = try await Subprocess.settle(["layout", "check", "/nonexistent/layout.yaml"])
        #expect(outcome.exitStatus == 2, "\(outcome)")
        #expect(outcome.stderr.contains("/nonexistent/layout.yaml"), "\(outcome)")
    }

    static let faulty = DatasetSpec(layout: "reference", records: 2_000, merchants: 100, seed: 701, faults: 0.03)

    @Test("inspect marks the amount of a record the generator corrupted")
    func inspectMarksBadAmount() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.faulty)
        let badAmount = try #require(dataset.expectedRejects.rows.first { $0[2] == "bad_amount" }, "no bad_amount in the ground truth")
        let recordNumber = badAmount[0]
        let byteOffset = try #require(Int(badAmount[1]))
        let file = try readBytes(dataset.settlementPath)
        let amount = String(decoding: file[(byteOffset + 66)..<(byteOffset + 78)], as: UTF8.self)  // amount: start 67, length 12
        #expect(amount.contains { $0.isLetter }, "the generator puts a letter into the amount")

        let outcome = try await Subprocess.settle(["inspect", "settlement.dat", "--layout", "reference", "--from", recordNumber, "--limit", "1"],
                                                  in: dataset.directory)
        #expect(outcome.exitStatus == 1, "\(outcome)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        try #require(!lines.isEmpty, "\(outcome)")
        #expect(lines[0].hasPrefix("record \(recordNumber) (byte \(byteOffset)) detail INVALID bad_amount"), "\(outcome)")
        let marked = lines.filter { $0.contains("<-") }
        #expect(marked.count == 1, "exactly one field marked: \(outcome)")
        #expect(marked.first?.trimmingCharacters(in: .whitespaces) == "amount = \"\(amount)\"   <- bad_amount", "\(outcome)")
        #expect(lines.count == 13, "the record line and the 12 detail fields: \(outcome)")
    }

    @Test("inspect shows a valid record's fields as they are in the file")
    func inspectValidRecord() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.faulty)
        let file = try readBytes(dataset.settlementPath)
        let lineLength = 161
        let rejected = Set(dataset.expectedRejects.rows.map { $0[0] })
        let recordNumber = try #require((2...50).first { !rejected.contains(String($0)) })
        let byteOffset = (recordNumber - 1) * lineLength
        func field(_ start: Int, _ length: Int) -> String {
            String(decoding: file[(byteOffset + start - 1)..<(byteOffset + start - 1 + length)], as: UTF8.self)
        }
        let outcome = try await Subprocess.settle(["inspect", "settlement.dat", "--layout", "reference", "--from", String(recordNumber),
                                                   "--limit", "1"], in: dataset.directory)
        #expect(outcome.exitStatus == 0, "\(outcome)")
        let lines = outcome.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "record \(recordNumber) (byte \(byteOffset)) detail", "\(outcome)")
        #expect(lines.contains("merchant_id = \"\(field(25, 15).trimmingCharacters(in: .whitespaces))\""), "\(outcome)")
        #expect(lines.contains("amount = \"\(field(67, 12))\""), "\(outcome)")
        #expect(lines.contains("currency = \"\(field(64, 3))\""), "\(outcome)")
        #expect(!outcome.stdout.contains("<-"), "\(outcome)")
    }
}
