@testable import SettleEngine

/// The spill-run reader on arbitrary bytes: the index in the footer (`RunReader`), then every bucket
/// through `verify` (LZ4 frames, checksums, entry counts, key order), with each codec a run can hold:
/// partial aggregates, occurrences by reference, mismatch rows.
///
/// The index carries an FNV-1a checksum that random bytes almost never match, so each input is also
/// read a second time with the checksum recomputed: what lies behind it (the bucket entries, their
/// offsets and counts) gets fuzzed too, as a file written wrongly, not merely damaged, would be.
/// The LZ4 blocks carry checksums as well, so the entry decoders that read what LZ4 produced are
/// also run on the raw bytes.
enum SpillFuzz {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        read(Array(bytes))
        if let fixed = withIndexChecksum(Array(bytes)) { read(fixed) }
        decodeEntries(AggregateCodec.self, bytes)
        decodeEntries(ReferenceCodec.self, bytes)
        decodeEntries(MismatchCodec.self, bytes)
    }

    /// Decodes entries one after the other from `bytes`, as `SpillCursor` does from a decoded block.
    static func decodeEntries<Codec: SpillCodec>(_ codec: Codec.Type, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var at = 0
        while at < bytes.count, let entry = Codec.load(from: base + at, available: bytes.count - at) {
            precondition(entry.size > 0 && entry.size <= bytes.count - at, "\(Codec.self).load reported \(entry.size) bytes of \(bytes.count - at)")
            at += entry.size
        }
    }

    static func read(_ bytes: [UInt8]) {
        let path = bytes.withUnsafeBytes { Scratch.write($0, name: "fuzz.run") }
        guard let reader = try? RunReader(path: path) else { return }
        _ = try? reader.verify()
        _ = try? reader.verify(codec: ReferenceCodec.self)
        _ = try? reader.verify(codec: MismatchCodec.self)
    }

    /// `bytes` with the checksum of its index frame made to match, when its footer locates one
    /// (`RunWriter`'s format: ... frame | checksum (8) | frame length (4) | "SIDX").
    static func withIndexChecksum(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 32 else { return nil }
        var at = bytes.count - 8
        guard let length = RunIndex.read(bytes, &at, as: UInt32.self).map(Int.init), length >= 32, length <= bytes.count else {
            return nil
        }
        let frame = bytes.count - length
        var fixed = bytes
        let sum = RunIndex.fnv1a(Array(bytes[(frame + 8)..<(bytes.count - 16)]))
        withUnsafeBytes(of: sum.littleEndian) { fixed.replaceSubrange((bytes.count - 16)..<(bytes.count - 8), with: $0) }
        return fixed == bytes ? nil : fixed
    }
}
