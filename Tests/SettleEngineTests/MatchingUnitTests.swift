import Testing
@testable import SettleEngine

@Suite("Matching passes, open-item days and money text")
struct MatchingUnitTests {
    @Test("money in major units with ISO 4217 decimals", arguments: zip(
        [("8509375309", "USD"), ("1234", "JPY"), ("1234", "KWD"), ("-5", "EUR"), ("0", "EUR"), ("123456789012", "CLF"), ("x", "EUR")],
        ["85,093,753.09 USD", "1,234 JPY", "1.234 KWD", "-0.05 EUR", "0.00 EUR", "12,345,678.9012 CLF", "x"]))
    func money(input: (String, String), expected: String) {
        #expect(MoneyText.major(input.0, currency: input.1) == expected)
    }

    @Test("tolerance: the larger of minor units and basis points of the larger amount")
    func tolerance() {
        let rule = PairRule(merchant: true, currency: true, direction: true, toleranceMinor: 2, toleranceBasisPoints: 5)
        #expect(rule.agrees(1000, 1002) && !rule.agrees(1000, 1003))
        // 5 basis points of 100,000 is 50.
        #expect(rule.agrees(100_000, 100_050) && !rule.agrees(100_000, 100_051))
        let exact = MatchSpec.default.passes[0].rule
        #expect(exact.agrees(7, 7) && !exact.agrees(7, 8))
    }

    @Test("the match file: defaults, errors with their line")
    func parse() throws {
        let spec = try MatchSpec.parse(text: "passes:\n  - name: exact\n  - name: loose\n    on: [merchant, currency]\n    kind: one_to_many\n", source: "m.yaml")
        #expect(spec.passes.map(\.name) == ["exact", "loose"])
        #expect(spec.referencePasses.count == 1 && spec.leftoverPasses.first?.kind == .oneToMany)
        #expect(throws: SettleError.self) { try MatchSpec.parse(text: "passes:\n  - name: a\n    on: [merchant]\n  - name: b\n    on: [reference]\n", source: "m.yaml") }
        do {
            _ = try MatchSpec.parse(text: "passes:\n  - name: a\n    on: [merchant, colour]\n", source: "m.yaml")
            Issue.record("an unknown key was accepted")
        } catch let error as SettleError {
            #expect(error.message == "match file m.yaml:3: pass 'a': unknown key 'colour' in `on` (keys: reference, merchant, currency, direction, amount, date)")
        }
    }

    @Test("calendar days round-trip and reject impossible dates")
    func days() {
        #expect(CalendarDay.parse("1970-01-01") == 0)
        #expect(CalendarDay.parse("2026-03-01").map(CalendarDay.format) == "2026-03-01")
        #expect(CalendarDay.parse("2024-02-29")! - CalendarDay.parse("2024-02-28")! == 1)
        #expect(CalendarDay.parse("2023-02-29") == nil && CalendarDay.parse("2026-3-1") == nil)
    }

    @Test("open-item rows read back as written, quoted fields included")
    func openItemRows() throws {
        let rows = OpenItemsCSV.parse("side,x\nsettled,\"a,\"\"b\"\nledger,\n")
        #expect(rows == [["side", "x"], ["settled", "a,\"b"], ["ledger", ""]])
        let item = try #require(OpenItemsCSV.item(["ledger", "", "MER1", "EUR", "credit", "120", "2026-03-01", "1", "", "", "l.csv", "7"]))
        #expect(item.occurrence.isLedger && item.occurrence.isCredit && item.number == 7 && item.path == "l.csv" && item.reference.byteCount == 0)
    }
}
