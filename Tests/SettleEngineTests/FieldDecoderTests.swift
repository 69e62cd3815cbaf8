import Testing
@testable import SettleEngine

@Suite("Field decoding from raw bytes")
struct FieldDecoderTests {
    func with<R>(_ text: String, _ body: (UnsafeRawPointer) -> R) -> R {
        Array(text.utf8).withUnsafeBytes { body($0.baseAddress!) }
    }

    @Test(arguments: 1...20)
    func digitsAcceptOnlyZeroToNine(length: Int) {
        // Every byte value at every position, so the eight-at-a-time path and the tail are both covered.
        for position in 0..<length {
            for byte in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: length)
                bytes[position] = UInt8(byte)
                let expected = byte >= 0x30 && byte <= 0x39
                let got = bytes.withUnsafeBytes { FieldDecoder.isDigits($0.baseAddress!, offset: 0, length: length) }
                if got != expected {
                    Issue.record("length \(length) position \(position) byte \(byte): got \(got)")
                    return
                }
            }
        }
    }

    @Test(arguments: 1...20)
    func textRejectsOnlyControlBytes(length: Int) {
        for position in 0..<length {
            for byte in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                bytes[position] = UInt8(byte)
                let expected = byte >= 0x20 && byte != 0x7F
                let got = bytes.withUnsafeBytes { FieldDecoder.isText($0.baseAddress!, offset: 0, length: length) }
                if got != expected {
                    Issue.record("length \(length) position \(position) byte \(byte): got \(got)")
                    return
                }
            }
        }
    }

    @Test(arguments: 0...20)
    func trimmedLengthCountsTrailingSpaces(length: Int) {
        for content in 0...length {
            for filler in [UInt8(ascii: "x"), UInt8(ascii: " "), 0x80] where content > 0 || filler == UInt8(ascii: "x") {
                // `content` bytes whose last is not a space, then spaces.
                var bytes = [UInt8](repeating: filler, count: content) + [UInt8](repeating: 0x20, count: length - content)
                if content > 0 { bytes[content - 1] = UInt8(ascii: "Z") }
                let got = bytes.withUnsafeBytes { FieldDecoder.trimmedLength($0.baseAddress!, offset: 0, length: length) }
                #expect(got == content, "length \(length) content \(content)")
            }
        }
    }

    @Test(arguments: 1...18)
    func amountsOfEveryLength(length: Int) {
        var value: Int64 = 0
        var text = ""
        for index in 0..<length {
            let digit = (index * 7 + 3) % 10
            text += String(digit)
            value = value * 10 + Int64(digit)
        }
        #expect(with(text) { FieldDecoder.amount($0, offset: 0, length: length) } == value)
        for position in 0..<length {
            for bad in ["/", ":", "A", " ", "\u{80}"] {
                var chars = Array(text.utf8)
                chars[position] = Array(bad.utf8)[0]
                let got = chars.withUnsafeBytes { FieldDecoder.amount($0.baseAddress!, offset: 0, length: length) }
                #expect(got == -1, "length \(length) position \(position) \(bad)")
            }
        }
    }

    @Test func amounts() {
        #expect(with("000000001234") { FieldDecoder.amount($0, offset: 0, length: 12) } == 1234)
        #expect(with("999999999999999999") { FieldDecoder.amount($0, offset: 0, length: 18) } == 999_999_999_999_999_999)
        #expect(with("0000000012A4") { FieldDecoder.amount($0, offset: 0, length: 12) } == -1)
        #expect(with("   12") { FieldDecoder.amount($0, offset: 0, length: 5) } == -1)
        #expect(with("xx0042") { FieldDecoder.amount($0, offset: 2, length: 4) } == 42)
        #expect(with("12A4") { FieldDecoder.firstNonDigit($0, offset: 0, length: 4) } == 2)
    }

    @Test(arguments: [
        ("20240229", true), ("20230229", false), ("19000229", false), ("20000229", true),
        ("20241231", true), ("20241301", false), ("20240001", false), ("20240100", false),
        ("20240431", false), ("20240430", true), ("00000101", false), ("2024-1-1", false), ("        ", false),
    ])
    func dates(text: String, valid: Bool) {
        #expect(with(text) { FieldDecoder.isDate($0, offset: 0) } == valid)
    }

    @Test func textAndBlank() {
        #expect(with("AB C  ") { FieldDecoder.trimmedLength($0, offset: 0, length: 6) } == 4)
        #expect(with("      ") { FieldDecoder.trimmedLength($0, offset: 0, length: 6) } == 0)
        #expect(with("      ") { FieldDecoder.isBlank($0, offset: 0, length: 6) })
        #expect(with("ABC\tD") { !FieldDecoder.isText($0, offset: 0, length: 5) })
        #expect(with("Café") { FieldDecoder.isText($0, offset: 0, length: 5) })
    }

    @Test func packComparesBytewise() {
        #expect(FieldDecoder.pack(Array("DR".utf8)) == 0x4452)
        #expect(with("xDRx") { FieldDecoder.pack($0, offset: 1, length: 2) } == 0x4452)
    }

    @Test func merchantKeyLoadsAndSortsBytewise() {
        let names = ["A", "AB", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "B", "MER00001", "MER000010", "Z" + String(repeating: "z", count: 15)]
        let keys = names.map { name in Array(name.utf8).withUnsafeBytes { MerchantKey.load($0.baseAddress!, offset: 0, length: name.utf8.count) } }
        #expect(keys.map(\.string) == names)
        #expect(keys == names.map { MerchantKey($0) })
        #expect(keys.sorted().map(\.string) == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func currencyCodeRoundTrip() {
        #expect(CurrencyCode("USD").string == "USD")
        #expect(CurrencyCode("EUR") < CurrencyCode("USD"))
        #expect(CurrencyCode("JPY").raw == 0x4A50_5900)
    }

    @Test func validatorReportsFirstBadFieldInLayoutOrder() throws {
        let layout = TestSupport.reference
        let good = TestSupport.detail()
        let badAmount = TestSupport.detail(amount: "0000000012A4")
        let badDate = TestSupport.detail(txnDate: "20240230", amount: "0000000012A4")
        let badCode = TestSupport.detail(direction: "X")
        let blankMerchant = TestSupport.detail(merchant: "")
        func failure(_ record: String) -> RecordValidator.Failure? {
            Array(record.utf8).withUnsafeBytes { bytes in
                layout.detail.fields.withUnsafeBufferPointer { RecordValidator.firstFailure(bytes.baseAddress!, offset: 0, fields: $0) }
            }
        }
        #expect(failure(good) == nil)
        let names = layout.detail.spec.fields.map(\.name)
        #expect(failure(badAmount).map { ($0.reason, names[$0.fieldIndex]) } ?? (.badText, "") == (.badAmount, "amount"))
        #expect(failure(badDate).map { ($0.reason, names[$0.fieldIndex]) } ?? (.badText, "") == (.badDate, "txn_date"))
        #expect(failure(badCode).map { ($0.reason, names[$0.fieldIndex]) } ?? (.badText, "") == (.badCode, "direction"))
        #expect(failure(blankMerchant).map { ($0.reason, names[$0.fieldIndex]) } ?? (.badText, "") == (.blankField, "merchant_id"))
    }

    @Test func maskingKeepsFirstSixAndLastFour() {
        var bytes = Array("4111111111111111".utf8)
        RecordText.mask(&bytes, range: 0..<16)
        #expect(String(decoding: bytes, as: UTF8.self) == "411111******1111")
        var short = Array("12345".utf8)
        RecordText.mask(&short, range: 0..<5)
        #expect(String(decoding: short, as: UTF8.self) == "*****")
    }

    @Test func escapingKeepsCSVAndTerminalsSafe() {
        #expect(RecordText.escape(Array("a\u{0}b\\c\r".utf8)) == "a\\x00b\\\\c\\x0D")
    }

    @Test func rejectReasonCodesAreStable() {
        #expect(RejectReason.allCases.map(\.code) == [
            "short_record", "overlong_record", "unknown_record_type", "missing_header", "missing_trailer",
            "unexpected_header", "unexpected_trailer", "after_trailer", "bad_digits", "bad_amount", "bad_date",
            "bad_code", "bad_text", "blank_field", "bad_row", "no_group", "orphan_continuation", "missing_continuation",
            "bad_length", "bad_message", "bad_block", "truncated_block",
        ])
        for reason in RejectReason.allCases { #expect(RejectReason(code: reason.code) == reason) }
    }
}
