import Testing
import Foundation
@testable import SettleEngine

@Suite("Layout parsing and validation")
struct LayoutTests {
    static let minimal = """
    name: t
    record_length: 20
    terminator: lf
    record_type: {start: 1, length: 1}
    records:
      detail:
        code: "D"
        fields:
          - {name: merchant, start: 2, length: 5, type: text, role: merchant}
          - {name: currency, start: 7, length: 3, type: text, role: currency}
          - {name: amount, start: 10, length: 8, type: amount, role: amount}
          - {name: dir, start: 18, length: 1, type: code, role: direction, debit: "D", credit: "C"}
    """

    func issues(_ yaml: String) -> [LayoutIssue] { TestSupport.layoutIssues(yaml) }

    @Test func parsesTheReferenceLayout() throws {
        let spec = try LayoutLoader.load("reference")
        #expect(spec.name == "reference")
        #expect(spec.recordLength == 160)
        #expect(spec.terminator == .lf)
        let detail = try #require(spec.record(.detail))
        let amount = try #require(detail.fields.first { $0.role == .amount })
        #expect(amount.position.start == 67 && amount.position.length == 12 && amount.position.offset == 66)
        #expect(spec.record(.trailer)?.fields.count == 4)
        let compiled = try CompiledLayout(spec)
        #expect(compiled.merchant.offset == 24 && compiled.merchant.length == 15)
        #expect(compiled.debitCode == UInt64(UInt8(ascii: "D")))
    }

    /// Every YAML file of datasets/layouts is a built-in (listed in Package.swift and BuiltinLayoutFiles).
    @Test func everyLayoutFileIsBuiltIn() throws {
        let folder = "\(TestSupport.packageRoot)/datasets/layouts"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(files == BuiltinLayouts.names, "add the new layout to the SettleLayouts target in Package.swift and to datasets/layouts/BuiltinLayoutFiles.swift")
    }

    @Test(arguments: BuiltinLayouts.names)
    func builtinLayoutsEqualTheirYAMLFiles(name: String) throws {
        let onDisk = try FileIO.readText(path: "\(TestSupport.packageRoot)/datasets/layouts/\(name).yaml")
        #expect(BuiltinLayouts.texts[name] == onDisk, "the embedded datasets/layouts/\(name).yaml differs from the file: rebuild")
        #expect(try LayoutLoader.load(name) == LayoutLoader.load("\(TestSupport.packageRoot)/datasets/layouts/\(name).yaml").withSource("builtin:\(name)"))
    }

    @Test func minimalLayoutIsValid() {
        #expect(issues(Self.minimal).isEmpty)
    }

    @Test func pathOrName() {
        #expect(LayoutLoader.isPath("a/b"))
        #expect(LayoutLoader.isPath("x.yaml"))
        #expect(LayoutLoader.isPath("x.yml"))
        #expect(!LayoutLoader.isPath("reference"))
    }

    @Test func unknownBuiltinNamesTheChoices() {
        #expect(throws: SettleError.self) { try LayoutLoader.load("nosuch") }
        do {
            _ = try LayoutLoader.load("nosuch")
        } catch let error as SettleError {
            #expect(error.code == .usage)
            #expect(error.message.contains("reference"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func overlappingFields() {
        let yaml = Self.minimal.replacingOccurrences(of: "{name: currency, start: 7", with: "{name: currency, start: 6")
        let found = issues(yaml)
        #expect(found.map(\.code) == [.overlap])
        #expect(found.first?.path == "records.detail.fields[1] (currency)")
        #expect(found.first?.message.contains("merchant") == true)
        #expect(found.first?.line == 10)
    }

    @Test func fieldPastRecordEnd() {
        let yaml = Self.minimal.replacingOccurrences(of: "record_length: 20", with: "record_length: 17")
        let found = issues(yaml)
        #expect(found.contains { $0.code == .pastRecordEnd && $0.path.contains("dir") })
    }

    @Test func unknownTypeAndRole() {
        let yaml = Self.minimal
            .replacingOccurrences(of: "type: amount, role: amount", with: "type: money, role: amount")
            .replacingOccurrences(of: "type: text, role: currency", with: "type: text, role: ccy")
        let found = issues(yaml)
        #expect(found.contains { $0.code == .unknownType && $0.message.contains("'money'") && $0.path.contains("amount") })
        #expect(found.contains { $0.code == .unknownRole && $0.message.contains("'ccy'") })
    }

    @Test func missingRequiredRole() {
        let yaml = Self.minimal.replacingOccurrences(of: ", role: currency", with: "")
        let found = issues(yaml)
        #expect(found.map(\.code) == [.missingRole])
        #expect(found.first?.message.contains("currency") == true)
    }

    @Test func duplicateRecordCode() {
        let yaml = Self.minimal + """

      trailer:
        code: "D"
        fields: []
    """
        #expect(issues(yaml).contains { $0.code == .duplicateCode })
    }

    @Test func codeLengthMustMatchRecordType() {
        let yaml = Self.minimal.replacingOccurrences(of: "code: \"D\"", with: "code: \"DD\"")
        #expect(issues(yaml).contains { $0.code == .badCode && $0.path == "records.detail.code" })
    }

    @Test func unknownKeyIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "type: amount,", with: "type: amount, lenght: 3,")
        let found = issues(yaml)
        #expect(found.contains { $0.code == .unknownKey && $0.message.contains("lenght") })
    }

    @Test func directionNeedsDebitAndCredit() {
        let yaml = Self.minimal.replacingOccurrences(of: ", credit: \"C\"", with: "")
        #expect(issues(yaml).contains { $0.code == .badValue && $0.message.contains("credit") })
    }

    @Test func roleOnTheWrongRecord() {
        let yaml = Self.minimal + """

      trailer:
        code: "T"
        fields:
          - {name: n, start: 2, length: 5, type: digits, role: merchant}
    """
        let found = issues(yaml)
        #expect(found.contains { $0.code == .wrongRecordKind })
        #expect(found.contains { $0.code == .duplicateRole })
    }

    @Test func amountTooLong() {
        let yaml = Self.minimal
            .replacingOccurrences(of: "record_length: 20", with: "record_length: 40")
            .replacingOccurrences(of: "{name: amount, start: 10, length: 8", with: "{name: amount, start: 19, length: 19")
            .replacingOccurrences(of: "{name: dir, start: 18", with: "{name: dir, start: 10")
        #expect(issues(yaml).contains { $0.code == .fieldTooLong })
    }

    @Test func notYAML() {
        let found = issues("name: [unclosed")
        #expect(found.first?.code == .syntax)
    }

    @Test func layoutErrorDescriptionNamesFileAndLine() {
        let yaml = Self.minimal.replacingOccurrences(of: "{name: currency, start: 7", with: "{name: currency, start: 6")
        do {
            _ = try LayoutParser.parse(yaml: yaml, source: "my.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("my.yaml: line 10: records.detail.fields[1] (currency)"))
        }
    }
}

extension LayoutSpec {
    func withSource(_ source: String) -> LayoutSpec {
        var copy = self
        copy.source = source
        return copy
    }
}
