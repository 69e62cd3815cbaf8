/// The layout-language features of `StructuredLayout` that are about what bytes mean: the code page
/// recognition constants are compiled into, ISO 4217 numeric currencies, and the records that feed
/// field sums.
extension StructuredLayout {
    /// A recognition constant (a code, a match, a fill byte) as the file holds it: its text through
    /// the file's code page. Records are never rewritten, so recognition reads the bytes as they are.
    static func encoded(_ text: String, _ codePage: CodePage) -> [UInt8] {
        let latin1 = Array(text.utf8)
        guard codePage != .ascii else { return latin1 }
        return latin1.map { codePage.fromLatin1[Int($0)] }
    }

    /// Whether a detail's currency source (the role field, or the layout's `currency: {field}` in the
    /// record or its context) is declared `codes: iso4217-numeric`.
    static func currencyIsNumeric(_ record: StructuredRecordSpec, structure: StructuredSpec, in specs: [StructuredRecordSpec],
                                  roleField: FieldSpec?) -> Bool {
        if let roleField { return roleField.numericCurrency }
        guard case .field(let name)? = structure.currency else { return false }
        if let own = record.fields.first(where: { $0.name == name }) { return own.numericCurrency }
        let headers = specs.filter { $0.kind == .groupHeader || $0.kind == .fileHeader }
        return headers.lazy.compactMap { $0.fields.first { $0.name == name } }.first?.numericCurrency ?? false
    }

    static func isFieldSum(_ sum: ControlSpec.Sum) -> Bool {
        if case .field = sum { return true }
        return false
    }
}

extension ISO4217 {
    /// The most minor units any currency has (4: CLF, UYW): `scale: currency` amounts are totalled
    /// in at least this many decimals, so every currency's amounts convert exactly.
    static let maxMinorUnits = all.compactMap(\.minorUnits).max() ?? 2
}
