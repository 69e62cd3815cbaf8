import SettleEngine

/// How `settle generate` writes the company's ledger: the engine's default CSV, or the ways real
/// exports differ, so reconciliation is tested against both.
package enum LedgerStyle: String, Sendable, CaseIterable {
    /// `arn,merchant_id,currency,amount,direction`: minor units, `D`/`C`, LF, no BOM (the default
    /// ledger spec).
    case plain
    /// A UTF-8 BOM, CRLF, other column names in another order, extra columns (a quoted free-text note
    /// with commas, doubled quotes and line breaks), decimal amounts, direction words varying row by
    /// row, references with spaces, quotes or without their leading zeros; `ledger-spec.yaml` says how
    /// to read it.
    case messy
    /// As `messy`, but without a direction column: a credit is a negative amount.
    case signed

    /// Whether `ledger-spec.yaml` is needed to read the ledger.
    var needsSpec: Bool { self != .plain }
}
