/// Record recognition in `StructuredLayout`: the first-code table, multi-byte lines, `classify`.
extension StructuredLayout {
    static func candidates(_ recognizers: [Recognizer]) -> [UInt8]? {
        let coded = recognizers.filter { !$0.hasFill }
        guard recognizers.count < 255, !coded.isEmpty, coded.allSatisfy({ $0.hasCode && $0.codeCount > 0 }) else { return nil }
        let first = coded[0].code0
        guard coded.allSatisfy({ $0.code0 == first }) else { return nil }
        // Fill specs must all come before the coded ones (they are checked first).
        guard let firstCoded = recognizers.firstIndex(where: { !$0.hasFill }),
              recognizers[firstCoded...].allSatisfy({ !$0.hasFill }) else { return nil }
        var table = [UInt8](repeating: 255, count: 256)
        for (index, recognizer) in recognizers.enumerated() where !recognizer.hasFill {
            let totalLength = (0..<recognizer.codeCount).reduce(0) { sum, at in
                sum + (at == 0 ? recognizer.code0.length : at == 1 ? recognizer.code1.length : recognizer.code2.length)
            }
            let byte = Int(UInt8(truncatingIfNeeded: recognizer.code >> UInt64(8 * (totalLength - 1))))
            if table[byte] == 255 { table[byte] = UInt8(index) }
        }
        return table
    }

    /// A line longer than a record whose UTF-8 characters number a record's length: read with each
    /// multi-byte character as one byte. Returns that character count, or nil.
    func multibyteLength(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int? {
        // EBCDIC letters are UTF-8 continuation bytes: a long EBCDIC line is never multi-byte text.
        guard codePage == .ascii else { return nil }
        var characters = 0
        for index in 0..<length where base.load(fromByteOffset: offset + index, as: UInt8.self) & 0xC0 != 0x80 { characters += 1 }
        guard characters != length, characters <= maxLength,
              characters == recordLength || records.contains(where: { $0.length == characters }) else { return nil }
        return characters
    }

    /// Copies a line into `scratch`, each multi-byte character as one `?`.
    static func transcode(_ base: UnsafeRawPointer, offset: Int, length: Int, into scratch: UnsafeMutableRawPointer) {
        var out = 0
        for index in 0..<length {
            let byte = base.load(fromByteOffset: offset + index, as: UInt8.self)
            if byte & 0xC0 == 0x80 { continue }
            scratch.storeBytes(of: byte >= 0x80 ? UInt8(ascii: "?") : byte, toByteOffset: out, as: UInt8.self)
            out += 1
        }
    }

    /// Which record a physical record is, given whether each `when` holds now (`whenHolds`, by record
    /// index; nil ignores conditions, as the planner does when it only needs the kind).
    @inline(__always)
    public func classify(_ base: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        recognizers.withUnsafeBufferPointer { Self.classify($0, base, offset: offset, length: length, whenHolds: whenHolds) }
    }

    /// `classify`, starting at the first spec whose code can match the record's first code byte
    /// (after the filler specs, which are tried first).
    @inline(__always)
    static func classify(_ recognizers: UnsafeBufferPointer<Recognizer>, firstCandidate: UnsafeMutablePointer<UInt8>?,
                         _ base: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        guard let firstCandidate else { return classify(recognizers, base, offset: offset, length: length, whenHolds: whenHolds) }
        var index = 0
        while index < recognizers.count && recognizers[index].hasFill {
            let recognizer = recognizers[index]
            if length == recognizer.length && length > 0 && base.load(fromByteOffset: offset, as: UInt8.self) == recognizer.fill {
                var all = true
                for position in 1..<length where base.load(fromByteOffset: offset + position, as: UInt8.self) != recognizer.fill {
                    all = false
                    break
                }
                if all { return index }
            }
            index += 1
        }
        let position = recognizers[index].code0
        guard position.offset < length else { return nil }
        let start = Int(firstCandidate[Int(base.load(fromByteOffset: offset + position.offset, as: UInt8.self))])
        guard start != 255 else { return nil }
        for index in start..<recognizers.count {
            let recognizer = recognizers[index]
            if !recognizer.codeMatches(base, offset: offset, length: length) { continue }
            if recognizer.matchCount > 0 && !recognizer.matchesHold(base, offset: offset, length: length) { continue }
            if recognizer.hasWhen, let whenHolds, !whenHolds[index] { continue }
            return index
        }
        return nil
    }

    /// The recognition loop over plain values: fill, code, matches, condition, in order.
    @inline(__always)
    static func classify(_ recognizers: UnsafeBufferPointer<Recognizer>, _ base: UnsafeRawPointer, offset: Int, length: Int,
                         whenHolds: UnsafePointer<Bool>?) -> Int? {
        for index in 0..<recognizers.count {
            let recognizer = recognizers[index]
            if recognizer.hasFill {
                guard length == recognizer.length else { continue }
                var all = true
                for position in 0..<length where base.load(fromByteOffset: offset + position, as: UInt8.self) != recognizer.fill {
                    all = false
                    break
                }
                if all { return index }
                continue
            }
            if recognizer.hasCode && !recognizer.codeMatches(base, offset: offset, length: length) { continue }
            if recognizer.matchCount > 0 && !recognizer.matchesHold(base, offset: offset, length: length) { continue }
            if recognizer.hasWhen, let whenHolds, !whenHolds[index] { continue }
            return index
        }
        return nil
    }
}
