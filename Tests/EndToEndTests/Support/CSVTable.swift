/// An RFC 4180 reader for the CSV files the tests compare: quoted fields may hold commas, quotes
/// (doubled) and line breaks. Written here, not taken from the engine, so the two cannot share a bug.
struct CSVTable: Equatable, CustomStringConvertible {
    var header: [String]
    var rows: [[String]]

    enum ParseError: Error, CustomStringConvertible {
        case unterminatedQuote
        case textAfterClosingQuote(row: Int)
        case missingFinalNewline
        case ragged(row: Int, fields: Int, expected: Int)

        var description: String {
            switch self {
            case .unterminatedQuote: "CSV: a quoted field is never closed"
            case .textAfterClosingQuote(let row): "CSV: text after a closing quote in row \(row)"
            case .missingFinalNewline: "CSV: the last row has no line break"
            case .ragged(let row, let fields, let expected): "CSV: row \(row) has \(fields) fields, the header \(expected)"
            }
        }
    }

    init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    init(parsing bytes: [UInt8]) throws {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var index = 0
        var atFieldStart = true
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if atFieldStart && byte == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                        } else {
                            index += 1
                            closed = true
                            break
                        }
                    } else {
                        field.append(bytes[index])
                        index += 1
                    }
                }
                if !closed { throw ParseError.unterminatedQuote }
                atFieldStart = false
                if index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != 0x0A, bytes[index] != 0x0D {
                    throw ParseError.textAfterClosingQuote(row: records.count)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
                atFieldStart = true
            case 0x0D where index + 1 < bytes.count && bytes[index + 1] == 0x0A:
                break
            case 0x0A:
                endField()
                records.append(record)
                record = []
                atFieldStart = true
            default:
                field.append(byte)
                atFieldStart = false
            }
            index += 1
        }
        if !record.isEmpty || !field.isEmpty || !atFieldStart { throw ParseError.missingFinalNewline }
        guard let header = records.first else {
            self.init(header: [], rows: [])
            return
        }
        for (number, row) in records.enumerated() where row.count != header.count {
            throw ParseError.ragged(row: number, fields: row.count, expected: header.count)
        }
        self.init(header: header, rows: Array(records.dropFirst()))
    }

    init(contentsOfFile path: String) throws {
        try self.init(parsing: try readBytes(path))
    }

    /// The values of `names`, in that order, for every row.
    func columns(_ names: [String]) throws -> [[String]] {
        let indices = try names.map { name in
            guard let index = header.firstIndex(of: name) else { throw MissingColumn(name: name, header: header) }
            return index
        }
        return rows.map { row in indices.map { row[$0] } }
    }

    func column(_ name: String) throws -> [String] { try columns([name]).map { $0[0] } }

    struct MissingColumn: Error, CustomStringConvertible {
        var name: String
        var header: [String]
        var description: String { "CSV: no column '\(name)' in header \(header)" }
    }

    var description: String {
        ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n")
    }
}
