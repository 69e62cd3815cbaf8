/// The checks of `--match` against the run's inputs, made before any work (exit 2).
extension MatchSpec {
    /// Whether the ledger (CSV spec or fixed-width layout) and every settlement layout can serve
    /// the passes: a pass on reference needs the CSV ledger's reference column; a pass on dates
    /// needs the ledger's date column and a `date` role on every layout.
    public func check(inputs: [AggregateOptions.Input], ledgerSpec: String?, ledgerLayout: String?) throws {
        var ledgerHasDate = true
        if let ledgerLayout {
            if needsDate { ledgerHasDate = try Self.layoutHasDate(ledgerLayout) }
            try check(ledgerHasReference: true, ledgerHasDate: ledgerHasDate)
        } else {
            let ledger = try LedgerSpec.load(ledgerSpec).spec
            ledgerHasDate = ledger.columns[LedgerSpec.Role.date.rawValue] != nil
            try check(ledgerHasReference: ledger.columns[LedgerSpec.Role.reference.rawValue] != nil, ledgerHasDate: ledgerHasDate)
        }
        guard needsDate else { return }
        var without: [String] = []
        for name in Set(inputs.filter { !$0.isLedger }.map(\.layout)).sorted() where try !Self.layoutHasDate(name) { without.append(name) }
        try check(ledgerHasReference: true, ledgerHasDate: true, layoutsWithoutDate: without)
    }

    /// A flat layout whose detail has a `date` role of 8 (YYYYMMDD) or 6 (YYMMDD) bytes.
    static func layoutHasDate(_ name: String) throws -> Bool {
        let layout = try LayoutLoader.compile(name)
        guard layout.structured == nil, let field = layout.detail.field(role: .date) else { return false }
        return DateFormat.ofLayoutField(length: field.length) != nil
    }
}
