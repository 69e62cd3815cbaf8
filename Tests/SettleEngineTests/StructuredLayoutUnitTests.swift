import Foundation
import Testing
@testable import SettleEngine

/// The structured layout language: parsing, every validation message, the compiled tables, the
/// overpunched decoder, recognition with conditions, and the planner's context at partition starts.
@Suite("Structured layouts: language, decoder, context")
struct StructuredLayoutUnitTests {
    static let minimal = """
    name: s
    record_length: 20
    record_type: {start: 1, length: 1}
    currency: {value: EUR}
    merchant: [shop]
    records:
      - kind: file_header
        code: "A"
        fields:
          - {name: region, start: 2, length: 4, type: text}
      - kind: group_header
        code: "B"
        fields:
          - {name: shop, start: 2, length: 6, type: text}
          - {name: mode, start: 8, length: 1, type: text}
      - kind: detail
        name: signed
        code: "D"
        when: {field: mode, in: ["S"]}
        fields:
          - {name: amount, start: 2, length: 6, type: signed_amount, role: amount, scale: 3}
      - kind: detail
        code: "D"
        fields:
          - {name: dir, start: 2, length: 2, type: code, role: direction, debit: ["21", "22"], credit: ["27"]}
          - {name: amount, start: 4, length: 6, type: amount, role: amount}
      - kind: group_trailer
        code: "T"
        fields:
          - {name: n, start: 2, length: 4, type: digits}
          - {name: d, start: 6, length: 8, type: amount, scale: 3}
        controls:
          - {name: n, field: n, count: [detail]}
          - {name: d, field: d, sum: debit}
    """

    func issues(_ yaml: String) -> [LayoutIssue] { TestSupport.layoutIssues(yaml) }

    @Test func minimalCompiles() throws {
        let spec = try LayoutParser.parse(yaml: Self.minimal, source: "t")
        let layout = try #require(try CompiledLayout(spec).structured)
        #expect(layout.records.map(\.kind) == [.fileHeader, .groupHeader, .detail, .detail, .groupTrailer])
        #expect(layout.scale == 3, "the largest amount scale")
        #expect(layout.records[3].amountMultiplier == 10, "a scale-2 amount is multiplied up to 3")
        #expect(layout.records[2].amountSigned && layout.records[2].amountMultiplier == 1)
        #expect(layout.records[3].debitCodes.count == 2 && layout.records[3].creditCodes.count == 1)
        #expect(layout.slotNames == ["shop", "mode", "region"], "group slots first, then file slots")
        #expect(layout.records[2].whenSlot == 1)
        #expect(layout.records[3].merchantFromContext)
        #expect(layout.measures.count == 2)
        #expect(layout.constantCurrency == CurrencyCode("EUR").raw)
    }

    @Test func builtinNachaCompilesWithItsVariants() throws {
        let layout = try #require(try LayoutLoader.compile("nacha").structured)
        #expect(layout.records.filter { $0.kind == .detail }.map(\.name) == ["adv_entry", "iat_entry", "entry"])
        #expect(layout.records.filter { $0.kind == .groupTrailer }.map(\.name) == ["adv_batch_control", "iat_batch_control", "batch_control"])
        #expect(layout.hasGroupTrailers && layout.hasFileTrailers && layout.afterTrailer == .reject)
        #expect(layout.records.first?.kind == .filler)
    }

    @Test(arguments: [
        ("      - kind: detail2\n        code: \"X\"\n", "unknown record kind 'detail2'"),
        ("      - kind: detail\n        code: \"XY\"\n        fields:\n          - {name: amount, start: 2, length: 3, type: amount, role: amount}\n          - {name: dir, start: 5, length: 1, type: code, role: direction, debit: \"D\", credit: \"C\"}\n",
         "code 'XY' is 2 bytes but its positions cover 1"),
        ("      - kind: detail\n        code: \"X\"\n        when: {field: nowhere, in: [\"1\"]}\n        fields:\n          - {name: amount, start: 2, length: 3, type: amount, role: amount}\n          - {name: dir, start: 5, length: 1, type: code, role: direction, debit: \"D\", credit: \"C\"}\n",
         "'nowhere' is not a field of a file or group header"),
        ("      - kind: detail\n        code: \"X\"\n        fields:\n          - {name: amount, start: 2, length: 3, type: amount, role: amount}\n",
         "a 'direction' field, or a signed_amount amount"),
        ("      - kind: other\n        code: \"X\"\n        controls:\n          - {name: c, field: c, count: [detail]}\n",
         "controls belong on a group_trailer, file_trailer or group_header"),
        ("      - kind: group_trailer\n        code: \"X\"\n        fields:\n          - {name: c, start: 2, length: 3, type: digits}\n        controls:\n          - {name: c, field: c, sum: nothing}\n",
         "'nothing' is not a field of a detail record"),
        ("      - kind: group_trailer\n        code: \"X\"\n        fields:\n          - {name: c, start: 2, length: 3, type: digits}\n        controls:\n          - {name: c, field: c, count: [detail], sum: debit}\n",
         "expected exactly one of 'count', 'sum' or 'equals'"),
        ("      - kind: group_trailer\n        code: \"X\"\n        fields:\n          - {name: c, start: 2, length: 3, type: digits}\n        controls:\n          - {name: c, field: c, equals: c}\n",
         "'c' is not a field of a group header"),
        ("      - kind: filler\n", "a filler record needs 'fill'"),
        ("      - kind: detail\n        code: \"X\"\n        fields:\n          - {name: amount, start: 2, length: 3, type: amount, role: amount}\n          - {name: dir, start: 5, length: 2, type: code, role: direction, debit: [\"11\", \"12\"], credit: [\"12\"]}\n",
         "a value cannot be both debit and credit"),
    ])
    func validationMessages(record: String, message: String) {
        // The cases are written at the indentation of a `records:` item inside a mapping; the layout's
        // list items sit 4 columns further left.
        let item = record.split(separator: "\n", omittingEmptySubsequences: false).map { $0.dropFirst(4) }.joined(separator: "\n")
        let yaml = Self.minimal + "\n" + item
        let found = issues(yaml)
        #expect(found.contains { $0.message.contains(message) }, "\(found)")
        #expect(found.allSatisfy { $0.line != nil || $0.path.hasPrefix("records") || $0.path == "merchant" || $0.path == "currency" })
    }

    @Test func merchantAndCurrencyNamesAreChecked() {
        let yaml = Self.minimal.replacingOccurrences(of: "merchant: [shop]", with: "merchant: [shop, nowhere]")
            .replacingOccurrences(of: "currency: {value: EUR}", with: "currency: {field: cur}")
        let found = issues(yaml).map(\.message)
        #expect(found.contains { $0.contains("'nowhere' is not a field of a detail, group header or file header") })
        #expect(found.contains { $0.contains("'cur' is not a field of a detail, group header or file header") })
    }

    @Test func flatLayoutsRefuseStructuredFeatures() {
        let yaml = """
        name: t
        record_length: 20
        record_type: {start: 1, length: 1}
        currency: {value: EUR}
        records:
          detail:
            code: "D"
            fields:
              - {name: merchant, start: 2, length: 5, type: text, role: merchant}
              - {name: currency, start: 7, length: 3, type: text, role: currency}
              - {name: amount, start: 10, length: 8, type: signed_amount, role: amount}
              - {name: dir, start: 18, length: 1, type: code, role: direction, debit: "D", credit: "C"}
        """
        let found = issues(yaml).map(\.message)
        #expect(found.contains { $0.contains("'currency' is only for structured layouts") })
        let signed = issues(yaml.replacingOccurrences(of: "currency: {value: EUR}\n", with: "")).map(\.message)
        #expect(signed.contains { $0.contains("need a structured layout") }, "\(signed)")
    }

    @Test func overpunchedAmounts() {
        let positive = Array("{ABCDEFGHI"), negative = Array("}JKLMNOPQR")
        for digit in 0...9 {
            #expect(decode("001" + String(positive[digit])) == Int64(10 + digit))
            #expect(decode("001" + String(negative[digit])) == -Int64(10 + digit))
            #expect(decode("001\(digit)") == Int64(10 + digit), "a plain last digit is positive")
        }
        #expect(decode("0000019814H") == 198148)
        #expect(decode("0000000597O") == -5976)
        #expect(decode("00 1A") == nil)
        #expect(decode("0001S") == nil)
        #expect(decode("}") == 0)
    }

    func decode(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { FieldDecoder.signedAmount($0.baseAddress!, offset: 0, length: bytes.count) }
    }

    @Test func recognitionFollowsConditions() throws {
        let layout = try #require(try CompiledLayout(LayoutParser.parse(yaml: Self.minimal, source: "t")).structured)
        let record = Array("D000012              ".utf8)
        var holds = [Bool](repeating: false, count: layout.records.count)
        let plain = record.withUnsafeBytes { raw in holds.withUnsafeBufferPointer { layout.classify(raw.baseAddress!, offset: 0, length: 20, whenHolds: $0.baseAddress) } }
        #expect(plain == 3)
        holds[2] = true
        let signed = record.withUnsafeBytes { raw in holds.withUnsafeBufferPointer { layout.classify(raw.baseAddress!, offset: 0, length: 20, whenHolds: $0.baseAddress) } }
        #expect(signed == 2)
        let unknown = Array("Q                   ".utf8).withUnsafeBytes { layout.classify($0.baseAddress!, offset: 0, length: 20, whenHolds: nil) }
        #expect(unknown == nil)
    }

    /// Every start in a file of groups gets the context a sequential read has there.
    @Test func contextAtEveryRecord() throws {
        let layout = try #require(try CompiledLayout(LayoutParser.parse(yaml: Self.minimal, source: "t")).structured)
        func line(_ text: String) -> String { text + String(repeating: " ", count: 20 - text.count) + "\n" }
        let lines = [line("AEU"), line("BSHOP1 P"), line("D21000100"), line("D27000200"), line("T0002"),
                     line("BSHOP2 S"), line("D00010A"), line("BSHOP3 P"), line("D21000001"), line("T0001")]
        let bytes = Array(lines.joined().utf8)
        let starts = lines.indices.map { $0 * 21 }
        let contexts = bytes.withUnsafeBytes { raw in
            PartitionPlanner.structuredContexts(bytes: raw, framing: .lf, layout: layout, starts: starts, fileHeader: 0, fileTrailer: nil)
        }
        // (group header in force, open?) before each record.
        let expected: [(Int?, Bool, StructuredKind?)] = [
            (nil, false, nil), (nil, false, .fileHeader), (21, true, .groupHeader), (21, true, .detail), (21, true, .detail),
            (21, false, .groupTrailer), (105, true, .groupHeader), (105, true, .detail), (147, true, .groupHeader), (147, true, .detail),
        ]
        for (index, context) in contexts.enumerated() {
            #expect(context.groupHeader == expected[index].0, "record \(index + 1)")
            #expect(context.groupOpen == expected[index].1, "record \(index + 1)")
            #expect(context.previousKind == expected[index].2, "record \(index + 1)")
            #expect(index == 0 || context.fileHeader == 0)
        }
    }
}

@Suite("Structured partials in markers")
struct StructuredPartialCodingTests {
    @Test func roundTripThroughJSON() throws {
        var partial = StructuredPartial()
        partial.scopes = [
            .init(isFile: true, key: -1, measures: ["0", "-17", "170141183460469231731687303715884105727"], header: nil, headerValues: nil,
                  trailer: .init(spec: 12, partition: 3, local: 7, offset: 9_000_000_000), trailerValues: [
                    .init(value: "5", other: nil), .init(value: nil, other: nil), .init(value: "a,b;c:d %-~\tz", other: "-6505"),
                    .init(value: "", other: ""),
                  ], records: 42),
            .init(isFile: false, key: 95, measures: [], header: .init(spec: 1, partition: 0, local: 1, offset: 95), headerValues: [],
                  trailer: nil, trailerValues: nil, records: 0),
        ]
        partial.warnings = [.init(kind: "trimmed", count: 9, first: [[0, 1], [2, 30]]), .init(kind: "bom", count: 1, first: [])]
        let data = try JSONEncoder().encode(partial)
        let decoded = try JSONDecoder().decode(StructuredPartial.self, from: data)
        #expect(decoded == partial)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StructuredPartial.self, from: Data("\"S\\t1\"".utf8)) }
    }
}
