/// Money as its readers speak it (report.html and the stderr summary): major units with the
/// currency's ISO 4217 decimals and thousands separators, the code after (`85,093,753.09 USD`,
/// `1,234 JPY`, `1.234 KWD`). The CSV files keep minor units. A code ISO 4217 does not list, or
/// one without minor units (XAU), is shown with 2 decimals, as `CurrencyExponent` reads ledgers.
package enum MoneyText {
    package static func exponent(_ currency: String) -> Int {
        ISO4217.byAlpha(currency)?.minorUnits ?? CurrencyExponent.of(currency)
    }

    package static func major(_ minor: Int128, currency: String) -> String {
        major(String(minor), currency: currency)
    }

    /// `digits`: minor units as the outputs write them (maybe negative); anything else unchanged.
    package static func major(_ digits: String, currency: String) -> String {
        let negative = digits.hasPrefix("-")
        let body = negative ? String(digits.dropFirst()) : digits
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return digits }
        let decimals = exponent(currency)
        let padded = String(repeating: "0", count: max(0, decimals + 1 - body.count)) + body
        let whole = String(padded.dropLast(decimals)), fraction = String(padded.suffix(decimals))
        let sign = negative && body.contains(where: { $0 != "0" }) ? "-" : ""
        return sign + ProgressLine.groupDigits(whole) + (decimals > 0 ? "." + fraction : "") + " " + currency
    }
}
