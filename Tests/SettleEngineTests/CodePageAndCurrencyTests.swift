import Testing
@testable import SettleEngine

@Suite("Code pages and ISO 4217")
struct CodePageAndCurrencyTests {
    @Test("EBCDIC digits, letters and space decode to ASCII in both code pages")
    func ebcdicBasics() {
        for page in [CodePage.ebcdicCP037, .ebcdicCP500] {
            #expect(page.decode([0xF0, 0xF9, 0xC1, 0xC9, 0xD1, 0xE2, 0xE9, 0x40, 0x81]) == Array("09AIJSZ a".utf8))
            #expect(page.encode(Array("0123456789 ABC".utf8)) == [
                0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0x40, 0xC1, 0xC2, 0xC3,
            ])
        }
    }

    @Test("cp037 and cp500 differ exactly in their seven punctuation positions")
    func pagesDiffer() {
        let differing = (0..<256).filter { CodePage.ebcdicCP037.toLatin1[$0] != CodePage.ebcdicCP500.toLatin1[$0] }
        #expect(differing == [0x4A, 0x4F, 0x5A, 0x5F, 0xB0, 0xBA, 0xBB])
        #expect(CodePage.ebcdicCP037.toLatin1[0xBA] == UInt8(ascii: "["))
        #expect(CodePage.ebcdicCP500.toLatin1[0x4A] == UInt8(ascii: "["))
    }

    @Test("every table is a permutation and encode inverts decode")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        for page in CodePage.allCases {
            #expect(Set(page.toLatin1).count == 256)
            #expect(page.encode(page.decode(all)) == all)
        }
    }

    @Test("ISO 4217 lookups by alphabetic and numeric code")
    func lookups() {
        #expect(ISO4217.byNumeric(840)?.alpha == "USD")
        #expect(ISO4217.byNumeric(392)?.minorUnits == 0)
        #expect(ISO4217.byNumeric(414)?.alpha == "KWD")
        #expect(ISO4217.byNumeric(414)?.minorUnits == 3)
        #expect(ISO4217.byNumeric(990)?.minorUnits == 4)
        #expect(ISO4217.byNumeric(532)?.alpha == "XCG")
        #expect(ISO4217.byAlpha("ANG")?.current == false)
        #expect(ISO4217.byAlpha("XAU")?.minorUnits == nil)
        #expect(ISO4217.byNumeric(1) == nil)
        #expect(ISO4217.byNumeric(1000) == nil)
        #expect(ISO4217.byAlpha("EUR")?.numericText == "978")
        #expect(ISO4217.byAlpha("AUD")?.numericText == "036")
        #expect(ISO4217.all.filter(\.current).count == 178)
    }

    @Test("amounts in major units with the currency's decimals")
    func majorUnits() throws {
        let usd = try #require(ISO4217.byAlpha("USD"))
        let jpy = try #require(ISO4217.byAlpha("JPY"))
        let kwd = try #require(ISO4217.byAlpha("KWD"))
        #expect(usd.majorUnitsText(8_509_375_309) == "85,093,753.09 USD")
        #expect(usd.majorUnitsText(-5) == "-0.05 USD")
        #expect(usd.majorUnitsText(100_000) == "1,000.00 USD")
        #expect(jpy.majorUnitsText(1_234) == "1,234 JPY")
        #expect(kwd.majorUnitsText(-5) == "-0.005 KWD")
        #expect(kwd.majorUnitsText(123_456_789) == "123,456.789 KWD")
    }
}
