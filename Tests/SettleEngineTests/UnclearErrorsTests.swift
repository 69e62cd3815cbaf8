import Foundation
import SystemPackage
import Testing
@testable import SettleEngine

/// Issue 15, items 7 to 11: every error says what, where, and what to do; nothing is unbounded.
@Suite("Clear errors: ledger rows and headers, YAML, small files, paths, the planner's walk back")
struct UnclearErrorsTests {
    // MARK: - 7: ledger rejects

    /// A ledger of the default columns with `rows` after the header, resolved as the engine does.
    static func ledger(header: [String] = ["arn", "merchant_id", "currency", "amount", "direction"]) throws -> LedgerFile {
        LedgerFile(spec: LedgerSpec(), header: header, columns: try LedgerSpec().resolve(header: header, file: "l.csv"),
                   dataStart: 0, headerLines: 1, referenceWidth: 23)
    }

    /// The detail column of one ledger reject row for `raw` (a row as the map stage stores it).
    static func detail(_ raw: String, reason: RejectReason, role: LedgerSpec.Role?, line: Int = 3, byteOffset: Int = 89) throws -> String {
        var out: [UInt8] = []
        let entry = RejectEntry(localRecordIndex: 0, byteOffset: byteOffset, reason: reason, recordKind: nil,
                                fieldIndex: role?.rawValue ?? -1, raw: Array(raw.utf8))
        RejectsCSV.appendLedgerRow(file: "l.csv", line: line, entry: entry, ledger: try ledger(), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func rejectedValuesAreQuotedAndCardNumbersMasked() throws {
        #expect(try Self.detail("7418,M1,EUR,12x,D", reason: .badAmount, role: .amount)
            == "l.csv,3,89,bad_amount,amount,\"column amount holds '12x', expected an amount in minor units such as 1234\",\"7418,M1,EUR,12x,D\"\n")
        #expect(try Self.detail("7418,M1,  \"US\" ,5,D", reason: .badCode, role: .currency).contains("column currency holds 'US', expected"))
        // A card number typed into the merchant column: neither the detail nor the raw row shows it whole.
        let leaked = try Self.detail("7418,4111111111111111,EUR,5,D", reason: .badText, role: .merchant)
        #expect(leaked.contains("column merchant_id holds '411111******1111'"), "\(leaked)")
        #expect(!leaked.contains("4111111111111111"), "\(leaked)")
        let long = String(repeating: "m", count: 300)
        #expect(try Self.detail("7418,\(long),EUR,5,D", reason: .badText, role: .merchant)
            .contains("holds '\(String(repeating: "m", count: 40))... (300 bytes)'"))
    }

    @Test func anUnclosedQuoteEndsItsRowAndSaysWhereItOpened() throws {
        let rows = ReconcileUnitTests.rows("1,\"open,3\n4,5,6\n7,8,9\n")
        #expect(rows.map(\.0) == [.malformed, .ok, .ok], "the row ends with the quote's line; the next lines are rows")
        #expect(rows[1].3 == ["4", "5", "6"] && rows[2].3 == ["7", "8", "9"])
        let detail = try Self.detail("7418,M1,EUR,5,\"D,x", reason: .badRow, role: nil, line: 3, byteOffset: 89)
        #expect(detail.contains("a quote opened at line 3 (byte offset 103) is not closed on that line or within the next 100 lines"), "\(detail)")
        let spanning = try Self.detail("7418,\"a\nb\nc\",EUR", reason: .badRow, role: nil, line: 7)
        #expect(spanning.contains("row has 3 columns, the header has 5 (it spans 3 lines: a quoted field holds line ends)"), "\(spanning)")
    }

    @Test func aQuotedFieldHoldsAtMostTheBoundOfLineEnds() {
        let within = String(repeating: "x\n", count: LedgerCSV.maxQuotedLineEnds)
        let ok = ReconcileUnitTests.rows("1,\"\(within)\",3\n4,5,6\n")
        #expect(ok.map(\.0) == [.ok, .ok] && ok[0].1 == LedgerCSV.maxQuotedLineEnds + 1)
        let beyond = String(repeating: "x\n", count: LedgerCSV.maxQuotedLineEnds + 1)
        let cut = ReconcileUnitTests.rows("1,\"\(beyond)\",3\n")
        #expect(cut.first.map { $0.0 == .malformed && $0.1 == 1 } == true, "resynchronised after the quote's own line")
        #expect(cut.count == LedgerCSV.maxQuotedLineEnds + 2, "every line after it is read, none lost silently")
    }

    // MARK: - 8: duplicate columns

    @Test func twoColumnsOfOneNameAreRefused() {
        #expect {
            _ = try Self.ledger(header: ["arn", "merchant_id", "Amount", "currency", " amount", "direction"])
        } throws: { error in
            "\(error)" == "ledger l.csv: the header has two columns named 'amount': 'Amount' (column 3) and ' amount' (column 5); Settle cannot tell which to read: rename one in the file"
        }
        #expect((try? Self.ledger(header: ["arn", "note", "merchant_id", "currency", "amount", "direction", "NOTE"])) != nil,
                "columns Settle does not read may share a name")
    }

    @Test func aMissingColumnListsAFewNamesNotTheWholeHeader() {
        let header = (0..<5000).map { "c\($0)" }
        #expect {
            _ = try Self.ledger(header: header)
        } throws: { error in
            let text = "\(error)"
            return text.count < 600 && text.contains("it has 5000 columns: 'c0', 'c1'") && text.contains("'c11' and 4988 more")
        }
    }

    // MARK: - 9: YAML, stat, paths, blank lines

    @Test func aDuplicateYAMLKeyIsNamedWithItsLineAndColumn() throws {
        let layout = BuiltinLayouts.texts["reference"].map { $0 + "name: again\n" }!
        let issues = TestSupport.layoutIssues(layout)
        let lines = layout.split(separator: "\n", omittingEmptySubsequences: false)
        let first = try #require(lines.firstIndex { $0.hasPrefix("name:") }) + 1
        #expect(issues.map(\.message) == ["line \(lines.count - 1):1: key 'name' appears a second time in this mapping (first at line \(first):1): keep one"])
        #expect {
            _ = try LedgerSpec.parse(text: "signed: true\namount: minor\nsigned: false\n", source: "s.yaml")
        } throws: { error in
            "\(error)" == "ledger spec s.yaml: line 3:1: key 'signed' appears a second time in this mapping (first at line 1:1): keep one"
        }
    }

    @Test func statSaysTheRealReason() throws {
        let directory = TestSupport.temporaryDirectory("stat")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/a", withDestinationPath: directory + "/b")
        try FileManager.default.createSymbolicLink(atPath: directory + "/b", withDestinationPath: directory + "/a")
        TestSupport.write("x", to: directory + "/file")
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try Syscalls.status(directory + "/a") }
        #expect(throws: Errno.notDirectory) { _ = try Syscalls.status(directory + "/file/x") }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try Syscalls.status(directory + "/none") }
        #expect {
            _ = try MappedFile(path: directory + "/a")
        } throws: { error in
            "\(error)" == "cannot read input file \(directory)/a: too many levels of symbolic links (ELOOP): a link in the path points back at itself"
        }
    }

    @Test func pathsThatAreNotUTF8RoundTrip() throws {
        let every = (0...255).map { UInt8($0) }.filter { $0 != 0 }
        for bytes in [every, [0xFF, 0x41], [0xC3, 0xA9], [0xE2, 0x82], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80]] {
            #expect(PathText.bytes(PathText.decode(bytes)) == bytes)
        }
        #expect(PathText.decode([0xC3, 0xA9]) == "é", "valid UTF-8 stays text")
        #expect(PathText.display(PathText.decode(Array("d".utf8) + [0xFF] + Array("/x.dat".utf8))) == "d\\xFF/x.dat")
        let directory = TestSupport.temporaryDirectory("path")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + PathText.decode([0x73, 0xFE, 0x2E, 0x64])
        try AtomicFile.write(Array("abc".utf8), to: path, mode: 0o600)
        #expect(try MappedFile(path: path).sizeBytes == 3)
        #expect(FileIO.listDirectory(directory) == [PathText.decode([0x73, 0xFE, 0x2E, 0x64])])
    }

    @Test func oneBlankLineEndingAFlatFileIsFound() {
        func offset(_ text: String, _ framing: Framing) -> Int? {
            Array(text.utf8).withUnsafeBytes { FileShapeHints.trailingBlankLine($0.baseAddress!, size: $0.count, framing: framing) }
        }
        #expect(offset("ab\n\n", .lf) == 3)
        #expect(offset("ab\n\n\n", .lf) == nil, "two blank lines are not one")
        #expect(offset("ab\n", .lf) == nil)
        #expect(offset("ab\r\n\r\n", .crlf) == 4)
        #expect(offset("ab\r\n\n", .crlf) == 4, "a lone line end ends a line of a CRLF file too")
        #expect(offset("\n\n", .lf) == nil, "the line before is blank too")
        #expect(offset("ab\n\n", .none) == nil)
    }

    // MARK: - 10: small files

    @Test func layoutAndSpecFilesAreReadWithALimit() throws {
        #expect {
            _ = try LayoutLoader.load("/dev/zero")
        } throws: { error in
            "\(error)" == "cannot read layout file /dev/zero: it is not a regular file and holds more than the 16.0 MiB a layout or spec file may hold: is it the right file?"
        }
        let directory = TestSupport.temporaryDirectory("small")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let big = directory + "/big.yaml"
        TestSupport.write([UInt8](repeating: 0x20, count: 17 << 20), to: big)
        #expect {
            _ = try LedgerSpec.load(big)
        } throws: { error in
            "\(error)" == "cannot read ledger spec \(big): it is 17.0 MiB, more than the 16.0 MiB a layout or spec file may hold: is it the right file?"
        }
        #expect(throws: SettleError.self) { _ = try LayoutLoader.load(directory + "/") }
    }

    // MARK: - 11: bounded work on degenerate files

    @Test func theTrailerSearchExaminesABoundedTail() {
        // 2 MiB without a line end, then a well-formed tail: the walk back stops at its bound.
        let recordLength = 160
        var bytes = [UInt8](repeating: UInt8(ascii: "D"), count: 2 << 20)
        bytes.withUnsafeBytes { raw in
            var examined = 0
            let records = PartitionPlanner.lastRecords(bytes: raw, framing: .lf, recordLength: recordLength, examined: &examined)
            #expect(records.isEmpty, "the one line is overlong: not a trailer candidate")
            #expect(examined <= PartitionPlanner.walkBackLimit(recordLength: recordLength) && examined > 0, "\(examined)")
        }
        // Ten ordinary lines after the long one: the last eight are found, as before.
        for _ in 0..<10 { bytes += [UInt8](repeating: UInt8(ascii: "T"), count: recordLength) + [0x0A] }
        bytes.withUnsafeBytes { raw in
            var examined = 0
            let records = PartitionPlanner.lastRecords(bytes: raw, framing: .lf, recordLength: recordLength, examined: &examined)
            #expect(records.map(\.offset) == (0..<8).map { raw.count - ($0 + 1) * (recordLength + 1) })
            #expect(records.allSatisfy { $0.length == recordLength })
            #expect(examined <= PartitionPlanner.walkBackLimit(recordLength: recordLength))
        }
        // A short file: everything is within the bound and the first line starts at 0.
        Array("a\nb\n".utf8).withUnsafeBytes { raw in
            #expect(PartitionPlanner.lastRecords(bytes: raw, framing: .lf, recordLength: 1).map(\.offset) == [2, 0])
        }
    }

    @Test func aLedgerWithCROnlyLineEndsIsRefusedAfterAFewBytes() {
        var text = "arn,merchant_id,currency,amount,direction"
        for index in 0..<20_000 { text += "\r7418\(index),M1,EUR,5,D" }
        let bytes = Array(text.utf8)
        let problem = bytes.withUnsafeBytes { LedgerCSV.headerProblem($0) }
        #expect(problem?.hasPrefix("its lines end in a carriage return alone (CR, as classic Mac OS wrote them; the first at byte offset 41)") == true)
        let lineless = [UInt8](repeating: UInt8(ascii: "a"), count: LedgerCSV.maxHeaderBytes + 1)
        #expect(lineless.withUnsafeBytes { LedgerCSV.headerProblem($0) }?.hasPrefix("no line end in its first 1.0 MiB") == true)
        #expect(Array("a,b\r\nc,d\r\n".utf8).withUnsafeBytes { LedgerCSV.headerProblem($0) } == nil, "CRLF is fine")
        let wide = Array((String(repeating: ",", count: 500_000) + "\n").utf8)
        #expect(wide.withUnsafeBytes { LedgerCSV.headerProblem($0) }
            == "the header row has 500001 columns, more than 4096: is the delimiter right (--ledger-spec delimiter)?")
    }
}
