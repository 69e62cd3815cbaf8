/// Masking of card numbers and other sensitive fields wherever a record is shown to people
/// (rejects.csv and so report.html, `settle inspect`). Not the hot path: rejects only.
///
/// A record whose positions hold (the length of its kind, a known type) shows its sensitive fields
/// as card receipts do, first 6 and last 4 characters. Any other record may have its fields
/// anywhere near their places: 8 stray bytes in front, cut inside the card number, several bytes
/// per character. In such a record every digit of every run of 5 or more digits is masked within
/// the span that could hold a sensitive field: the field's positions widened, either way, by the
/// difference between the record's length and its kind's (for a record cut at
/// `RejectLog.maxRawBytes`, the whole record); when the type is not known, the sensitive fields of
/// every record kind of the layout count.
enum RecordMask {
    /// A sensitive field of one record kind: 0-based byte range and the kind's record length.
    struct Candidate: Equatable {
        var range: Range<Int>
        var recordLength: Int
    }

    /// The shortest run of digits masked in a record whose positions do not hold.
    static let shortestRun = 5

    /// Masks `raw` in place. `aligned`: the sensitive ranges of the record kind whose positions hold,
    /// or nil when they do not; then `candidates` are every sensitive field that could be in it.
    /// `truncated`: the bytes are only the start of a longer line.
    /// `codePage`: the one `raw` was decoded from; a digit in the file's bytes read another way counts too.
    static func mask(_ raw: inout [UInt8], aligned: [Range<Int>]?, candidates: [Candidate], truncated: Bool = false,
                     codePage: CodePage = .ascii) {
        if let aligned {
            for range in aligned { RecordText.mask(&raw, range: range) }
            return
        }
        maskDigitRuns(&raw, within: spans(candidates, length: raw.count, truncated: truncated), codePage: codePage)
    }

    /// Where the candidates could be in a record of `length` bytes: each widened either way by the
    /// difference from its kind's length (by the whole record when `truncated`).
    static func spans(_ candidates: [Candidate], length: Int, truncated: Bool = false) -> [Range<Int>] {
        candidates.map { candidate in
            let widening = truncated ? length : abs(length - candidate.recordLength)
            return max(0, candidate.range.lowerBound - widening)..<max(0, candidate.range.upperBound + widening)
        }
    }

    /// Replaces with `*` every digit within `spans` that belongs to a run of `shortestRun` or more
    /// digits (the run counted over the whole record).
    static func maskDigitRuns(_ raw: inout [UInt8], within spans: [Range<Int>], codePage: CodePage = .ascii) {
        // A file in another code page than its layout says: its digits, read either way, are digits.
        let original = codePage.fromLatin1
        func isDigit(_ byte: UInt8) -> Bool { Self.isDigit(byte) || Self.isDigit(original[Int(byte)]) }
        var inSpan = [Bool](repeating: false, count: raw.count)
        for span in spans {
            let clamped = span.clamped(to: 0..<raw.count)
            for index in clamped { inSpan[index] = true }
        }
        var runStart = 0
        for index in 0...raw.count {
            if index < raw.count && isDigit(raw[index]) { continue }
            if index - runStart >= shortestRun {
                for position in runStart..<index where inSpan[position] { raw[position] = UInt8(ascii: "*") }
            }
            runStart = index + 1
        }
    }

    /// An ASCII digit, or an EBCDIC one (0xF0-0xF9: an EBCDIC file read as ASCII).
    static func isDigit(_ byte: UInt8) -> Bool { (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte >= 0xF0 && byte <= 0xF9 }

    /// A record of a program of the exact form (a flat layout) as shown: positions hold when it has
    /// the record length and a known type at the type positions.
    static func masked(_ raw: [UInt8], layout: CompiledLayout, truncated: Bool = false) -> [UInt8] {
        let program = layout.program
        var shown = raw
        var aligned: [Range<Int>]?
        if !truncated && raw.count == program.recordLength {
            // The type code as `RecordCursor.typeCode` packs it (the validator keeps the type
            // positions within the record length; checked again, as this is no hot path). Every
            // record of the exact form reads it at the layout's `record_type`.
            var code: UInt64? = 0
            for position in program.records.first?.codeAt ?? [] {
                guard let packed = code, position.offset + position.length <= raw.count else { code = nil; break }
                code = packed << (8 * UInt64(position.length)) | FieldDecoder.pack(Array(raw[position.offset..<(position.offset + position.length)]))
            }
            aligned = code.flatMap { program.record(code: $0) }.map { program.records[$0].sensitiveRanges }
        }
        // Every record of the exact form has the layout's record length.
        mask(&shown, aligned: aligned, candidates: candidates(program), truncated: truncated)
        return shown
    }

    /// A structured layout's record as shown: positions hold when it was recognised as record spec
    /// `specIndex` and has that spec's length.
    static func masked(_ raw: [UInt8], layout: StructuredLayout, specIndex: Int, truncated: Bool = false) -> [UInt8] {
        var shown = raw
        let record = layout.records.indices.contains(specIndex) ? layout.records[specIndex] : nil
        let aligned = record.flatMap { !truncated && raw.count == $0.length ? $0.sensitiveRanges : nil }
        mask(&shown, aligned: aligned, candidates: candidates(layout), truncated: truncated, codePage: layout.codePage)
        return shown
    }

    /// Every sensitive field of every record spec of a structured layout.
    static func candidates(_ layout: StructuredLayout) -> [Candidate] {
        layout.records.flatMap { record in record.sensitiveRanges.map { Candidate(range: $0, recordLength: record.length) } }
    }
}
