import Foundation
import Testing
@testable import SettleEngine

@Suite("Reconciliation pieces: ledger CSV, spec, amounts, references, codecs")
struct ReconcileUnitTests {
    // MARK: - CSV rows

    /// Parses the rows of `text` wanting columns 0...4; returns each row's status, lines and fields.
    static func rows(_ text: String, delimiter: UInt8 = UInt8(ascii: ",")) -> [(LedgerCSV.RowStatus, Int, Int, [String])] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            var out: [(LedgerCSV.RowStatus, Int, Int, [String])] = []
            var at = 0
            let columns = [0, 1, 2, 3, 4]
            var fields = [LedgerCSV.Field](repeating: LedgerCSV.Field(), count: 5)
            while at < raw.count {
                for index in fields.indices { fields[index] = LedgerCSV.Field() }
                let row = columns.withUnsafeBufferPointer { columns in
                    fields.withUnsafeMutableBufferPointer { fields in
                        LedgerCSV.row(raw.baseAddress!, start: at, limit: raw.count, delimiter: delimiter, columns: columns, fields: fields)
                    }
                }
                let texts = (0..<min(5, row.columnCount)).map { LedgerCSV.text(raw.baseAddress!, fields[$0]) }
                out.append((row.status, row.lines, row.columnCount, texts))
                at = row.end
            }
            return out
        }
    }

    @Test func plainQuotedAndEscapedFields() {
        let parsed = Self.rows("a,b,c\r\n\"x,y\",\"he said \"\"hi\"\"\",z\n")
        #expect(parsed.count == 2)
        #expect(parsed[0].0 == .ok && parsed[0].1 == 1 && parsed[0].3 == ["a", "b", "c"])
        #expect(parsed[1].3 == ["x,y", "he said \"hi\"", "z"])
    }

    @Test func lineEndsInsideQuotesCountAsLines() {
        let parsed = Self.rows("1,\"two\nlines\",3\n4,5,6")
        #expect(parsed.map(\.1) == [2, 1])
        #expect(parsed[0].3 == ["1", "two\nlines", "3"])
        #expect(parsed[1].3 == ["4", "5", "6"], "a last row without a line end")
    }

    @Test func spacesAroundQuotesBlankLinesAndMalformedRows() {
        let parsed = Self.rows("  \"a\"  ,b\n\n   \r\nx\"y,z\n\"open,1\n")
        #expect(parsed[0].0 == .ok && parsed[0].3 == ["a", "b"])
        #expect(parsed[1].0 == .blank)
        #expect(parsed[2].0 == .blank)
        #expect(parsed[3].0 == .malformed, "a quote inside an unquoted field")
        #expect(parsed[4].0 == .malformed, "a quote never closed")
    }

    @Test func otherDelimiters() {
        #expect(Self.rows("a;b;\"c;d\"\n", delimiter: UInt8(ascii: ";"))[0].3 == ["a", "b", "c;d"])
    }

    @Test func cutsNeverSplitAQuotedField() {
        var text = "arn,note\n"
        for index in 0..<200 { text += index % 3 == 0 ? "\(index),\"a\nb\n\"\"c\"\"\"\n" : "\(index),plain\n" }
        let bytes = Array(text.utf8)
        for size in [1, 7, 30, 100, 4096] {
            let ranges = bytes.withUnsafeBytes { LedgerCSV.cut(bytes: $0, partitionSizeBytes: size) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == bytes.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
            // Every cut is right after a line end at an even number of quotes.
            for range in ranges.dropLast() {
                #expect(bytes[range.upperBound - 1] == 0x0A)
                #expect(bytes[0..<range.upperBound].filter { $0 == 0x22 }.count % 2 == 0, "size \(size)")
            }
        }
    }

    @Test func quoteCountingMatchesAByteLoop() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x22, 0x41, 0xA2, 0x22 ^ 0x80, 0x0A]
        let bytes: [UInt8] = (0..<1000).map { _ in alphabet[Int(generator.next() % 5)] }
        bytes.withUnsafeBytes { raw in
            for from in [0, 1, 5, 13] {
                for to in [from, from + 7, 333, 1000] {
                    let expected = bytes[from..<to].filter { (byte: UInt8) in byte == 0x22 }.count
                    #expect(LedgerCSV.countQuotes(raw.baseAddress!, from: from, to: to) == expected)
                }
            }
        }
    }

    @Test func headerWithBOM() {
        let bytes = Array("\u{FEFF}Arn , \"Merchant_ID\",currency,amount,direction\r\nrow\n".utf8)
        let header = bytes.withUnsafeBytes { LedgerCSV.header($0, delimiter: UInt8(ascii: ",")) }
        #expect(header?.names == ["Arn", "Merchant_ID", "currency", "amount", "direction"])
        #expect(header.map { bytes[$0.dataStart] } == UInt8(ascii: "r"))
        let columns = try? LedgerSpec().resolve(header: header!.names, file: "x.csv")
        #expect(columns == [0, 1, 2, 3, 4, -1], "names match case-insensitively; no date column (it is optional)")
    }

    // MARK: - Spec

    @Test func specDefaultsAndOverrides() throws {
        let spec = try LedgerSpec.parse(text: """
            delimiter: ";"
            columns: {reference: ref, merchant: m, currency: c, amount: v, direction: dc}
            amount: decimal
            directions: {debit: [dr, Sale], credit: [cr]}
            """, source: "spec.yaml")
        #expect(spec.delimiter == UInt8(ascii: ";"))
        #expect(spec.columns == ["ref", "m", "c", "v", "dc", nil])
        #expect(spec.decimalAmounts && !spec.signed)
        #expect(spec.debitWords == ["DR", "SALE"] && spec.creditWords == ["CR"])
        let signed = try LedgerSpec.parse(text: "signed: true\n", source: "s.yaml")
        #expect(signed.signed && signed.columns[LedgerSpec.Role.direction.rawValue] == nil)
    }

    @Test(arguments: [
        ("colums: {}", "unknown key 'colums'"),
        ("amount: cents", "amount must be 'minor'"),
        ("signed: true\ncolumns: {direction: dc}", "signed amounts carry the direction"),
        ("columns: {direction: null}", "amounts must be signed"),
        ("directions: {debit: [X], credit: [x]}", "both debit and credit"),
        ("columns: {reference: null}", "column reference is required"),
    ])
    func specErrors(_ text: String, _ message: String) {
        #expect {
            _ = try LedgerSpec.parse(text: text, source: "bad.yaml")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("bad.yaml")
        }
    }

    // MARK: - Values

    static func decode(_ row: String, spec: LedgerSpec = LedgerSpec(), width: Int = 23) -> Result<LedgerValueDecoder.Value, MapWorker.LedgerFailure> {
        let bytes = Array(row.utf8)
        let decoder = LedgerValueDecoder(spec: spec, referenceWidth: width)
        return bytes.withUnsafeBytes { raw in
            var fields = [LedgerCSV.Field](repeating: LedgerCSV.Field(), count: 5)
            let columns = [0, 1, 2, 3, spec.signed ? -1 : 4]
            _ = columns.withUnsafeBufferPointer { columns in
                fields.withUnsafeMutableBufferPointer { fields in
                    LedgerCSV.row(raw.baseAddress!, start: 0, limit: raw.count, delimiter: spec.delimiter, columns: columns, fields: fields)
                }
            }
            return fields.withUnsafeBufferPointer { decoder.decode(raw.baseAddress!, fields: $0) }
        }
    }

    static func amount(_ row: String, spec: LedgerSpec) -> Int64? {
        if case .success(let value) = decode(row, spec: spec) { return value.isCredit ? -value.amount : value.amount }
        return nil
    }

    @Test func decimalAmountsScaleByTheCurrency() {
        var spec = LedgerSpec()
        spec.decimalAmounts = true
        #expect(Self.amount("1,M,USD,12.34,D", spec: spec) == 1234)
        #expect(Self.amount("1,M,USD,12,D", spec: spec) == 1200)
        #expect(Self.amount("1,M,USD,12.3,C", spec: spec) == -1230)
        #expect(Self.amount("1,M,USD,12.340,D", spec: spec) == 1234, "trailing zeros beyond the scale")
        #expect(Self.amount("1,M,USD,12.345,D", spec: spec) == nil, "a third decimal for USD")
        #expect(Self.amount("1,M,JPY,1234,D", spec: spec) == 1234)
        #expect(Self.amount("1,M,jpy,1234.5,D", spec: spec) == nil)
        #expect(Self.amount("1,M,KWD,1.5,D", spec: spec) == 1500)
        #expect(Self.amount("1,M,USD,.5,D", spec: spec) == 50)
        #expect(Self.amount("1,M,USD,1.2.3,D", spec: spec) == nil)
        #expect(Self.amount("1,M,USD,-1.00,D", spec: spec) == nil, "a sign needs signed: true")
        #expect(Self.amount("1,M,USD,1000000000000000000,D", spec: LedgerSpec()) == nil, "10^18 does not fit")
        #expect(Self.amount("1,M,USD,999999999999999999,D", spec: LedgerSpec()) == 999_999_999_999_999_999)
        #expect(Self.amount("1,M,USD,12.34,D", spec: LedgerSpec()) == nil, "minor units have no decimal point")
    }

    @Test func signedAmountsCarryTheDirection() {
        var spec = LedgerSpec()
        spec.signed = true
        spec.decimalAmounts = true
        #expect(Self.amount("1,M,USD,-2.50", spec: spec) == -250)
        #expect(Self.amount("1,M,USD,+2.50", spec: spec) == 250)
        #expect(Self.amount("1,M,USD,2.50", spec: spec) == 250)
    }

    @Test func failuresNameTheColumn() {
        func failure(_ row: String) -> (RejectReason, Int)? {
            if case .failure(let failure) = Self.decode(row) { return (failure.reason, failure.role) }
            return nil
        }
        #expect(failure(" ,M,USD,1,D")! == (.blankField, 0))
        #expect(failure("1,,USD,1,D")! == (.blankField, 1))
        #expect(failure("1,M,US,1,D")! == (.badCode, 2))
        #expect(failure("1,M,U$D,1,D")! == (.badCode, 2))
        #expect(failure("1,M,USD,1x,D")! == (.badAmount, 3))
        #expect(failure("1,M,USD,1,debitt")! == (.badCode, 4))
        #expect(failure("1,\(String(repeating: "M", count: 33)),USD,1,D")! == (.badText, 1))
        if case .success(let value) = Self.decode("1,M,usd,1,Refund") {
            #expect(value.isCredit && CurrencyCode(raw: value.currency).string == "USD")
        } else {
            Issue.record("a valid row was rejected")
        }
    }

    // MARK: - References

    static func normalized(_ text: String, width: Int) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { ReferenceNormalizer.normalize($0.baseAddress!, offset: 0, length: bytes.count, width: width)?.string }
    }

    @Test func referencesAreTrimmedAndDigitsPadded() {
        #expect(Self.normalized("  123 ", width: 6) == "000123")
        #expect(Self.normalized("123456", width: 6) == "123456")
        #expect(Self.normalized("AB12", width: 6) == "AB12", "only digits are padded")
        #expect(Self.normalized("1234567", width: 6) == "1234567", "longer than the field: kept")
        #expect(Self.normalized("   ", width: 6) == nil)
        #expect(Self.normalized(String(repeating: "9", count: 33), width: 23) == nil)
    }

    @Test(arguments: ["1", "12", "0000000000000000000012", "74404944043036931734551", String(repeating: "9", count: 32),
                      "ABC-123", "", "1234567", "12345678", "123456789"])
    func referencePackingRoundTrips(_ text: String) throws {
        let key = MerchantKey(text)
        var buffer = [UInt8](repeating: 0, count: 64)
        let size = buffer.withUnsafeMutableBytes { ReferencePacking.store(key, to: $0.baseAddress!) }
        if !text.isEmpty && text.allSatisfy(\.isNumber) { #expect(size == 1 + (text.count + 1) / 2) }
        var at = 0
        let loaded = buffer.withUnsafeBytes { ReferencePacking.load($0.baseAddress!, at: &at, available: size) }
        #expect(loaded == key)
        #expect(at == size)
    }

    @Test func codecsRoundTrip() throws {
        let occurrence = Occurrence(merchant: MerchantKey("MERCHANT-ONE"), currency: CurrencyCode("EUR").raw, amount: 999_999_999_999_999_999,
                                    flags: Occurrence.ledger | Occurrence.credit)
        let key = ReferenceKey(reference: MerchantKey("74404944043036931734551"), position: ReferenceKey.position(partition: 70_000, local: 1 << 39))
        #expect(key.partition == 70_000 && key.local == 1 << 39)
        var buffer = [UInt8](repeating: 0, count: ReferenceCodec.maxSize)
        let size = buffer.withUnsafeMutableBytes { ReferenceCodec.store(key, occurrence, to: $0.baseAddress!) }
        let loaded = buffer.withUnsafeBytes { ReferenceCodec.load(from: $0.baseAddress!, available: size) }
        #expect(loaded?.value == occurrence)
        #expect(loaded?.key == key && loaded?.key.hash == key.hash && loaded?.size == size)
        #expect(buffer.withUnsafeBytes { ReferenceCodec.load(from: $0.baseAddress!, available: size - 1) } == nil, "cut short")

        let row = MismatchRow(settled: MismatchSide(occurrence: occurrence, file: 0, number: 3),
                              ledger: MismatchSide(occurrence: occurrence, file: 7, number: 1 << 33))
        var rowBuffer = [UInt8](repeating: 0, count: MismatchCodec.maxSize)
        let mismatchKey = MismatchKey(reference: key.reference, position: 12)
        let rowSize = rowBuffer.withUnsafeMutableBytes { MismatchCodec.store(mismatchKey, row, to: $0.baseAddress!) }
        let back = rowBuffer.withUnsafeBytes { MismatchCodec.load(from: $0.baseAddress!, available: rowSize) }
        #expect(back?.key == mismatchKey)
        #expect(back?.value.settled?.number == 3 && back?.value.ledger?.number == 1 << 33)
        #expect(back?.value.ledger?.occurrence.merchant == occurrence.merchant && back?.value.ledger?.file == 7)
    }

    @Test func bucketsFollowTheHashOrder() {
        var previous = -1
        for hash in stride(from: UInt64(0), to: UInt64.max - (UInt64.max / 1000), by: Int(UInt64.max / 1000)) {
            let bucket = ReferenceKey.bucket(hash: hash, count: 7)
            #expect(bucket >= previous && bucket < 7)
            previous = bucket
        }
    }

    @Test func bufferSpillsSortedRunsAndKeepsPositionOrder() throws {
        let directory = TestSupport.temporaryDirectory()
        let buffer = ReferenceBuffer(memoryBytes: 1 << 20, bucketCount: 5)
        var appended: [(ReferenceKey, Occurrence)] = []
        for index in 0..<3000 {
            let key = ReferenceKey(reference: MerchantKey("\(index % 700)"), position: UInt64(index))
            let value = Occurrence(merchant: MerchantKey("M"), currency: 1, amount: Int64(index), flags: 0)
            #expect(buffer.append(key, value))
            appended.append((key, value))
        }
        let info = try buffer.spill(path: directory + "/r.run", encoder: try LZ4FrameEncoder())
        #expect(info.entries == 3000 && buffer.isEmpty)
        let reader = try RunReader(path: info.path)
        #expect(try reader.verify(codec: ReferenceCodec.self) == 3000)
        var seen: [(ReferenceKey, Occurrence)] = []
        for bucket in 0..<5 {
            let cursor = try reader.cursor(bucket: bucket, codec: ReferenceCodec.self)
            while try cursor.advance() {
                #expect(ReferenceKey.bucket(hash: cursor.key.hash, count: 5) == bucket)
                if let last = seen.last { #expect(last.0 < cursor.key) }
                seen.append((cursor.key, cursor.value))
            }
        }
        #expect(seen.count == 3000)
        #expect(Set(seen.map { $0.1.amount }) == Set(appended.map { $0.1.amount }))
    }

    @Test func aFullSegmentRefusesAndASpillEmptiesIt() throws {
        let directory = TestSupport.temporaryDirectory()
        // The smallest buffer: 1,024 entries per bucket segment.
        let buffer = ReferenceBuffer(memoryBytes: 0, bucketCount: 2)
        var stored = 0, runs: [SpillRunInfo] = []
        for index in 0..<5000 {
            let key = ReferenceKey(reference: MerchantKey("\(index)"), position: UInt64(index))
            let value = Occurrence(merchant: MerchantKey("M"), currency: 1, amount: 1, flags: 0)
            if !buffer.append(key, value) {
                runs.append(try buffer.spill(path: directory + "/r\(runs.count).run", encoder: try LZ4FrameEncoder()))
                #expect(buffer.isEmpty)
                #expect(buffer.append(key, value))
            }
            stored += 1
        }
        runs.append(try buffer.spill(path: directory + "/r\(runs.count).run", encoder: try LZ4FrameEncoder()))
        #expect(runs.count >= 3)
        #expect(runs.reduce(0) { $0 + $1.entries } == stored)
    }
}
