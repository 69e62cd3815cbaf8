/// `encoding: auto`: which code page a structured file is written in, decided from its first record,
/// and the layout compiled for it (recognition codes in that code page). The planner puts that
/// layout in the file's plan, so every stage reads the file through it; `summary.json` reports it.
extension PartitionPlanner {
    static func layout(_ layout: CompiledLayout, forEncodingOf bytes: UnsafeRawBufferPointer, framing: Framing,
                       strict: Bool) -> CompiledLayout {
        guard let structured = layout.structured, layout.spec.encoding == .auto, let base = bytes.baseAddress else { return layout }
        let start = firstRecordOffset(bytes, strict: strict)
        var cursor = RecordCursor(bytes: bytes, range: start..<bytes.count, recordLength: structured.recordLength, framing: framing)
        guard let first = cursor.next(), first.length > 0 else { return layout }
        // The first record recognised as ASCII is ASCII; else as EBCDIC; else the code page in which
        // more of its bytes are digits (card files are mostly digits).
        if structured.classify(base, offset: first.offset, length: first.length, whenHolds: nil) != nil { return layout }
        var spec = layout.spec
        spec.encoding = .ebcdicCP500
        guard let ebcdic = try? CompiledLayout(spec), let reading = ebcdic.structured else { return layout }
        if reading.classify(base, offset: first.offset, length: first.length, whenHolds: nil) != nil { return ebcdic }
        var asciiDigits = 0, ebcdicDigits = 0
        for index in 0..<first.length {
            let byte = base.load(fromByteOffset: first.offset + index, as: UInt8.self)
            if byte >= 0x30 && byte <= 0x39 { asciiDigits += 1 }
            if byte >= 0xF0 && byte <= 0xF9 { ebcdicDigits += 1 }
        }
        return ebcdicDigits > asciiDigits ? ebcdic : layout
    }
}
