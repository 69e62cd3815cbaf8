/// The code page a layout's records are written in (`encoding:` in the YAML). Records are never
/// rewritten: recognition codes are compiled into the file's code page, and the map stage
/// translates each record's bytes through the code page's table as it reads them (see
/// `StructuredScanner`), so rejects and reports show decoded, then masked, text.
public enum LayoutEncoding: String, Sendable, CaseIterable {
    case ascii
    case ebcdicCP500 = "ebcdic-cp500"
    case ebcdicCP037 = "ebcdic-cp037"
    /// Decided per file from its first record (`summary.json` says which).
    case auto

    /// The code page a resolved encoding reads through; `auto` reads as ASCII until resolved.
    var codePage: CodePage {
        switch self {
        case .ascii, .auto: .ascii
        case .ebcdicCP500: .ebcdicCP500
        case .ebcdicCP037: .ebcdicCP037
        }
    }
}
