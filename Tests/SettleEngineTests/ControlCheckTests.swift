import Testing
@testable import SettleEngine

/// `explained` means the rejects can carry the difference: what their readable figures leave over is
/// never negative and fits in their unreadable amount fields (reference layout: 12 digits, fee 10).
@Suite("Control check: what the rejects can carry")
struct ControlCheckTests {
    /// A reference-layout file whose trailer declares `debit`/`credit`/`fee` and 10 records; the valid
    /// records hold 9 records, debit 1,000, credit 0, fee 0; one rejected detail.
    static func check(debit: Int128, credit: Int128 = 0, fee: Int128 = 0, unreadableAmounts: Int = 1,
                      unreadableFees: Int = 0) -> ControlCheck.Status {
        let layout = TestSupport.reference
        let file = FilePlan(index: 0, path: "f.dat", layout: layout, layoutName: "reference", sizeBytes: 0, framing: .lf,
                            headerOffset: 0, trailerOffset: 0, headerValues: [],
                            controls: .init(count: 10, debit: debit, credit: credit, fee: fee, readable: true), fileRejects: [])
        let explanation = RejectExplanation(rejectedDetails: 1, unreadableAmounts: unreadableAmounts, unreadableFees: unreadableFees)
        return ControlCheck.check(file: file, valid: (count: 9, debit: 1_000, credit: 0, fee: 0), explanation: explanation).status
    }

    static let twelveNines: Int128 = 999_999_999_999

    @Test("one unreadable 12-digit amount carries at most 999,999,999,999 minor units")
    func amountCapacityEdges() {
        #expect(Self.check(debit: 1_000 + Self.twelveNines) == .explained)
        #expect(Self.check(debit: 1_000 + Self.twelveNines + 1) == .unexplained)
        #expect(Self.check(debit: 1_000 + 100_000_000_000_000_000) == .unexplained)
        // Two such rejects carry twice as much, no more.
        #expect(Self.check(debit: 1_000 + 2 * Self.twelveNines, unreadableAmounts: 2) == .explained)
        #expect(Self.check(debit: 1_000 + 2 * Self.twelveNines + 1, unreadableAmounts: 2) == .unexplained)
        // Each reject has one amount, debit or credit: together they share the capacity.
        #expect(Self.check(debit: 1_000 + Self.twelveNines, credit: 1) == .unexplained)
        #expect(Self.check(debit: 1_000 + Self.twelveNines - 1, credit: 1) == .explained)
    }

    @Test("a negative difference is never explained; nothing unreadable carries nothing")
    func negativeAndZeroCapacity() {
        #expect(Self.check(debit: 999) == .unexplained)
        #expect(Self.check(debit: 1_001, unreadableAmounts: 0) == .unexplained)
        #expect(Self.check(debit: 1_001) == .explained)
    }

    @Test("an unreadable 10-digit fee carries at most 9,999,999,999")
    func feeCapacityEdges() {
        #expect(Self.check(debit: 1_000, fee: 9_999_999_999, unreadableAmounts: 0, unreadableFees: 1) == .explained)
        #expect(Self.check(debit: 1_000, fee: 10_000_000_000, unreadableAmounts: 0, unreadableFees: 1) == .unexplained)
        #expect(Self.check(debit: 1_000, fee: -1, unreadableAmounts: 0, unreadableFees: 1) == .unexplained)
        #expect(Self.check(debit: 1_000, fee: 1, unreadableAmounts: 1, unreadableFees: 0) == .unexplained)
    }
}
