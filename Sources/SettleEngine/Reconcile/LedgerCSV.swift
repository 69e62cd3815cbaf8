#if canImport(Glibc)
import Glibc
#endif

/// A ledger file as the plan resolved it: where the data rows start (after an optional UTF-8 BOM
/// and the header row), the header's column names and where each needed role sits.
public struct LedgerFile: Sendable {
    public var spec: LedgerSpec
    public var header: [String]
    /// Column index per `LedgerSpec.Role` (-1 for an absent direction column).
    public var columns: [Int]
    /// Byte offset of the first data row.
    public var dataStart: Int
    /// Lines the header row spans (1 unless a quoted name holds a line end).
    public var headerLines: Int
    /// The settlement layout's reference width, to which digit-only references are padded.
    public var referenceWidth: Int

    /// Reads a ledger file's header and finds the spec's columns in it; throws naming the file.
    public static func resolve(path: String, spec: LedgerSpec, referenceWidth: Int, mapped: MappedFile) throws -> LedgerFile {
        guard let header = mapped.withBytes({ LedgerCSV.header($0, delimiter: spec.delimiter) }), !header.names.isEmpty,
              header.names != [""] else {
            throw SettleError(.unreadableInput, "ledger \(path): no header row (expected column names such as \(spec.columns.compactMap { $0 }.joined(separator: ",")))")
        }
        let columns = try spec.resolve(header: header.names, file: path)
        return LedgerFile(spec: spec, header: header.names, columns: columns, dataStart: header.dataStart,
                          headerLines: header.lines, referenceWidth: referenceWidth)
    }

    /// The header name of a role's column, for rejects.
    public func columnName(_ role: Int) -> String {
        guard role >= 0 && role < columns.count && columns[role] >= 0 && columns[role] < header.count else { return "" }
        return header[columns[role]]
    }
}

/// RFC 4180 rows read straight from mapped bytes: quoted fields with doubled quotes, delimiters and
/// line ends inside quotes, CRLF or LF, spaces around a quoted field tolerated. No allocation per row:
/// the fields Settle needs are reported as byte ranges.
public enum LedgerCSV {
    /// One field: its bytes (quotes excluded) and whether they hold a doubled quote to unescape.
    public struct Field: Sendable {
        public var start = 0
        public var end = 0
        public var hasEscapes = false
    }

    public enum RowStatus: Sendable, Equatable {
        case ok
        /// Only spaces (and the line end): skipped.
        case blank
        /// Wrong number of columns or a quote out of place.
        case malformed
    }

    public struct Row {
        public var status: RowStatus
        /// Offset just past the row's line end (or the limit).
        public var end: Int
        /// Line ends inside the row (inside quotes) plus its own: the lines it spans.
        public var lines: Int
        public var columnCount: Int
    }

    /// Reads the row starting at `start` (before `limit`); fills `fields[role]` for the roles whose
    /// column index is in `columns`.
    @inline(__always)
    public static func row(_ base: UnsafeRawPointer, start: Int, limit: Int, delimiter: UInt8, columns: UnsafeBufferPointer<Int>,
                           fields: UnsafeMutableBufferPointer<Field>) -> Row {
        var at = start
        var column = 0
        var lines = 0
        var malformed = false
        var blank = true
        while true {
            // One field.
            var fieldStart = at
            var fieldEnd = at
            var escapes = false
            var probe = at
            while probe < limit && base.load(fromByteOffset: probe, as: UInt8.self) == 0x20 { probe += 1 }
            if probe < limit && base.load(fromByteOffset: probe, as: UInt8.self) == 0x22 {
                blank = false
                fieldStart = probe + 1
                at = probe + 1
                var closed = false
                while at < limit {
                    let byte = base.load(fromByteOffset: at, as: UInt8.self)
                    if byte == 0x22 {
                        if at + 1 < limit && base.load(fromByteOffset: at + 1, as: UInt8.self) == 0x22 {
                            escapes = true
                            at += 2
                            continue
                        }
                        fieldEnd = at
                        at += 1
                        closed = true
                        break
                    }
                    if byte == 0x0A { lines += 1 }
                    at += 1
                }
                if !closed {
                    malformed = true
                    fieldEnd = at
                }
                // Only spaces may follow the closing quote.
                while at < limit {
                    let byte = base.load(fromByteOffset: at, as: UInt8.self)
                    if byte == delimiter || byte == 0x0A || byte == 0x0D { break }
                    if byte != 0x20 { malformed = true }
                    at += 1
                }
            } else {
                while at < limit {
                    let byte = base.load(fromByteOffset: at, as: UInt8.self)
                    if byte == delimiter || byte == 0x0A { break }
                    if byte == 0x22 { malformed = true }
                    if byte != 0x20 && byte != 0x0D { blank = false }
                    at += 1
                }
                fieldEnd = at
                // A CR before the line end belongs to the terminator.
                if fieldEnd > fieldStart && base.load(fromByteOffset: fieldEnd - 1, as: UInt8.self) == 0x0D
                    && (at == limit || base.load(fromByteOffset: at, as: UInt8.self) == 0x0A) {
                    fieldEnd -= 1
                }
            }
            for role in 0..<columns.count where columns[role] == column {
                fields[role] = Field(start: fieldStart, end: fieldEnd, hasEscapes: escapes)
            }
            column += 1
            if at >= limit { break }
            let byte = base.load(fromByteOffset: at, as: UInt8.self)
            if byte == delimiter {
                blank = false
                at += 1
                continue
            }
            if byte == 0x0D { at += 1 }
            if at < limit && base.load(fromByteOffset: at, as: UInt8.self) == 0x0A {
                at += 1
                lines += 1
            }
            break
        }
        if lines == 0 && at > start { lines = 1 }  // the last line of a file without a final newline
        if blank && column == 1 { return Row(status: .blank, end: at, lines: lines, columnCount: 0) }
        return Row(status: malformed ? .malformed : .ok, end: at, lines: lines, columnCount: column)
    }

    /// The header row: the column names, unquoted and unescaped, and where the data starts.
    public static func header(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8) -> (names: [String], dataStart: Int, lines: Int)? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var names: [String] = []
        var at = bom
        // Read fields one at a time by asking for column 0 of successive sub-rows is awkward; parse
        // the header with every column wanted instead (headers are short).
        let maxColumns = 4096
        let indexes = Array(0..<maxColumns)
        var fields = [Field](repeating: Field(), count: maxColumns)
        let row = indexes.withUnsafeBufferPointer { columns in
            fields.withUnsafeMutableBufferPointer { fields in
                Self.row(base, start: at, limit: bytes.count, delimiter: delimiter, columns: columns, fields: fields)
            }
        }
        guard row.status != .malformed else { return nil }
        for index in 0..<min(row.columnCount, maxColumns) {
            names.append(text(base, fields[index]).trimmingSpaces)
        }
        return (names, row.end, row.lines)
    }

    /// A field's text, unescaped (slow path: headers, rejects, messages).
    public static func text(_ base: UnsafeRawPointer, _ field: Field) -> String {
        var bytes = Array(UnsafeRawBufferPointer(start: base + field.start, count: max(0, field.end - field.start)))
        if field.hasEscapes {
            var out: [UInt8] = []
            var index = 0
            while index < bytes.count {
                out.append(bytes[index])
                index += bytes[index] == 0x22 && index + 1 < bytes.count && bytes[index + 1] == 0x22 ? 2 : 1
            }
            bytes = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Byte ranges of about `partitionSizeBytes`, each ending just after a line end that is outside
    /// quotes (so no row is cut), the first starting at 0. Counts quotes from the start of the file:
    /// one pass, eight bytes at a time.
    public static func cut(bytes: UnsafeRawBufferPointer, partitionSizeBytes: Int) -> [Range<Int>] {
        let size = bytes.count
        guard size > 0, let base = bytes.baseAddress else { return [] }
        var ranges: [Range<Int>] = []
        var start = 0
        var scanned = 0
        var quotes = 0
        while start < size {
            let target = start + max(1, partitionSizeBytes)
            if target >= size {
                ranges.append(start..<size)
                break
            }
            // Count quotes up to target - 1, then walk line ends until one is outside quotes.
            quotes &+= countQuotes(base, from: scanned, to: target - 1)
            scanned = target - 1
            var end = size
            while scanned < size {
                guard let found = memchr(base + scanned, 0x0A, size - scanned) else {
                    scanned = size
                    break
                }
                let newline = UnsafeRawPointer(found) - base
                quotes &+= countQuotes(base, from: scanned, to: newline)
                scanned = newline + 1
                if quotes & 1 == 0 {
                    end = newline + 1
                    break
                }
            }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    @inline(__always)
    static func countQuotes(_ base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        var count = 0
        var at = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* 0x22
        while at + 8 <= to {
            let word = base.loadUnaligned(fromByteOffset: at, as: UInt64.self) ^ pattern
            // A zero byte marks a quote: exact per-byte test without borrows between bytes.
            let low7 = (word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F
            let zeroBytes = ~(low7 | word | 0x7F7F_7F7F_7F7F_7F7F)
            count &+= zeroBytes.nonzeroBitCount
            at += 8
        }
        while at < to {
            if base.load(fromByteOffset: at, as: UInt8.self) == 0x22 { count += 1 }
            at += 1
        }
        return count
    }
}
