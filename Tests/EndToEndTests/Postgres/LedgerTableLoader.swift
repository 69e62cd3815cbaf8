import Foundation

/// A generated CSV ledger loaded into a PostgreSQL table with COPY, keyed by each row's line number
/// in the CSV (so `ledger_line` reads the same from the table as from the file). Its own small
/// RFC 4180 splitter: rows may be ragged (a bad row of too few columns), quoted fields may hold
/// line breaks; a BOM and CRLF line ends are read as the engine reads them.
struct LedgerTableLoader {
    var header: [String]
    /// Each data row's first line (1-based, the header is line 1) and its fields.
    var rows: [(line: Int, fields: [String])]

    init(csv bytes: [UInt8]) {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field: [UInt8] = []
        var line = 1, recordLine = 1
        var quoted = false, atStart = true
        var index = bytes.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll()
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == 0x22 {
                    if index < bytes.endIndex && bytes[index] == 0x22 { field.append(0x22); index += 1 } else { quoted = false }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case 0x22 where atStart: quoted = true; atStart = false
            case 0x2C: endField(); atStart = true
            case 0x0D where index < bytes.endIndex && bytes[index] == 0x0A: continue
            case 0x0A:
                endField()
                records.append((recordLine, fields))
                fields = []
                line += 1
                recordLine = line
                atStart = true
            default: field.append(byte); atStart = false
            }
        }
        if !field.isEmpty || !fields.isEmpty { endField(); records.append((recordLine, fields)) }
        header = records.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        rows = Array(records.dropFirst())
    }

    /// `CREATE TABLE` with a `line` key and the header's columns (text, or `types` by name).
    func createTable(_ name: String, types: [String: String] = [:]) -> String {
        let columns = ["\"line\" bigint PRIMARY KEY"] + header.map { "\"\($0)\" \(types[$0] ?? "text")" }
        return "DROP TABLE IF EXISTS \(name); CREATE TABLE \(name) (\(columns.joined(separator: ", ")));"
    }

    /// The rows as CSV for `COPY ... (FORMAT csv)`: every field quoted, a missing one NULL.
    func copyText() -> String {
        var out = ""
        for row in rows {
            out += String(row.line)
            for index in header.indices {
                out += ","
                if index < row.fields.count { out += "\"" + row.fields[index].replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            }
            out += "\n"
        }
        return out
    }
}
