#if canImport(Glibc)
import Glibc
#endif

/// RFC 4180 rows read straight from mapped bytes: quoted fields with doubled quotes, delimiters and
/// line ends inside quotes (at most `maxQuotedLineEnds` of them), CRLF or LF, spaces around a
/// quoted field tolerated. No allocation per row:
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
        /// Byte offset of a quote that opens a field and is not closed within `maxQuotedLineEnds`
        /// line ends and `maxQuotedBytes` (or before the limit); -1 when none. Such a row ends with
        /// the line the quote opened on.
        public var unclosedQuote = -1
    }

    /// The most line ends one quoted field may hold: a quote still open after that many is taken
    /// as a mistake and the row ends with its own line (the next line is a new row), so one stray
    /// quote cannot swallow the rest of a ledger.
    public static let maxQuotedLineEnds = 100
    /// The most bytes one quoted field holding line ends may span, for the same reason.
    public static let maxQuotedBytes = 1 << 20

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
        var unclosedQuote = -1
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
                var quotedLines = 0
                var firstLineEnd = -1
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
                    if byte == 0x0A {
                        if firstLineEnd < 0 { firstLineEnd = at }
                        quotedLines += 1
                        // A quote not closed within the bound is a mistake, not a field.
                        if quotedLines > maxQuotedLineEnds || at - probe > maxQuotedBytes { break }
                    }
                    at += 1
                }
                if closed {
                    lines += quotedLines
                } else {
                    malformed = true
                    unclosedQuote = probe
                    if firstLineEnd >= 0 {
                        // Resynchronise: the row ends with the line the quote opened on; the next
                        // line is read as a row of its own.
                        at = firstLineEnd
                        if at > fieldStart && base.load(fromByteOffset: at - 1, as: UInt8.self) == 0x0D { at -= 1 }
                    }
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
                // Eight bytes at a time to the next delimiter, line end or (misplaced) quote.
                let ones: UInt64 = 0x0101_0101_0101_0101
                let delimiters = ones &* UInt64(delimiter), newlines = ones &* 0x0A, quotes = ones &* 0x22
                while true {
                    while at + 8 <= limit {
                        let word = base.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                        let stops = zeroBytes(word ^ delimiters) | zeroBytes(word ^ newlines) | zeroBytes(word ^ quotes)
                        if stops != 0 {
                            at += stops.trailingZeroBitCount / 8
                            break
                        }
                        at += 8
                    }
                    while at < limit {
                        let byte = base.load(fromByteOffset: at, as: UInt8.self)
                        if byte == delimiter || byte == 0x0A || byte == 0x22 { break }
                        at += 1
                    }
                    guard at < limit, base.load(fromByteOffset: at, as: UInt8.self) == 0x22, delimiter != 0x22 else { break }
                    malformed = true
                    at += 1
                }
                if blank {
                    for index in fieldStart..<at where base.load(fromByteOffset: index, as: UInt8.self) != 0x20
                        && base.load(fromByteOffset: index, as: UInt8.self) != 0x0D {
                        blank = false
                        break
                    }
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
        return Row(status: malformed ? .malformed : .ok, end: at, lines: lines, columnCount: column, unclosedQuote: unclosedQuote)
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

    /// The high bit of each byte of `word` that is zero (exact: no borrow from byte to byte).
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low7 = (word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F
        return ~(low7 | word | 0x7F7F_7F7F_7F7F_7F7F)
    }

    @inline(__always)
    static func countQuotes(_ base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        var count = 0
        var at = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* 0x22
        while at + 8 <= to {
            // A zero byte marks a quote.
            count &+= zeroBytes(base.loadUnaligned(fromByteOffset: at, as: UInt64.self) ^ pattern).nonzeroBitCount
            at += 8
        }
        while at < to {
            if base.load(fromByteOffset: at, as: UInt8.self) == 0x22 { count += 1 }
            at += 1
        }
        return count
    }
}
