import SettleEngine

/// The `ledger-spec.yaml` written next to a messy or signed ledger: the column names it uses, decimal
/// amounts, and the direction words (or `signed: true`), in the engine's `--ledger-spec` format.
enum LedgerSpecFile {
    static let fileName = "ledger-spec.yaml"

    static func text(style: LedgerStyle) -> String {
        let signed = style == .signed
        var text = "# How to read the \(style.rawValue) ledger written by settle generate (--ledger-spec).\n"
        text += "delimiter: \",\"\n"
        text += "columns: {reference: \(MessyLedgerRow.referenceName), merchant: \(MessyLedgerRow.merchantName), "
        text += "currency: \(MessyLedgerRow.currencyName), amount: \(MessyLedgerRow.amountName)"
        text += signed ? "}\n" : ", direction: \(MessyLedgerRow.directionName)}\n"
        text += "amount: decimal\n"
        text += "signed: \(signed)\n"
        if !signed {
            text += "directions: {debit: [D, DEBIT, DR, SALE], credit: [C, CREDIT, CR, REFUND]}\n"
        }
        return text
    }
}
