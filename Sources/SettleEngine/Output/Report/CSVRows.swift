import SystemPackage

/// Reads a published CSV file (RFC 4180: quoted fields, doubled quotes) row by row in chunks, so a
/// report can take the first rows of a rejects file of millions of lines, or scan totals.csv once,
/// without holding the file in memory. `body` returns false to stop early.
enum CSVRows {
    static func forEach(path: String, _ body: (_ fields: [String]) throws -> Bool) throws {
        try forEachLine(path: path) { line in try body(fields(line)) }
    }

    /// Each record's bytes, without its line end (a line end inside quotes belongs to the record).
    static func forEachLine(path: String, _ body: (_ line: [UInt8]) throws -> Bool) throws {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.unreadableInput, "cannot open \(path): \(error)")
        }
        try fd.closeAfter {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var line: [UInt8] = []
            var quoted = false
            while true {
                let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                if count == 0 { break }
                for byte in chunk[0..<count] {
                    if byte == UInt8(ascii: "\"") { quoted.toggle() }
                    if byte == 0x0A && !quoted {
                        if !line.isEmpty, try !body(line) { return }
                        line.removeAll(keepingCapacity: true)
                    } else {
                        line.append(byte)
                    }
                }
            }
            if !line.isEmpty { _ = try body(line) }
        }
    }

    /// The fields of one record (without its line end).
    static func fields(_ line: [UInt8]) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = 0
        let end = line.last == 0x0D ? line.count - 1 : line.count
        while index < end {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < end && line[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else {
                field.append(byte)
            }
            index += 1
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}
