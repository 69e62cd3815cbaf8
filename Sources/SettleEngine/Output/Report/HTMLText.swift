/// Building the report's HTML as text: every value that comes from data goes through `escape`, so
/// a merchant name, a reject's raw bytes or a file path can never become markup.
enum HTMLText {
    /// Escapes the five characters that matter in text and in quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A count with thousands separators: 1234567 -> "1,234,567".
    static func count(_ value: Int) -> String { ProgressLine.grouped(value) }

    /// An amount in minor units as written in the outputs (a string of digits, maybe negative),
    /// with thousands separators; anything else is shown as it is (escaped by the caller).
    static func money(_ digits: String) -> String {
        let negative = digits.hasPrefix("-")
        let body = negative ? String(digits.dropFirst()) : digits
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return digits }
        return (negative ? "-" : "") + ProgressLine.groupDigits(body)
    }

    /// A decimal with `decimals` digits after the point, without Foundation's locale.
    static func decimal(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        let sign = value < 0 && scaled > 0 ? "-" : ""
        if decimals == 0 { return sign + String(whole) }
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// `<tag attributes>escaped text</tag>`.
    static func element(_ tag: String, _ text: String, id: String? = nil, classes: String? = nil) -> String {
        var open = "<" + tag
        if let id { open += " id=\"" + escape(id) + "\"" }
        if let classes { open += " class=\"" + escape(classes) + "\"" }
        return open + ">" + escape(text) + "</" + tag + ">"
    }

    /// A table: header cells, then rows of already-built cell HTML (each cell's content escaped by
    /// whoever built it). `numeric` marks columns aligned right.
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = [], id: String? = nil) -> String {
        var out = "<table" + (id.map { " id=\"\(escape($0))\"" } ?? "") + "><thead><tr>"
        for (index, cell) in header.enumerated() {
            out += numeric.contains(index) ? "<th class=\"num\">" : "<th>"
            out += escape(cell) + "</th>"
        }
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for (index, cell) in row.enumerated() {
                out += (numeric.contains(index) ? "<td class=\"num\">" : "<td>") + cell + "</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }
}
