/// A file's content identity, `content_sha256` in `summary.json`, computed by the map workers as they
/// read: the file is cut into blocks of `blockSize` bytes at fixed offsets (the last one shorter), each
/// block is hashed with SHA-256, and `content_sha256` is the SHA-256 of the blocks' 32-byte digests
/// concatenated in order. It is therefore NOT what `sha256sum FILE` prints; it is what
///
///     split -b 4194304 -a 6 -d FILE block.
///     for b in block.*; do sha256sum "$b" | cut -c1-64; done | xxd -r -p | sha256sum
///
/// prints (an empty file: the SHA-256 of nothing). Fixed blocks, not partitions, so the identity of a file does not depend on
/// `--partition-size`, `--workers` or a resume. A partition hashes the blocks that start inside it,
/// reading past its end into the next partition's bytes for the last one; the digests go into its
/// marker. A gzip input is identified by its decompressed content (the bytes the workers map).
public enum ContentDigest {
    /// 4 MiB: a 10 GB file has 2,400 blocks, 75 KiB of digests over all its markers.
    public static let blockSize = 4 << 20

    /// The indices of the blocks that start in `range`.
    static func blocks(startingIn range: Range<Int>) -> Range<Int> {
        let first = (range.lowerBound + blockSize - 1) / blockSize
        let end = (range.upperBound + blockSize - 1) / blockSize
        return first..<max(first, end)
    }

    /// The concatenated digests of the blocks of `bytes` (the whole file) that start in `range`.
    static func digests(of bytes: UnsafeRawBufferPointer, startingIn range: Range<Int>) -> [UInt8] {
        var digests: [UInt8] = []
        let blocks = blocks(startingIn: range)
        digests.reserveCapacity(blocks.count * 32)
        for block in blocks {
            let start = block * blockSize
            let end = min(bytes.count, start + blockSize)
            guard start < end else { break }
            var hasher = SHA256()
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            digests += hasher.finalize()
        }
        return digests
    }

    /// `content_sha256` of a file from its partitions' block digests in partition order; nil when
    /// a partition's are unknown (its marker was written by a Settle that did not record them).
    public static func combine(_ partitions: [[UInt8]?]) -> String? {
        var hasher = SHA256()
        for digests in partitions {
            guard let digests else { return nil }
            digests.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalizeHex()
    }

    /// The digests as the marker carries them: lower-case hex, one string per block.
    static func hexBlocks(_ digests: [UInt8]) -> [String] {
        stride(from: 0, to: digests.count, by: 32).map { SHA256.hex(Array(digests[$0..<min(digests.count, $0 + 32)])) }
    }

    /// A marker's hex digests back to bytes; nil when one is not 64 hex digits.
    static func bytes(hexBlocks: [String]) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hexBlocks.count * 32)
        for block in hexBlocks {
            let digits = Array(block.utf8)
            guard digits.count == 64 else { return nil }
            for index in stride(from: 0, to: 64, by: 2) {
                guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
            }
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
