@testable import SettleEngine

/// The spill-run reader on arbitrary bytes: the index in the footer (`RunReader`), then every bucket
/// through `verify` (LZ4 frames, checksums, entry counts, key order), with each codec a run can hold:
/// partial aggregates, occurrences by reference, mismatch rows.
enum SpillFuzz {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        let path = Scratch.write(bytes, name: "fuzz.run")
        guard let reader = try? RunReader(path: path) else { return }
        _ = try? reader.verify()
        _ = try? reader.verify(codec: ReferenceCodec.self)
        _ = try? reader.verify(codec: MismatchCodec.self)
    }
}
