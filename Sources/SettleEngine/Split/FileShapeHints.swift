#if canImport(Glibc)
import Glibc
#endif

/// Physical forms of a flat layout's file that would otherwise show only as rejects, said once,
/// with what to do, when the job is planned: lines ending in CRLF read with `terminator: lf` (every
/// record one byte overlong), and a single blank line ending the file (read as the file's end, as
/// structured layouts read it, not as a `short_record`). Looks at the first line and the last bytes.
enum FileShapeHints {
    static func warnings(files: [(path: String, layoutName: String, layout: CompiledLayout, mapped: MappedFile)],
                         strict: Bool) -> [String] {
        var warnings: [String] = []
        for file in files where file.layout.program.form == .exact {
            let shown = PathText.display(file.path)
            file.mapped.withBytes { bytes in
                if file.layout.spec.terminator == .lf, endsFirstLineWithCRLF(bytes) {
                    warnings.append("\(shown): its lines end in CRLF but layout '\(file.layoutName)' says terminator: lf, so every record reads one byte too long (overlong_record): set terminator: auto (or crlf) in the layout")
                }
                let framing = PartitionPlanner.framing(for: file.layout.spec.terminator, recordLength: file.layout.recordLength, bytes: bytes)
                if !strict, let base = bytes.baseAddress,
                   let offset = trailingBlankLine(base, size: bytes.count, framing: framing) {
                    warnings.append("\(shown): the file ends with a blank line (byte offset \(offset)): read as the end of the file, not as a record (--strict rejects it as a short_record)")
                }
            }
        }
        return warnings
    }

    /// Whether the first line end (in the first 64 KiB) is `\r\n`.
    static func endsFirstLineWithCRLF(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, let found = memchr(base, 0x0A, min(bytes.count, 1 << 16)) else { return false }
        let newline = UnsafeRawPointer(found) - base
        return newline > 0 && bytes[newline - 1] == 0x0D
    }

    /// The offset of the last line when it is blank (nothing but its terminator) and the line before
    /// it is not: one blank line ending a file of lines. Nil otherwise.
    @inline(never)
    static func trailingBlankLine(_ base: UnsafeRawPointer, size: Int, framing: Framing) -> Int? {
        func byte(_ index: Int) -> UInt8 { base.load(fromByteOffset: index, as: UInt8.self) }
        guard framing != .none, size >= 2, byte(size - 1) == 0x0A else { return nil }
        // The last line: `\n`, or `\r\n` in a file of CRLF lines (where a lone `\n` ends a line too).
        var blank = size - 1
        if framing == .crlf && byte(blank - 1) == 0x0D { blank -= 1 }
        // The line before it ends right there and is not blank itself.
        guard blank >= 1, byte(blank - 1) == 0x0A else { return nil }
        var end = blank - 1
        if framing == .crlf && end >= 1 && byte(end - 1) == 0x0D { end -= 1 }
        guard end >= 1, byte(end - 1) != 0x0A else { return nil }
        return blank
    }
}
