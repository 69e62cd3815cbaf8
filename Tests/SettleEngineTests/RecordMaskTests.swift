import Foundation
import Testing
@testable import SettleEngine

/// Card numbers in shown records: 6 + 4 only where the positions hold; in a misaligned record every
/// digit of a 5-digit-or-longer run where a sensitive field could be.
@Suite("Masking of misaligned records")
struct RecordMaskTests {
    static let pan = "4539876512340987"

    /// A `wide` detail record (200 bytes, type "10" at 199-200; pan at 50-65, arn 66-88).
    static func wideDetail(pan: String = Self.pan, type: String = "10") -> String {
        var record = "USD" + "DR" + "000000000012345" + "000000010" + TestSupport.padded("MERCHANT42", 20)
        record += pan + "12345678901234567890123" + "20240107" + "E" + String(repeating: " ", count: 40)
        return TestSupport.padded(record, 198) + type
    }

    /// The raw column of the rejects.csv row of `record` (CSV-quoted if it needs to be).
    static func rawColumn(_ record: String, reason: RejectReason, kind: RecordKind? = nil, layout: String = "wide") throws -> String {
        let compiled = try LayoutLoader.compile(layout)
        var out: [UInt8] = []
        let entry = RejectEntry(localRecordIndex: 0, byteOffset: 0, reason: reason, recordKind: kind, fieldIndex: -1, raw: Array(record.utf8))
        RejectsCSV.appendRow(file: "f.dat", recordNumber: 2, entry: entry, layout: compiled, to: &out)
        let row = String(decoding: out, as: UTF8.self).dropLast()
        return String(row.split(separator: ",", omittingEmptySubsequences: false).last!)
    }

    @Test("8 stray bytes in front of a wide record: no digit of the card number is shown")
    func strayBytesInFront() throws {
        let record = "JUNK1234" + Self.wideDetail()
        let shown = try Self.rawColumn(record, reason: .overlongRecord)
        // The card number moved to 58-73: all 16 digits masked; the amount before it and the ARN
        // after it, outside the span (50-65 widened by 8), stay, as does the 4-digit run "1234".
        let expected = "JUNK1234USDDR000000000012345000000010" + TestSupport.padded("MERCHANT42", 20)
            + String(repeating: "*", count: 16) + "12345678901234567890123" + "20240107" + "E"
            + String(repeating: " ", count: 40 + 198 - 137) + "10"
        #expect(shown == expected)
        #expect(!shown.contains("453987") && !shown.contains("0987"))
    }

    @Test("a record cut inside the card number: no digit of it is shown, nor of any long run")
    func cutInsideThePAN() throws {
        let record = String(Self.wideDetail().prefix(60))
        let shown = try Self.rawColumn(record, reason: .shortRecord)
        #expect(shown == "USDDR" + String(repeating: "*", count: 24) + TestSupport.padded("MERCHANT42", 20) + String(repeating: "*", count: 11))
    }

    @Test("a correctly aligned record keeps the first 6 and last 4 of the card number")
    func alignedKeepsSixAndFour() throws {
        let shown = try Self.rawColumn(Self.wideDetail(type: "10").replacingOccurrences(of: "20240107", with: "2024XX07"),
                                       reason: .badDate, kind: .detail)
        let masked = "453987******0987"
        #expect(shown == Self.wideDetail().replacingOccurrences(of: Self.pan, with: masked).replacingOccurrences(of: "20240107", with: "2024XX07"))
    }

    @Test("an unknown type of the right length: the card number's place is masked whole, the rest stays")
    func unknownTypeRightLength() throws {
        let shown = try Self.rawColumn(Self.wideDetail(type: "55"), reason: .unknownRecordType)
        #expect(shown == Self.wideDetail(pan: String(repeating: "*", count: 16), type: "55"))
    }

    @Test("runs of digits: 4 stay, 5 go; only within the span")
    func runsAndSpans() {
        var bytes = Array("ab1234cd12345ef123456".utf8)
        RecordMask.maskDigitRuns(&bytes, within: [0..<bytes.count])
        #expect(String(decoding: bytes, as: UTF8.self) == "ab1234cd*****ef******")
        var partly = Array("12345678".utf8)
        RecordMask.maskDigitRuns(&partly, within: [2..<5])
        #expect(String(decoding: partly, as: UTF8.self) == "12***678")
        #expect(RecordMask.spans([.init(range: 49..<65, recordLength: 200)], length: 208) == [41..<73])
        #expect(RecordMask.spans([.init(range: 49..<65, recordLength: 200)], length: 60) == [0..<205])
        #expect(RecordMask.spans([.init(range: 49..<65, recordLength: 200)], length: 4096, truncated: true) == [0..<4161])
    }

    @Test("a structured entry with stray bytes: the account digits are masked")
    func structuredMisaligned() throws {
        let layout = try #require(try LayoutLoader.compile("nacha").structured)
        // A PPD entry (94 bytes): account "98765432109876543" at 13-29; 3 stray bytes in front.
        let entry = "622" + "12345678" + "0" + "98765432109876543" + "0000012345" + TestSupport.padded("ID1", 15)
            + TestSupport.padded("JOHN DOE", 22) + "  " + "0" + "123456780000001"
        #expect(entry.count == 94)
        let shown = String(decoding: RecordMask.masked(Array(("ABC" + entry).utf8), layout: layout, specIndex: -1), as: UTF8.self)
        // Spans: each kind's account widened by 3 (9-32 here), IAT's foreign account (36-77).
        #expect(shown == "ABC622123" + String(repeating: "*", count: 23) + "0000" + String(repeating: "*", count: 6)
            + TestSupport.padded("ID1", 15) + TestSupport.padded("JOHN DOE", 22) + "  " + "0" + "123456780000001")
    }

    /// Type first, so `settle inspect` shows the fields of a record of the wrong length: the layout
    /// tests' minimal layout, 40 bytes, with a card number at 19-34.
    static let typeFirst = LayoutTests.minimal.replacingOccurrences(of: "record_length: 20", with: "record_length: 40")
        + "\n      - {name: pan, start: 19, length: 16, type: digits, sensitive: true}"

    @Test("settle inspect: a record of the wrong length shows no digit of the card number; an aligned one 6 + 4")
    func inspectMasksMisaligned() throws {
        let layout = try CompiledLayout(LayoutParser.parse(yaml: Self.typeFirst, source: "t.yaml"))
        let directory = TestSupport.temporaryDirectory("mask-inspect")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let aligned = "DM0001USD00001000D" + Self.pan + "      "
        // Two stray bytes after the direction: the card number at 21-36.
        let shifted = "DM0001USD00001000D" + "XY" + Self.pan + "      "
        TestSupport.write(aligned + "\n" + shifted + "\n", to: directory + "/f.dat")
        let records = try RecordInspector.inspect(path: directory + "/f.dat", layout: layout, from: 1, limit: 2)
        #expect(records.count == 2)
        #expect(records[0].fields.first { $0.name == "pan" }?.value == "453987******0987")
        // Positions 19-34 of the shifted record hold "XY" and 14 card digits: all of them masked.
        #expect(records[1].fields.first { $0.name == "pan" }?.value == "XY" + String(repeating: "*", count: 14))
        #expect(records[1].reason == .overlongRecord)
    }
}
