/// `--excel-safe`: a spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (or a tab or a
/// carriage return before one) as a formula, so a merchant name, file name or raw record taken from an
/// input could run in the reader's spreadsheet (CSV injection). OWASP's advice is to begin such
/// cells with `'`, which spreadsheets show as text. The CSV files stay exact by default (programs
/// read them); with `--excel-safe` every text cell of every CSV output that begins with one of
/// those bytes gets the `'`. Numeric columns (counts, amounts, record numbers, byte offsets) never
/// do: `-1200` in an amount column is a number, and prefixing it would make it text. A text column
/// is prefixed even when its value looks like a number (merchant `-1200`).
///
/// Applied to one finished CSV line (a record and its LF) by scanning its cells, so the writers
/// stay as they are; it runs only when the option is on.
struct ExcelSafe {
    /// 0-based columns holding numbers, per file.
    let numericColumns: [Int]

    static let totals = ExcelSafe(numericColumns: [2, 3, 4, 5, 6, 7])
    static let rejects = ExcelSafe(numericColumns: [1, 2])
    static let reconciliation = ExcelSafe(numericColumns: [2, 3, 4, 5, 6, 7, 8, 9])
    static let mismatches = ExcelSafe(numericColumns: [5, 9, 10, 12, 14])

    /// The bytes that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
    @inline(__always)
    static func isTrigger(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
            || byte == 0x09 || byte == 0x0D
    }

    /// Prefixes `'` to each text cell of `line` that begins with a trigger (inside the quotes of a
    /// quoted cell). `line` is one RFC 4180 record as the writers make it.
    func apply(to line: inout [UInt8]) {
        var index = 0
        var column = 0
        while index < line.count {
            let quoted = line[index] == UInt8(ascii: "\"")
            let start = quoted ? index + 1 : index
            if start < line.count, Self.isTrigger(line[start]), !numericColumns.contains(column) {
                line.insert(UInt8(ascii: "'"), at: start)
            }
            index = quoted ? Self.endOfQuoted(line, from: start) : start
            while index < line.count && line[index] != UInt8(ascii: ",") && line[index] != 0x0A { index += 1 }
            if index >= line.count || line[index] == 0x0A { return }
            index += 1
            column += 1
        }
    }

    /// The index just past the closing quote of a quoted cell whose content starts at `start`.
    private static func endOfQuoted(_ line: [UInt8], from start: Int) -> Int {
        var index = start
        while index < line.count {
            if line[index] == UInt8(ascii: "\"") {
                if index + 1 < line.count && line[index + 1] == UInt8(ascii: "\"") {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return index
    }

    /// Applies `style` to `line` when `enabled`.
    @inline(__always)
    static func apply(_ enabled: Bool, _ style: ExcelSafe, to line: inout [UInt8]) {
        if enabled { style.apply(to: &line) }
    }
}
