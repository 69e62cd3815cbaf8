import CZlib

/// Why a gzip stream could not be decompressed, and where: the 0-based offset into the compressed
/// bytes at which decompression stopped. zlib's return codes become this type in `GzipDecoder`, once.
public struct GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// zlib rejected the data: a bad header, block or checksum (CRC-32 or length).
        case corrupt
        /// The data ends inside a member: the file was cut short.
        case truncated
        /// Bytes after the end of a member that do not start another member.
        case trailingData = "trailing_data"
        /// zlib could not start (out of memory).
        case resource
    }

    public var kind: Kind
    /// 0-based, into the compressed bytes: where decompression stopped.
    public var compressedByteOffset: Int
    /// 1-based number of the gzip member being read (`cat a.gz b.gz` makes two).
    public var member: Int
    /// zlib's own words for a corrupt stream ("invalid block type", "incorrect data check", ...).
    public var detail: String

    public var description: String {
        switch kind {
        case .corrupt:
            return "corrupt gzip data at compressed byte \(compressedByteOffset) (member \(member)): \(detail)"
        case .truncated:
            return "truncated gzip data: the file ends at compressed byte \(compressedByteOffset), inside member \(member) (\(detail))"
        case .trailingData:
            return "data that is not gzip at compressed byte \(compressedByteOffset), after the end of member \(member - 1)"
        case .resource:
            return "zlib could not start: \(detail)"
        }
    }
}

/// The only place that calls zlib: decompresses a gzip stream (RFC 1952) of one or more members, as
/// `cat a.gz b.gz` makes, in bounded memory. It owns zlib's state and the two buffers zlib reads from
/// and writes to; callers see only the bytes handed to their closures, valid during the call.
final class GzipDecoder {
    /// Bytes read per call of `read`, and written per call of `write` (but for the last).
    static let defaultBufferBytes = 1 << 20
    /// 15: the largest window (32 KiB, what gzip writes); + 16: a gzip wrapper only, no zlib or raw stream.
    private static let windowBits: Int32 = 15 + 16

    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer

    init(bufferBytes: Int = defaultBufferBytes) throws {
        precondition(bufferBytes > 0)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = settle_inflate_init2(stream, Self.windowBits)
        guard status == Z_OK else {
            stream.deallocate()
            throw GzipError(kind: .resource, compressedByteOffset: 0, member: 0, detail: "inflateInit2 returned \(status)")
        }
        input = .allocate(byteCount: bufferBytes, alignment: 16)
        output = .allocate(byteCount: bufferBytes, alignment: 16)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
        output.deallocate()
    }

    /// Decompresses the whole stream: `read` fills the buffer it is given from the compressed input
    /// and returns how many bytes it put there (0 at the end); `write` receives the decompressed bytes
    /// in order. Throws `GzipError` for a stream that is corrupt, truncated or followed by other data
    /// (errors of `read` and `write` pass through). A decoder decompresses one stream.
    func decompress(read: (UnsafeMutableRawBufferPointer) throws -> Int,
                    write: (UnsafeRawBufferPointer) throws -> Void) throws -> (compressedBytes: Int, decompressedBytes: Int) {
        var compressedOffset = 0          // bytes zlib has consumed so far
        var decompressedBytes = 0
        var member = 0                    // members begun so far
        var memberStart = 0
        var inMember = false
        var endOfInput = false
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(output.count)

        func flush() throws {
            let count = output.count - Int(stream.pointee.avail_out)
            guard count > 0 else { return }
            try write(UnsafeRawBufferPointer(rebasing: output[0..<count]))
            decompressedBytes += count
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
        }

        while true {
            if stream.pointee.avail_in == 0 && !endOfInput {
                let count = try read(input)
                if count == 0 {
                    endOfInput = true
                } else {
                    stream.pointee.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: Bytef.self))
                    stream.pointee.avail_in = UInt32(count)
                }
            }
            if stream.pointee.avail_in == 0 && endOfInput {
                if member == 0 {
                    throw GzipError(kind: .truncated, compressedByteOffset: 0, member: 1, detail: "the input is empty")
                }
                if inMember {
                    let detail = "the member started at compressed byte \(memberStart)"
                    throw GzipError(kind: .truncated, compressedByteOffset: compressedOffset, member: member, detail: detail)
                }
                break
            }
            if !inMember {
                // A new member: after the first, zlib starts over (header, data, CRC-32 and length).
                if member > 0 { inflateReset(stream) }
                member += 1
                memberStart = compressedOffset
                inMember = true
            }
            let availableBefore = stream.pointee.avail_in
            let status = inflate(stream, Z_NO_FLUSH)
            compressedOffset += Int(availableBefore - stream.pointee.avail_in)
            switch status {
            case Z_STREAM_END:
                inMember = false
            case Z_OK:
                break
            case Z_BUF_ERROR where stream.pointee.avail_in == 0 || stream.pointee.avail_out == 0:
                break // no progress possible until more input is read or the output is flushed
            case Z_DATA_ERROR where member > 1 && Self.message(stream) == "incorrect header check":
                throw GzipError(kind: .trailingData, compressedByteOffset: memberStart, member: member, detail: Self.message(stream))
            case Z_MEM_ERROR:
                throw GzipError(kind: .resource, compressedByteOffset: compressedOffset, member: member, detail: "out of memory")
            default:
                // Z_DATA_ERROR, Z_NEED_DICT (not in gzip), Z_STREAM_ERROR: the data cannot be read.
                let detail = status == Z_NEED_DICT ? "needs a preset dictionary" : Self.explained(Self.message(stream))
                throw GzipError(kind: .corrupt, compressedByteOffset: compressedOffset, member: member, detail: detail)
            }
            if stream.pointee.avail_out == 0 { try flush() }
        }
        try flush()
        return (compressedOffset, decompressedBytes)
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String {
        stream.pointee.msg.map { String(cString: $0) } ?? "zlib error"
    }

    /// zlib's message, with what its two checksum messages mean for the file.
    private static func explained(_ message: String) -> String {
        switch message {
        case "incorrect data check": "the member's CRC-32 does not match its data (zlib: incorrect data check)"
        case "incorrect length check": "the member's recorded length does not match its data (zlib: incorrect length check)"
        default: message
        }
    }

    /// True when `bytes` start with gzip's magic bytes (1f 8b): compression is recognised by content,
    /// whatever the file's name.
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }
}
