import Foundation
import Testing

/// `settle inspect` reads a structured file line by line exactly as the map stage does (one reader,
/// `StructuredLine`): on a damaged file, every record number, byte offset and field-level reason
/// it shows is the one `rejects.csv` and `summary.json` give.
@Suite("settle inspect agrees with the map stage")
struct InspectAgreementTests {
    static func line(_ text: String) -> String { text + String(repeating: " ", count: max(0, 30 - text.count)) }

    /// Record numbers as the map stage counts them.
    static let file = [
        line("HTEST"),                                                   // 1
        line("BSHOP01EUR"),                                              // 2
        line("DD000010000000000001"),                                    // 3
        line("DD000020000000000002") + line("DD000030000000000003"),     // 4, 5: two records on one line
        "DD000040000000000004",                                          // 6  trailing blanks trimmed
        "",                                                              // 7  a blank line
        line("DD00006000000000000é"),                                    // 8  multi-byte: bad_digits in ref
        "XJUNK",                                                         // 9  short_record
        line("DD0000X0000000000007"),                                    // 10 bad_amount
        line("T000006"),                                                 // 11
        line("Z0001"),                                                   // 12
    ].map { $0 + "\n" }.joined()

    @Test("record numbers, byte offsets and reasons of inspect are those of rejects.csv")
    func agreement() async throws {
        let directory = try TemporaryDirectory(prefix: "inspect-agree")
        defer { directory.remove() }
        try writeBytes(Array(Self.file.utf8), to: directory.file("damaged.dat"))
        try writeBytes(Array(StructuredReconciliationTests.layout.utf8), to: directory.file("recon.yaml"))
        let run = try await AggregateRun.run(["damaged.dat", "--layout", "recon.yaml", "--quiet", "--partition-size", "64"], out: "out",
                                             in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rejects = try run.rejects().columns(["record_number", "byte_offset", "reason"])
        #expect(rejects.map { [$0[0], $0[2]] } == [["8", "bad_digits"], ["9", "short_record"], ["10", "bad_amount"]])
        let summary = try run.summary()
        #expect(summary["result"]?["records_read"]?.int == 12)

        let inspect = try await Subprocess.settle(["inspect", "damaged.dat", "--layout", "recon.yaml", "--limit", "100"], in: directory.path)
        #expect(inspect.exitStatus == 1, "\(inspect)")
        // "record N (byte B) KIND ... INVALID reason: ..."
        var shown: [String: (byte: String, reason: String?)] = [:]
        for text in inspect.stdout.split(separator: "\n") where text.trimmingCharacters(in: .whitespaces).hasPrefix("record ") {
            let words = text.trimmingCharacters(in: .whitespaces).split(separator: " ")
            let reason = text.range(of: " INVALID ").map { String(text[$0.upperBound...].prefix { $0 != ":" }) }
            shown[String(words[1])] = (String(words[3].dropLast()), reason)
        }
        #expect(shown.count == 12, "\(inspect.stdout)")
        for reject in rejects {
            #expect(shown[reject[0]]?.byte == reject[1], "record \(reject[0]): \(inspect.stdout)")
            #expect(shown[reject[0]]?.reason == reject[2], "record \(reject[0])")
        }
        #expect(shown.filter { $0.value.reason != nil }.count == rejects.count, "\(inspect.stdout)")
        #expect(inspect.stdout.contains("record 5 (byte 123) detail"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("record 6 (byte 154) detail detail [read with warning: trimmed]"), "\(inspect.stdout)")
    }
}
