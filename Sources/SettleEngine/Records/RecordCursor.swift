#if canImport(Glibc)
import Glibc
#endif

/// How records are delimited in a file once `auto` has been resolved.
public enum Framing: String, Sendable {
    /// Lines ending in `\n`.
    case lf
    /// Lines ending in `\r\n` (a lone `\n` is accepted too).
    case crlf
    /// Fixed-size blocks of `record_length` bytes, no terminator.
    case none
}

/// Walks the records of one byte range of a mapped file, without allocating.
///
/// Lines of the expected length take the fast path (one byte compare); anything else falls back to
/// searching for the next `\n`, so a short or long line is reported with its true length and the
/// records after it stay aligned. Valid only inside the `MappedFile.withBytes` scope of `base`.
public struct RecordCursor {
    let base: UnsafeRawPointer
    let end: Int
    let recordLength: Int
    let framing: Framing
    /// 0-based byte offset of the next record.
    public private(set) var position: Int

    public init(bytes: UnsafeRawBufferPointer, range: Range<Int>, recordLength: Int, framing: Framing) {
        precondition(range.upperBound <= bytes.count)
        // A zero-length mapping has no base address; any non-null pointer serves an empty range.
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.end = range.upperBound
        self.position = range.lowerBound
        self.recordLength = recordLength
        self.framing = framing
    }

    /// The next record as (offset, content length without terminator), or nil at the end of the range.
    @inline(__always)
    public mutating func next() -> (offset: Int, length: Int)? {
        let start = position
        if start >= end { return nil }
        switch framing {
        case .none:
            let length = min(recordLength, end - start)
            position = start + length
            return (start, length)
        case .lf:
            // A newline right after a record's length, and none inside it: a short line followed by
            // another that ends there must not be read as one record.
            let fast = start + recordLength
            if fast < end && base.load(fromByteOffset: fast, as: UInt8.self) == 0x0A && memchr(base + start, 0x0A, recordLength) == nil {
                position = fast + 1
                return (start, recordLength)
            }
            return slowLine(start, carriageReturn: false)
        case .crlf:
            let fast = start + recordLength
            if fast + 1 < end && base.load(fromByteOffset: fast + 1, as: UInt8.self) == 0x0A
                && base.load(fromByteOffset: fast, as: UInt8.self) == 0x0D && memchr(base + start, 0x0A, recordLength) == nil {
                position = fast + 2
                return (start, recordLength)
            }
            return slowLine(start, carriageReturn: true)
        }
    }

    private mutating func slowLine(_ start: Int, carriageReturn: Bool) -> (offset: Int, length: Int) {
        let found = memchr(base + start, 0x0A, end - start)
        var length: Int
        if let found {
            length = UnsafeRawPointer(found) - (base + start)
            position = start + length + 1
        } else {
            length = end - start
            position = end
        }
        if carriageReturn && length > 0 && base.load(fromByteOffset: start + length - 1, as: UInt8.self) == 0x0D {
            length -= 1
        }
        return (start, length)
    }

    /// The packed record-type code of the record at `offset`, or nil if the record is too short to hold it.
    @inline(__always)
    public static func typeCode(_ base: UnsafeRawPointer, offset: Int, length: Int,
                                positions: [(offset: Int, length: Int)]) -> UInt64? {
        var code: UInt64 = 0
        for position in positions {
            if position.offset + position.length > length { return nil }
            code = code << (8 * UInt64(position.length))
                | FieldDecoder.pack(base, offset: offset + position.offset, length: position.length)
        }
        return code
    }
}
