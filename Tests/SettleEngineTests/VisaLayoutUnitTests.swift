import Foundation
import Testing
@testable import SettleEngine

/// The layout-language features the Visa layout needs, each on its own: the trailing sign, the
/// `encoding` and `codes`/`scale: currency` keys, recognition compiled into a code page, masking
/// of digits read through the wrong code page, and the ISO 4217 numeric tables of the scanner.
@Suite("Visa layout features: signed_trailing, encoding, ISO 4217 numeric currencies")
struct VisaLayoutUnitTests {
    static func decode(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBytes { FieldDecoder.signedTrailing($0.baseAddress!, offset: 0, length: $0.count) }
    }

    @Test(arguments: zip(["000000001234567D", "000000001234567C", "000000001234567 ", "0000000012345670", "                ",
                          "00000000012345-", "0000000001234+", "12X4D"],
                         [Int64(1_234_567), -1_234_567, 1_234_567, nil, 0, -12_345, 1_234, nil]))
    func signedTrailing(_ text: String, _ expected: Int64?) {
        #expect(Self.decode(text) == expected)
    }

    static func visa(_ encoding: String? = nil) throws -> CompiledLayout {
        var text = BuiltinLayouts.texts["visa-ctf"]!
        if let encoding { text = text.replacingOccurrences(of: "encoding: auto", with: "encoding: \(encoding)") }
        return try CompiledLayout(try LayoutParser.parse(yaml: text, source: "visa-ctf"))
    }

    @Test func theBuiltInLayoutCompilesWithItsFeatures() throws {
        let layout = try Self.visa()
        let structured = try #require(layout.structured)
        #expect(layout.spec.encoding == .auto)
        #expect(structured.codePage == .ascii)
        #expect(structured.scale == 6)
        #expect(structured.usesNumericCurrency)
        let draft = try #require(structured.records.first { $0.name == "draft" })
        #expect(draft.currencyNumeric && draft.amountByCurrency && draft.feeTrailing)
        #expect(draft.optionalContinuations == [structured.records.firstIndex { $0.name == "tcr5" }!])
        #expect(draft.continuations.count == 2)
    }

    /// The header's code in cp037 is 0xF9 0xF0: recognised in the file's bytes as they are.
    @Test(arguments: ["ebcdic-cp037", "ebcdic-cp500"])
    func recognitionIsCompiledIntoTheCodePage(_ encoding: String) throws {
        let layout = try #require(try Self.visa(encoding).structured)
        let codePage = try #require(CodePage(rawValue: encoding))
        #expect(layout.codePage == codePage)
        let header = codePage.encode(Array(("9040012325008" + String(repeating: " ", count: 155)).utf8))
        let index = header.withUnsafeBytes { layout.classify($0.baseAddress!, offset: 0, length: 168, whenHolds: nil) }
        #expect(index.map { layout.records[$0].kind } == .fileHeader)
        let ascii = Array(("9040012325008" + String(repeating: " ", count: 155)).utf8)
        #expect(ascii.withUnsafeBytes { layout.classify($0.baseAddress!, offset: 0, length: 168, whenHolds: nil) } == nil)
    }

    @Test func readingTablesMapNumericCodesToAlphaAndFactors() throws {
        let layout = try #require(try Self.visa().structured)
        let reading = RecordReading(layout: layout, capacity: 200)
        defer { reading.deallocate() }
        let alpha = try #require(reading.numericAlpha), factor = try #require(reading.numericFactor)
        #expect(alpha[840] == CurrencyCode("USD").raw && factor[840] == 10_000)
        #expect(alpha[392] == CurrencyCode("JPY").raw && factor[392] == 1_000_000)
        #expect(alpha[48] == CurrencyCode("BHD").raw && factor[48] == 1_000)
        #expect(alpha[990] == CurrencyCode("CLF").raw && factor[990] == 100)
        #expect(alpha[0] == 0 && alpha[1] == 0)
        #expect(reading.toLatin1 == nil, "ASCII records are read in place")
    }

    @Test(arguments: [("encoding: klingon", "unknown encoding 'klingon'"), ("codes: iso4217-alpha", "unknown code table")])
    func badKeysAreNamed(_ change: String, _ message: String) {
        var text = BuiltinLayouts.texts["visa-ctf"]!
        if change.hasPrefix("encoding") {
            text = text.replacingOccurrences(of: "encoding: auto", with: change)
        } else {
            text = text.replacingOccurrences(of: "codes: iso4217-numeric", with: change)
        }
        let issues = TestSupport.layoutIssues(text)
        #expect(issues.contains { $0.description.contains(message) }, "\(issues)")
    }

    /// An ASCII card number read as cp500 decodes to control bytes: still masked as digits.
    @Test func digitsOfTheOtherReadingAreMasked() {
        let pan = Array("4123456789012345".utf8)
        var raw = CodePage.ebcdicCP500.decode(pan)
        #expect(!raw.contains { RecordMask.isDigit($0) && $0 < 0x80 })
        RecordMask.maskDigitRuns(&raw, within: [0..<raw.count], codePage: .ebcdicCP500)
        #expect(raw == Array(repeating: UInt8(ascii: "*"), count: 16))
        var ebcdic = CodePage.ebcdicCP037.encode(pan)
        RecordMask.maskDigitRuns(&ebcdic, within: [0..<ebcdic.count])
        #expect(ebcdic == Array(repeating: UInt8(ascii: "*"), count: 16), "EBCDIC digits in an ASCII reading")
    }
}
