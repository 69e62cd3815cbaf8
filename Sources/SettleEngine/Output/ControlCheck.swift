/// The comparison of one file's trailer control totals with its valid detail records, and whether
/// the rejects explain the difference.
public struct ControlCheck: Sendable {
    public enum Status: String, Sendable {
        /// Every declared control equals the valid records' figure.
        case agree
        /// The differences are exactly what the rejected detail records account for.
        case explained
        /// A difference the rejects do not account for.
        case unexplained
        /// No trailer, or an unreadable one: nothing to compare.
        case unavailable
    }

    /// One compared figure.
    public struct Figure: Sendable {
        public var name: String
        public var declared: Int128
        public var actual: Int128
        /// What the rejected records account for (readable amounts; for the count, the rejected details).
        public var explainedByRejects: Int128
        public var difference: Int128 { declared - actual }
        public var unexplained: Int128 { difference - explainedByRejects }
    }

    public var file: String
    public var status: Status
    public var figures: [Figure]
    /// Rejected detail records whose amount (or direction) could not be read: they may account for
    /// an amount difference that cannot be checked to the unit.
    public var unreadableAmounts: Int
    public var unreadableFees: Int
    /// Structured layouts: every declared control and structure check, and the warnings.
    public var structured: StructuredReport?

    public static func check(file: FilePlan, valid: (count: Int, debit: Int128, credit: Int128, fee: Int128),
                             explanation: RejectExplanation) -> ControlCheck {
        guard let controls = file.controls, controls.readable else {
            return ControlCheck(file: file.path, status: .unavailable, figures: [], unreadableAmounts: explanation.unreadableAmounts,
                                unreadableFees: explanation.unreadableFees)
        }
        var figures: [Figure] = []
        if let count = controls.count {
            figures.append(Figure(name: "count", declared: count, actual: Int128(valid.count),
                                  explainedByRejects: Int128(explanation.rejectedDetails)))
        }
        if let debit = controls.debit {
            figures.append(Figure(name: "debit", declared: debit, actual: valid.debit, explainedByRejects: explanation.readableDebit))
        }
        if let credit = controls.credit {
            figures.append(Figure(name: "credit", declared: credit, actual: valid.credit, explainedByRejects: explanation.readableCredit))
        }
        if let fee = controls.fee {
            figures.append(Figure(name: "fee", declared: fee, actual: valid.fee, explainedByRejects: explanation.readableFee))
        }
        let status: Status
        if figures.allSatisfy({ $0.difference == 0 }) {
            status = .agree
        } else {
            let capacity = unreadableCapacity(layout: file.layout, explanation: explanation)
            status = carried(figures, capacity: capacity) ? .explained : .unexplained
        }
        return ControlCheck(file: file.path, status: status, figures: figures, unreadableAmounts: explanation.unreadableAmounts,
                            unreadableFees: explanation.unreadableFees)
    }

    /// The most the rejects whose amount or fee is unreadable can carry, in the totals' minor units:
    /// per such reject `10^digits - 1`, `digits` the length of its amount (or fee) field. Saturates
    /// at `Int128.max` (it cannot: 2^63 rejects of 18 digits are below 10^37).
    static func unreadableCapacity(layout: CompiledLayout, explanation: RejectExplanation) -> (amount: Int128, fee: Int128) {
        func capacity(_ rejects: Int, digits: Int?) -> Int128 {
            guard let digits, rejects > 0 else { return 0 }
            var largest: Int128 = 1
            for _ in 0..<min(digits, 37) { largest *= 10 }
            let (total, overflow) = Int128(rejects).multipliedReportingOverflow(by: largest - 1)
            return overflow ? .max : total
        }
        // The exact form's one detail (a flat layout's): only its rejects are explained.
        let detail = layout.program.plainDetail.map { layout.program.records[$0] }
        return (capacity(explanation.unreadableAmounts, digits: detail?.amount?.length),
                capacity(explanation.unreadableFees, digits: detail?.fee?.length))
    }

    /// Whether the rejects can carry every difference: what their readable figures leave over is
    /// never negative and fits in their unreadable fields (one amount each, debit or credit; the
    /// count has no unreadable part).
    static func carried(_ figures: [Figure], capacity: (amount: Int128, fee: Int128)) -> Bool {
        var amounts: Int128 = 0
        for figure in figures {
            let left = figure.unexplained
            guard left >= 0 else { return false }
            switch figure.name {
            case "debit", "credit":
                amounts += left
                if amounts > capacity.amount { return false }
            case "fee":
                if left > capacity.fee { return false }
            default:
                if left != 0 { return false }
            }
        }
        return true
    }

    /// One line for stderr.
    public var summaryLine: String {
        if let structured {
            let failed = structured.failed
            let warnings = structured.warnings.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")
            let warned = warnings.isEmpty ? "" : "; warnings: \(warnings)"
            if failed.isEmpty {
                return "\(file): \(structured.checks.count) checks passed (\(structured.groups) groups, \(structured.files) files)\(warned)"
            }
            return "\(file): \(failed.count) of \(structured.checks.count) checks FAILED\(warned)\n"
                + structured.lines(file: file).map { "settle:   \($0)" }.joined(separator: "\n")
        }
        switch status {
        case .agree:
            return "\(file): control totals agree (\(figures.map { "\($0.name) \($0.declared)" }.joined(separator: ", ")))"
        case .unavailable:
            return "\(file): control totals unavailable (no readable trailer)"
        case .explained, .unexplained:
            let parts = figures.filter { $0.difference != 0 }.map { figure in
                "\(figure.name) declared \(figure.declared), valid records \(figure.actual), difference \(figure.difference), rejects account for \(figure.explainedByRejects)"
            }
            let verdict = status == .explained ? "explained by the rejects" : "NOT explained by the rejects"
            let unreadable = unreadableAmounts > 0 ? " (\(unreadableAmounts) rejected record(s) with unreadable amounts)" : ""
            return "\(file): control totals differ, \(verdict)\(unreadable): \(parts.joined(separator: "; "))"
        }
    }
}
