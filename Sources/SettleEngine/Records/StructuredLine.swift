/// How every reader of a structured file reads one physical line: the planner (record kinds, to
/// find the structure at a partition's start), the map stage and `settle inspect`. One reading, so
/// inspect shows exactly the records the map stage maps, and the planner the structure it finds.
///
/// A line is a record as is (of its kind's length, or of a wrong length: a short one is padded back
/// with blanks when that makes it a record of its kind), a blank line, line-end bytes in fixed
/// blocks, a record whose multi-byte UTF-8 characters number a record's length (each read as one
/// byte), or several records back to back. Under `--strict` a long line is always one record.
enum StructuredLine {
    enum Form: Equatable {
        /// An empty line: counted as a record (a warning, or under `--strict` a short record).
        case blank
        /// Fixed blocks: bytes that are all CR or LF, skipped and not counted.
        case lineEnds
        /// One record, of any length.
        case record
        /// Transcoded into `characters` bytes (see `StructuredLayout.transcode`).
        case multibyte(characters: Int)
        /// `count` records of `record_length` on one line.
        case unseparated(count: Int)
    }

    /// The form of the line at `offset`; `spec` is what the line as is was recognised as (with the
    /// reader's conditions, or none).
    static func form(_ base: UnsafeRawPointer, offset: Int, length: Int, spec: Int?, layout: StructuredLayout, framing: Framing,
                     strict: Bool) -> Form {
        let recordLength = layout.recordLength
        // The map stage reads a line of `record_length` as a record without asking (its fast path).
        if length == recordLength { return .record }
        if length == 0 { return .blank }
        if framing == .none && isOnlyLineEnds(base, offset: offset, length: length) { return .lineEnds }
        if let spec, layout.records[spec].length == length { return .record }
        if length > recordLength && !strict {
            if let characters = layout.multibyteLength(base, offset: offset, length: length) { return .multibyte(characters: characters) }
            if length % recordLength == 0 { return .unseparated(count: length / recordLength) }
        }
        return .record
    }

    static func isOnlyLineEnds(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
        (0..<length).allSatisfy {
            let byte = base.load(fromByteOffset: offset + $0, as: UInt8.self)
            return byte == 0x0A || byte == 0x0D
        }
    }

    /// The length a record is padded to before it is recognised again: its kind's when shorter
    /// (trailing blanks trimmed), `record_length` when too short to be recognised at all; 0 for none.
    @inline(__always)
    static func padTarget(spec: Int?, length: Int, kindLength: Int, recordLength: Int) -> Int {
        if spec != nil { return length < kindLength ? kindLength : 0 }
        return length < recordLength ? recordLength : 0
    }

    /// Copies a record into `scratch` padded with blanks to `target` bytes (in place when it is there already).
    static func pad(_ pointer: UnsafeRawPointer, offset: Int, length: Int, to target: Int, scratch: UnsafeMutableRawPointer,
                    capacity: Int) {
        let target = min(target, capacity)
        let copied = min(length, target)
        if pointer != UnsafeRawPointer(scratch) || offset != 0 { scratch.copyMemory(from: pointer + offset, byteCount: copied) }
        if target > copied { (scratch + copied).initializeMemory(as: UInt8.self, repeating: 0x20, count: target - copied) }
    }

    /// A short record padded back into `scratch`: the spec it then is, when of exactly `target` bytes.
    static func repaired(_ pointer: UnsafeRawPointer, offset: Int, length: Int, target: Int, layout: StructuredLayout,
                         whenHolds: UnsafePointer<Bool>?, scratch: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        pad(pointer, offset: offset, length: length, to: target, scratch: scratch, capacity: capacity)
        guard let spec = layout.classify(UnsafeRawPointer(scratch), offset: 0, length: target, whenHolds: whenHolds),
              layout.records[spec].length == target else { return nil }
        return spec
    }
}
