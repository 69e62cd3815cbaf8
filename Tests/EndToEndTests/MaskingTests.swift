import Foundation
import Testing

/// The card number of a `wide` record in rejects.csv and report.html, through the real binary: an
/// aligned record shows its first 6 and last 4 digits, a misaligned one (8 stray bytes in front, cut
/// inside the card number) none of them.
@Suite("Masking in published outputs")
struct MaskingTests {
    static let pan = "4539876512340987"

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    /// A `wide` detail (200 bytes): pan at 50-65, txn_date at 89-96, type "10" at 199-200.
    static func detail(date: String = "20240107") -> String {
        padded("USD" + "DR" + "000000000012345" + "000000010" + padded("MERCHANT42", 20) + pan
               + "12345678901234567890123" + date + "E", 198) + "10"
    }

    @Test("rejects.csv and report.html: 6 + 4 for an aligned card number, nothing of a misaligned one")
    func publishedOutputsMask() async throws {
        let pan = Self.pan, padded = Self.padded
        func detail(date: String = "20240107") -> String { Self.detail(date: date) }
        let scratch = try TemporaryDirectory(prefix: "masking")
        defer { scratch.remove() }
        let header = padded("20240108" + padded("FILE01", 12) + padded("NET", 12), 198) + "00"
        let trailer = padded("000000000004" + String(repeating: "0", count: 18) + String(repeating: "0", count: 18)
                             + String(repeating: "0", count: 18), 198) + "99"
        let lines = [header, detail(date: "2024XX07"), "JUNK1234" + detail(), String(detail().prefix(60)), detail(), trailer]
        try Data(lines.map { $0 + "\r\n" }.joined().utf8).write(to: URL(fileURLWithPath: scratch.path + "/wide.dat"))
        let run = try await Subprocess.settle(["aggregate", scratch.path + "/wide.dat", "--layout", "wide", "--out", scratch.path + "/out", "--quiet"])
        #expect(run.exitStatus == 1, "\(run)")
        let rejects = try String(contentsOfFile: scratch.path + "/out/rejects.csv", encoding: .utf8)
        let rows = rejects.split(separator: "\n").dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false).last!) }
        #expect(rows.count == 3, "\(rejects)")
        #expect(rows.first == detail(date: "2024XX07").replacingOccurrences(of: pan, with: "453987******0987"))
        #expect(rows.dropFirst().first == "JUNK1234" + detail().replacingOccurrences(of: pan, with: String(repeating: "*", count: 16)))
        #expect(rows.last == "USDDR" + String(repeating: "*", count: 24) + padded("MERCHANT42", 20) + String(repeating: "*", count: 11))
        let html = try String(contentsOfFile: scratch.path + "/out/report.html", encoding: .utf8)
        for output in [rejects, html] {
            // No 5 consecutive digits of the card number, except its first 6 (the aligned record's).
            for start in 2...(pan.count - 5) {
                let piece = String(Array(pan)[start..<(start + 5)])
                #expect(!output.contains(piece), "\(piece) shown")
            }
        }
    }
}
