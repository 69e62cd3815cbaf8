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
    /// Examines at most `LedgerCSV.maxHeaderBytes` bytes, whatever the file holds.
    public static func resolve(path: String, spec: LedgerSpec, referenceWidth: Int, mapped: MappedFile) throws -> LedgerFile {
        let shown = PathText.display(path)
        let header = try mapped.withBytes { bytes in
            if let problem = LedgerCSV.headerProblem(bytes, delimiter: spec.delimiter) { throw SettleError(.unreadableInput, "ledger \(shown): \(problem)") }
            return LedgerCSV.header(bytes, delimiter: spec.delimiter)
        }
        guard let header, !header.names.isEmpty, header.names != [""] else {
            throw SettleError(.unreadableInput, "ledger \(shown): no header row (expected column names such as \(spec.columns.compactMap { $0 }.joined(separator: ",")))")
        }
        guard header.names.count <= LedgerCSV.maxHeaderColumns else {
            throw SettleError(.unreadableInput, "ledger \(shown): the header row has \(header.names.count) columns, more than \(LedgerCSV.maxHeaderColumns): is the delimiter right (--ledger-spec delimiter)?")
        }
        let columns = try spec.resolve(header: header.names, file: shown)
        return LedgerFile(spec: spec, header: header.names, columns: columns, dataStart: header.dataStart,
                          headerLines: header.lines, referenceWidth: referenceWidth)
    }

    /// The header name of a role's column, for rejects.
    public func columnName(_ role: Int) -> String {
        guard role >= 0 && role < columns.count && columns[role] >= 0 && columns[role] < header.count else { return "" }
        return header[columns[role]]
    }
}

extension LedgerCSV {
    /// The header row is looked for in this many bytes at most.
    public static let maxHeaderBytes = 1 << 20
    /// Columns a header row may have.
    public static let maxHeaderColumns = 4096

    /// Why the start of `bytes` cannot hold a header row, or nil: lines that end in a carriage
    /// return alone, no line end in the first `maxHeaderBytes`, or more than `maxHeaderColumns`
    /// columns. Looks at that many bytes at most.
    static func headerProblem(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8 = UInt8(ascii: ",")) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        let window = min(bytes.count, maxHeaderBytes)
        let newline = memchr(base, 0x0A, window).map { UnsafeRawPointer($0) - base }
        let carriageReturn = memchr(base, 0x0D, newline ?? window).map { UnsafeRawPointer($0) - base }
        if let carriageReturn, carriageReturn + 1 < bytes.count, carriageReturn != (newline ?? -1) - 1 {
            return "its lines end in a carriage return alone (CR, as classic Mac OS wrote them; the first at byte offset \(carriageReturn)): Settle reads LF or CRLF line ends; convert the file, for example with tr '\\r' '\\n' < ledger.csv > ledger-lf.csv"
        }
        if newline == nil && bytes.count > window {
            return "no line end in its first \(ByteSize.format(window)), so no header row: is it a CSV ledger (or a fixed-width one, --ledger-layout)?"
        }
        // Counted before parsing, which wants every column and so costs columns squared.
        let line = UnsafeRawBufferPointer(start: base, count: newline ?? window)
        let delimiters = line.reduce(0) { $0 + ($1 == delimiter ? 1 : 0) }
        if delimiters >= maxHeaderColumns {
            return "the header row has \(delimiters + 1) columns, more than \(maxHeaderColumns): is the delimiter right (--ledger-spec delimiter)?"
        }
        return nil
    }

    /// The header row: the column names, unquoted and unescaped, and where the data starts. Reads at
    /// most `maxHeaderBytes` and `maxHeaderColumns + 1` columns.
    public static func header(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8) -> (names: [String], dataStart: Int, lines: Int)? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        // Every column wanted, up to one more than allowed (so too many is seen, and cheaply).
        let wanted = maxHeaderColumns + 1
        let indexes = Array(0..<wanted)
        var fields = [Field](repeating: Field(), count: wanted)
        let limit = min(bytes.count, maxHeaderBytes)
        let row = indexes.withUnsafeBufferPointer { columns in
            fields.withUnsafeMutableBufferPointer { fields in
                Self.row(base, start: bom, limit: limit, delimiter: delimiter, columns: columns, fields: fields)
            }
        }
        guard row.status != .malformed else { return nil }
        let names = (0..<min(row.columnCount, wanted)).map { text(base, fields[$0]).trimmingSpaces }
        return (names, row.end, row.lines)
    }
}
