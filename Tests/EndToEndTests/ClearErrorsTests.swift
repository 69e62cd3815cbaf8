import Foundation
import Testing

/// Issue 15, items 7 to 11, through the real binary: paths that are not UTF-8, size options,
/// CRLF read as lf, a trailing blank line, /dev/zero as a layout or spec, ledger headers.
@Suite("Clear errors, end to end")
struct ClearErrorsTests {
    static let clean = DatasetSpec(layout: "reference", records: 400, merchants: 20, seed: 1501, faults: 0)

    /// Runs a shell script in `directory` with `$SETTLE` set to the binary (for arguments that are
    /// not UTF-8, which `Process` cannot pass).
    static func shell(_ script: String, in directory: String) async throws -> ProcessOutcome {
        try await Subprocess.run("/bin/sh", ["-c", "SETTLE='\(try SettleBinary.path())'; " + script], in: directory)
    }

    /// The dataset's ledger.csv, line by line (the last one empty).
    static func ledgerLines(_ dataset: GeneratedDataset) throws -> [String] {
        String(decoding: try readBytes(dataset.directory + "/ledger.csv"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("inputs, ledger and out whose paths are not UTF-8 are read and written, and shown escaped")
    func pathsThatAreNotUTF8() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "nonutf8")
        defer { work.remove() }
        let outcome = try await Self.shell("""
            d=$(printf 'd\\377'); o=$(printf 'o\\374'); mkdir "$d" && \
            cp '\(dataset.directory)/settlement.dat' "$d/$(printf 's\\376').dat" && \
            cp '\(dataset.directory)/ledger.csv' "$d/$(printf 'l\\375').csv" && \
            "$SETTLE" aggregate "$d/$(printf 's\\376').dat" --layout reference --ledger "$d/$(printf 'l\\375').csv" --out "$o"; \
            status=$?; cp "$o/totals.csv" totals.csv; cp "$o/mismatches.csv" mismatches.csv; exit $status
            """, in: work.path)
        #expect(outcome.exitStatus == 0, "\(outcome)")
        #expect(outcome.stderr.contains("settle: wrote o\\xFC/totals.csv"), "\(outcome)")
        expectSameBytes(try readBytes(work.file("totals.csv")), dataset.expectedTotals, "totals.csv")
        expectSameBytes(try readBytes(work.file("mismatches.csv")), try readBytes(dataset.directory + "/expected/mismatches.csv"), "mismatches.csv")
        let missing = try await Self.shell("\"$SETTLE\" aggregate \"$(printf 'x\\377.dat')\" --layout reference --out o2", in: work.path)
        #expect(missing.exitStatus == 2)
        #expect(missing.stderr.contains("cannot read input file x\\xFF.dat: no such file (ENOENT): check the path"), "\(missing)")
    }

    @Test("a negative or unreadable size says what is wrong", arguments: [
        (["--memory", "-5"], "Error: --memory must be a positive size, not '-5' (for example 512M or 2GiB)"),
        (["--partition-size", "-1M"], "Error: --partition-size must be a positive size, not '-1M' (for example 64M)"),
        (["--memory", "12 parsecs"], "Error: --memory: cannot read size '12 parsecs': give a number with an optional unit K, M, G or T"),
    ])
    func sizes(_ option: [String], _ message: String) async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let out = try TemporaryDirectory(prefix: "sizes")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference"] + option, out: out.path + "/o", in: dataset.directory)
        #expect(run.outcome.exitStatus == 2)
        #expect(run.outcome.stderr.contains(message), "\(run.outcome)")
    }

    @Test("CRLF lines read with terminator lf: one hint, not only thousands of rejects")
    func crlfReadAsLF() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "crlf")
        defer { work.remove() }
        let lines = try readBytes(dataset.settlementPath).split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        try writeBytes(lines.flatMap { Array($0) + [0x0D, 0x0A] }, to: work.file("crlf.dat"))
        let run = try await AggregateRun.run(["crlf.dat", "--layout", "reference"], out: "o", in: work.path)
        #expect(run.outcome.exitStatus == 1)
        let hint = "crlf.dat: its lines end in CRLF but layout 'reference' says terminator: lf, so every record reads one byte too long (overlong_record): set terminator: auto (or crlf) in the layout"
        #expect(run.outcome.stderr.components(separatedBy: hint).count == 2, "said exactly once: \(run.outcome)")
    }

    @Test("one blank line ending a flat file is a warning, not a short_record")
    func trailingBlankLine() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "blank")
        defer { work.remove() }
        try writeBytes(try readBytes(dataset.settlementPath) + [0x0A], to: work.file("blank.dat"))
        let run = try await AggregateRun.run(["blank.dat", "--layout", "reference"], out: "o", in: work.path)
        #expect(run.outcome.exitStatus == 0, "\(run.outcome)")
        #expect(run.outcome.stderr.contains("settle: warning: blank.dat: the file ends with a blank line (byte offset \(try readBytes(dataset.settlementPath).count)): read as the end of the file, not as a record"), "\(run.outcome)")
        expectSameBytes(try run.totals(), dataset.expectedTotals, "totals.csv")
        #expect(try run.rejects().rows.isEmpty)
        try writeBytes(try readBytes(dataset.settlementPath) + [0x0A, 0x0A], to: work.file("two.dat"))
        let two = try await AggregateRun.run(["two.dat", "--layout", "reference"], out: "o2", in: work.path)
        #expect(try two.rejects().column("reason") == ["short_record", "short_record"], "two blank lines stay rejects")
    }

    @Test("/dev/zero as a layout or a ledger spec: exit 2 with a sentence, no 4 GB allocation")
    func devZero() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let check = try await Subprocess.settle(["layout", "check", "/dev/zero"])
        #expect(check.exitStatus == 2)
        #expect(check.stderr.contains("cannot read layout file /dev/zero: it is not a regular file and holds more than the 16.0 MiB a layout or spec file may hold"), "\(check)")
        let out = try TemporaryDirectory(prefix: "zero")
        defer { out.remove() }
        let run = try await AggregateRun.run(["settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--ledger-spec", "/dev/zero"],
                                             out: out.path + "/o", in: dataset.directory)
        #expect(run.outcome.exitStatus == 2)
        #expect(run.outcome.stderr.contains("cannot read ledger spec /dev/zero: it is not a regular file and holds more"), "\(run.outcome)")
    }

    @Test("ledger headers: two columns of one name, and CR-only line ends, refused quickly and briefly")
    func ledgerHeaders() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "ledgerheader")
        defer { work.remove() }
        let ledger = try readBytes(dataset.directory + "/ledger.csv")
        let text = String(decoding: ledger, as: UTF8.self)
        try writeBytes(Array(text.replacingOccurrences(of: "arn,merchant_id,", with: "arn,ARN,merchant_id,", options: .anchored)
            .replacingOccurrences(of: "\n7", with: "\n7,7").utf8), to: work.file("dup.csv"))
        let dup = try await AggregateRun.run([dataset.settlementPath, "--layout", "reference", "--ledger", "dup.csv"], out: "o", in: work.path)
        #expect(dup.outcome.exitStatus == 2)
        #expect(dup.outcome.stderr.contains("ledger dup.csv: the header has two columns named 'arn': 'arn' (column 1) and 'ARN' (column 2)"), "\(dup.outcome)")
        try writeBytes(ledger.map { $0 == 0x0A ? 0x0D : $0 }, to: work.file("cr.csv"))
        let cr = try await AggregateRun.run([dataset.settlementPath, "--layout", "reference", "--ledger", "cr.csv"], out: "o", in: work.path)
        #expect(cr.outcome.exitStatus == 2)
        #expect(cr.outcome.stderr.contains("ledger cr.csv: its lines end in a carriage return alone"), "\(cr.outcome)")
        #expect(cr.outcome.stderr.utf8.count < 1000, "no ledger values in bulk: \(cr.outcome.stderr.utf8.count) bytes")
    }

    @Test("a ledger reject quotes the column's real value (the release binary lost it)")
    func ledgerRejectValues() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "ledgervalue")
        defer { work.remove() }
        var lines = try Self.ledgerLines(dataset)
        func set(_ line: Int, column: Int, _ value: String) {
            var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[column] = value
            lines[line - 1] = fields.joined(separator: ",")
        }
        set(3, column: 3, "12x")
        set(4, column: 2, "US")
        set(5, column: 4, "Q")
        try writeBytes(Array(lines.joined(separator: "\n").utf8), to: work.file("l.csv"))
        let run = try await AggregateRun.run([dataset.settlementPath, "--layout", "reference", "--ledger", "l.csv"], out: "o", in: work.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        let rows = try run.rejects().rows.filter { $0[0] == "l.csv" }.map { [$0[1], $0[3], $0[4], $0[5]] }
        #expect(rows == [
            ["3", "bad_amount", "amount", "column amount holds '12x', expected an amount in minor units such as 1234"],
            ["4", "bad_code", "currency", "column currency holds 'US', expected a 3-character currency code"],
            ["5", "bad_code", "direction", "column direction holds 'Q', expected one of D, DEBIT, DR, SALE, C, CREDIT, CR, REFUND"],
        ])
    }

    @Test("one stray quote in a ledger: one bad_row, the rest read, the same at any partition size")
    func strayQuote() async throws {
        let dataset = try await SharedDatasets.shared.dataset(Self.clean)
        let work = try TemporaryDirectory(prefix: "strayquote")
        defer { work.remove() }
        var lines = try Self.ledgerLines(dataset)
        lines[2] = lines[2].replacingOccurrences(of: ",D", with: ",\"D").replacingOccurrences(of: ",C", with: ",\"C")
        let offset = lines[0..<2].map { $0.utf8.count + 1 }.reduce(0, +) + lines[2].utf8.count - 2
        try writeBytes(Array(lines.joined(separator: "\n").utf8), to: work.file("l.csv"))
        var outputs: [[UInt8]] = []
        for size in ["1K", "64M"] {
            let run = try await AggregateRun.run([dataset.settlementPath, "--layout", "reference", "--ledger", "l.csv", "--partition-size", size],
                                                 out: "o\(size)", in: work.path)
            #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
            let rejects = try run.rejects().rows.filter { $0[0] == "l.csv" }
            #expect(rejects.map { [$0[1], $0[3]] } == [["3", "bad_row"]], "\(rejects)")
            #expect(rejects.first?[5] == "a quote opened at line 3 (byte offset \(offset)) is not closed on that line or within the next 100 lines: the row ends with that line and the next line is read as a new row; close the quote or double it (\"\") in the file")
            let summary = try run.summary()
            #expect(summary["result"]?["reconciliation"]?["ledger"]?["count"]?.int == lines.filter { !$0.isEmpty }.count - 2, "every other row read")
            outputs.append(try readBytes(run.outDirectory + "/mismatches.csv") + (try run.totals()))
        }
        #expect(outputs[0] == outputs[1], "partition size changes nothing")
    }
}
