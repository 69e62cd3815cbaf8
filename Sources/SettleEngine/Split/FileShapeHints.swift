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
        for file in files where file.layout.structured == nil {
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
        switch framing {
        case .none:
            return nil
        case .lf:
            // ...X\n\n: the blank line is the last byte.
            guard size >= 3, byte(size - 1) == 0x0A, byte(size - 2) == 0x0A, byte(size - 3) != 0x0A else { return nil }
            return size - 1
        case .crlf:
            // ...X\r\n\r\n, or a lone \n as the blank line's end (the cursor accepts one).
            if size >= 5, byte(size - 1) == 0x0A, byte(size - 2) == 0x0D, byte(size - 3) == 0x0A, byte(size - 4) == 0x0D,
               byte(size - 5) != 0x0A {
                return size - 2
            }
            if size >= 3, byte(size - 1) == 0x0A, byte(size - 2) == 0x0A, byte(size - 3) != 0x0A, byte(size - 3) != 0x0D {
                return size - 1
            }
            return nil
        }
    }
}
