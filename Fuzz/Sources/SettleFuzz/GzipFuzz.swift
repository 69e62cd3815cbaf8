@testable import SettleEngine

/// The gzip reader (`GzipDecoder`, what `GzipFile.decompress` runs) on arbitrary bytes, fed in
/// small reads so members, headers and trailers cross buffer boundaries. The first byte chooses the
/// buffer size (1 to 256 bytes), the rest is the compressed stream.
enum GzipFuzz {
    /// Stops a decompression bomb from spending the fuzzer's time: 4 MiB out is plenty.
    struct TooLarge: Error {}

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let stream = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        guard let decoder = try? GzipDecoder(bufferBytes: Int(selector) + 1) else { return }
        var offset = 0
        var produced = 0
        _ = try? decoder.decompress(
            read: { buffer in
                let count = min(buffer.count, stream.count - offset)
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: stream[offset..<(offset + count)]))
                offset += count
                return count
            },
            write: { chunk in
                produced += chunk.count
                if produced > 4 << 20 { throw TooLarge() }
            })
    }
}
