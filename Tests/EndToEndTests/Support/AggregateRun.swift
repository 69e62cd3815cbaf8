import Foundation
import Testing

/// One `settle aggregate` run and the files it published.
struct AggregateRun: Sendable {
    let outcome: ProcessOutcome
    let outDirectory: String

    var totalsPath: String { outDirectory + "/totals.csv" }
    var rejectsPath: String { outDirectory + "/rejects.csv" }
    var summaryPath: String { outDirectory + "/summary.json" }

    /// Runs `settle aggregate ARGUMENTS --out OUT` in `directory` (input paths relative to it).
    static func run(_ arguments: [String], out: String, in directory: String? = nil) async throws -> AggregateRun {
        let outcome = try await Subprocess.settle(["aggregate"] + arguments + ["--out", out], in: directory)
        let outDirectory = out.hasPrefix("/") || directory == nil ? out : directory! + "/" + out
        return AggregateRun(outcome: outcome, outDirectory: outDirectory)
    }

    func totals() throws -> [UInt8] { try readBytes(totalsPath) }
    func rejectsBytes() throws -> [UInt8] { try readBytes(rejectsPath) }
    func rejects() throws -> CSVTable { try CSVTable(contentsOfFile: rejectsPath) }
    func summary() throws -> JSONValue { try JSONValue(contentsOfFile: summaryPath) }

    /// The columns the generator's expected/rejects.csv has, for each reject row.
    func rejectPositions() throws -> [[String]] {
        try rejects().columns(["record_number", "byte_offset", "reason", "field"])
    }
}

/// The header of rejects.csv, as documented.
let rejectsHeader = ["file", "record_number", "byte_offset", "reason", "field", "detail", "raw"]
let totalsHeaderLine = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount"

/// Where two byte strings first differ, by line, for a readable failure; nil when they are equal.
func firstDifference(_ actual: [UInt8], _ expected: [UInt8], name: String) -> String? {
    if actual == expected { return nil }
    let actualLines = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(actualLines.count, expectedLines.count) {
        let got = index < actualLines.count ? String(actualLines[index]) : "<end of file>"
        let want = index < expectedLines.count ? String(expectedLines[index]) : "<end of file>"
        if got != want {
            return "\(name) differs at line \(index + 1) (\(actual.count) bytes, expected \(expected.count)):\n  got      \(got)\n  expected \(want)"
        }
    }
    return "\(name) differs in line endings (\(actual.count) bytes, expected \(expected.count))"
}

/// Records an issue that shows the first differing line when two files' bytes differ.
func expectSameBytes(_ actual: [UInt8], _ expected: [UInt8], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if let difference = firstDifference(actual, expected, name: name) {
        Issue.record(Comment(rawValue: difference), sourceLocation: sourceLocation)
    }
}

/// Records an issue that shows the first differing row when two tables' rows differ.
func expectSameRows(_ actual: [[String]], _ expected: [[String]], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if actual == expected { return }
    let index = (0..<min(actual.count, expected.count)).first { actual[$0] != expected[$0] } ?? min(actual.count, expected.count)
    let got = index < actual.count ? actual[index].joined(separator: ",") : "<no row>"
    let want = index < expected.count ? expected[index].joined(separator: ",") : "<no row>"
    Issue.record(Comment(rawValue: "\(name): \(actual.count) rows, expected \(expected.count); first difference at row \(index + 1):\n  got      \(got)\n  expected \(want)"),
                 sourceLocation: sourceLocation)
}
