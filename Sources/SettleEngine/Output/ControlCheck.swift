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
            let explained = figures.allSatisfy { figure in
                if figure.unexplained == 0 { return true }
                // An amount left over can only be carried by rejects whose amount is unreadable.
                switch figure.name {
                case "debit", "credit": return explanation.unreadableAmounts > 0
                case "fee": return explanation.unreadableFees > 0 || explanation.unreadableAmounts > 0
                default: return false
                }
            }
            status = explained ? .explained : .unexplained
        }
        return ControlCheck(file: file.path, status: status, figures: figures, unreadableAmounts: explanation.unreadableAmounts,
                            unreadableFees: explanation.unreadableFees)
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
