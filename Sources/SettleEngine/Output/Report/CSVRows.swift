import SystemPackage

/// Reads a published CSV file (RFC 4180: quoted fields, doubled quotes) record by record in 1 MiB
/// chunks, so a report can take the first rows of a rejects file of millions of lines, or scan a
/// totals.csv of a million rows, without holding the file in memory and without making a `String`
/// of a field it does not keep. A body returns false to stop early.
enum CSVRows {
    /// Each record's fields as strings.
    static func forEach(path: String, _ body: (_ fields: [String]) throws -> Bool) throws {
        try forEachLine(path: path) { line in try body(fields(line)) }
    }

    /// Each record's bytes, without its line end (a line end inside quotes belongs to the record).
    /// The slice is valid only during the call.
    static func forEachLine(path: String, _ body: (_ line: ArraySlice<UInt8>) throws -> Bool) throws {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.unreadableInput, "cannot open \(path): \(error)")
        }
        try fd.closeAfter {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            // The start of a record that continues in the next chunk.
            var carry: [UInt8] = []
            var quoted = false
            while true {
                let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                if count == 0 { break }
                var start = 0
                for index in 0..<count {
                    let byte = chunk[index]
                    if byte == UInt8(ascii: "\"") { quoted.toggle() }
                    guard byte == 0x0A && !quoted else { continue }
                    if carry.isEmpty {
                        if index > start, try !body(chunk[start..<index]) { return }
                    } else {
                        carry.append(contentsOf: chunk[start..<index])
                        if try !body(carry[...]) { return }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start = index + 1
                }
                carry.append(contentsOf: chunk[start..<count])
            }
            if !carry.isEmpty { _ = try body(carry[...]) }
        }
    }

    /// The fields of one record.
    static func fields(_ line: ArraySlice<UInt8>) -> [String] {
        var fields: [String] = []
        var index = line.startIndex
        while true {
            let (text, next) = field(line, from: index)
            fields.append(text)
            guard let next else { return fields }
            index = next
        }
    }

    /// The field at 0-based `position`, or nil when the record has fewer fields.
    static func field(_ position: Int, of line: ArraySlice<UInt8>) -> String? {
        var index = line.startIndex
        for _ in 0..<position {
            guard let next = skipField(line, from: index) else { return nil }
            index = next
        }
        return field(line, from: index).text
    }

    /// An unquoted field of digits (with an optional minus) at `position` as an integer, without
    /// making a string; nil when it is anything else.
    static func integer(_ position: Int, of line: ArraySlice<UInt8>) -> Int? {
        var index = line.startIndex
        for _ in 0..<position {
            guard let next = skipField(line, from: index) else { return nil }
            index = next
        }
        var value = 0
        var negative = false
        var digits = 0
        while index < line.endIndex && line[index] != UInt8(ascii: ",") && line[index] != 0x0D {
            let byte = line[index]
            if byte == UInt8(ascii: "-") && digits == 0 && !negative {
                negative = true
            } else if byte >= 0x30 && byte <= 0x39 && digits < 18 {
                value = value * 10 + Int(byte - 0x30)
                digits += 1
            } else {
                return nil
            }
            index += 1
        }
        return digits > 0 ? (negative ? -value : value) : nil
    }

    /// Where the field after the one starting at `index` starts; nil when it is the last.
    private static func skipField(_ line: ArraySlice<UInt8>, from start: Int) -> Int? {
        var quoted = false
        var index = start
        while index < line.endIndex {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if byte == UInt8(ascii: ",") && !quoted { return index + 1 }
            index += 1
        }
        return nil
    }

    /// The field starting at `start`, quotes undone, and where the next one starts (nil: last).
    private static func field(_ line: ArraySlice<UInt8>, from start: Int) -> (text: String, next: Int?) {
        var bytes: [UInt8] = []
        var quoted = false
        var index = start
        let end = line.last == 0x0D ? line.endIndex - 1 : line.endIndex
        while index < end {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < end && line[index + 1] == UInt8(ascii: "\"") {
                        bytes.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    bytes.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                return (String(decoding: bytes, as: UTF8.self), index + 1)
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return (String(decoding: bytes, as: UTF8.self), nil)
    }
}
