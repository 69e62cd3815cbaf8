import SettleEngine

/// Streams one of Settle's CSV outputs (RFC 4180, LF-terminated, a header line) as the text format of
/// `COPY ... FROM STDIN`: tab-separated, backslash escapes, a chunk of whole rows at a time. It
/// hashes the file as it goes and fails at the end when the file is not the one `summary.json`
/// vouches for (a set changed after its run), which fails the COPY and so the whole transaction.
/// With `excelSafe`, the `'` that `--excel-safe` put before a formula trigger is taken off again.
///
/// Read by one COPY at a time: `@unchecked Sendable` because `next` is called from the task that
/// writes the COPY, one call after another.
final class CSVCopySource: @unchecked Sendable {
    let output: PublishedSet.Output
    let header: [String]
    private let mapped: MappedFile
    private let excelSafe: Bool
    private let chunkBytes: Int
    private var position = 0
    private var hasher = SHA256()
    private var finished = false
    private(set) var rows = 0

    init(_ output: PublishedSet.Output, excelSafe: Bool, chunkBytes: Int = 1 << 20) throws {
        self.output = output
        self.excelSafe = excelSafe
        self.chunkBytes = chunkBytes
        do {
            mapped = try MappedFile(path: output.path)
        } catch {
            throw SettleError(.unreadableInput, "cannot read \(output.path): \(error)")
        }
        var fields: [[UInt8]] = []
        var end = 0
        mapped.withBytes { bytes in end = Self.parseRecord(bytes, from: 0, into: &fields) }
        header = fields.map { String(decoding: $0, as: UTF8.self) }
        guard !header.isEmpty, header.allSatisfy(Self.isPlainName) else {
            throw SettleError(.unreadableInput, "\(output.path): the first line is not a header of column names")
        }
        mapped.withBytes { bytes in hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) }
        position = end
    }

    /// The next chunk of COPY rows, or nil after the last (having checked the file's SHA-256).
    func next() throws -> [UInt8]? {
        guard !finished else { return nil }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkBytes + 4096)
        var fields: [[UInt8]] = []
        var failure: SettleError?
        mapped.withBytes { bytes in
            let start = position
            while position < bytes.count && chunk.count < chunkBytes {
                let end = Self.parseRecord(bytes, from: position, into: &fields)
                rows += 1
                guard fields.count == header.count else {
                    failure = SettleError(.unreadableInput, "\(output.path) row \(rows + 1): \(fields.count) fields, the header has \(header.count)")
                    return
                }
                for (index, field) in fields.enumerated() {
                    if index > 0 { chunk.append(0x09) }
                    appendEscaped(field, to: &chunk)
                }
                chunk.append(0x0A)
                position = end
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        }
        if let failure { throw failure }
        if chunk.isEmpty {
            finished = true
            let digest = hasher.finalizeHex()
            guard digest == output.sha256, mapped.sizeBytes == output.bytes else {
                throw SettleError(.unreadableInput, "\(output.path) is not the file summary.json vouches for (its SHA-256 is \(digest), the summary says \(output.sha256)): the output set changed after its run; run the job again")
            }
            return nil
        }
        return chunk
    }

    /// COPY text: backslash, tab, LF and CR escaped; a leading `'` before a trigger removed with `excelSafe`.
    private func appendEscaped(_ field: [UInt8], to chunk: inout [UInt8]) {
        var start = 0
        if excelSafe, field.count >= 2, field[0] == UInt8(ascii: "'"), Self.isExcelTrigger(field[1]) { start = 1 }
        for byte in field[start...] {
            switch byte {
            case UInt8(ascii: "\\"): chunk += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x09: chunk += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: chunk += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: chunk += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: chunk.append(byte)
            }
        }
    }

    static func isExcelTrigger(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
            || byte == 0x09 || byte == 0x0D
    }

    /// A column name fit to be an identifier as it is: lower-case letters, digits and `_`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// Parses the record at `from` into `fields` (unquoted); returns the index just past its LF.
    static func parseRecord(_ bytes: UnsafeRawBufferPointer, from start: Int, into fields: inout [[UInt8]]) -> Int {
        fields.removeAll(keepingCapacity: true)
        var index = start
        var field: [UInt8] = []
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    field.append(bytes[index])
                    index += 1
                }
            }
            while index < bytes.count && bytes[index] != UInt8(ascii: ",") && bytes[index] != 0x0A {
                field.append(bytes[index])
                index += 1
            }
            fields.append(field)
            field.removeAll(keepingCapacity: true)
            if index >= bytes.count { return index }
            index += 1
            if bytes[index - 1] == 0x0A {
                if let last = fields.last, last.last == 0x0D { fields[fields.count - 1].removeLast() }
                return index
            }
        }
        fields.append(field)
        return index
    }
}
