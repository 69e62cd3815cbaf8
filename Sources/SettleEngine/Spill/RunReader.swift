import SystemPackage

/// Little-endian encoding helpers and the checksum of a run's index.
enum RunIndex {
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: inout Int, as: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { return nil }
        var value: T = 0
        for index in 0..<size { value |= T(bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

/// A run file's bucket index, read from its footer. Holds no open descriptor: each cursor opens its
/// own, so the number of open files is bounded by the merge fan-in, not by the number of runs.
public struct RunReader: Sendable {
    public let path: String
    public let bucketCount: Int
    /// bucket → (offset, length, entries)
    public let buckets: [Int: (offset: Int, length: Int, entries: Int)]

    public init(path: String) throws {
        self.path = path
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.io, "cannot open spill file \(path): \(error)")
        }
        defer { try? fd.close() }
        let corrupt = { (why: String) in SettleError(.io, "spill file \(path) is corrupt: \(why)") }
        guard let size = FileIO.fileSize(path), size >= 16 else {
            throw corrupt("too short to hold an index")
        }
        var tail = [UInt8](repeating: 0, count: 8)
        do {
            _ = try tail.withUnsafeMutableBytes { try FileIO.read(fd, offset: size - 8, into: $0) }
        } catch {
            throw SettleError(.io, "cannot read spill file \(path): \(error)")
        }
        var at = 0
        let frameLength = Int(RunIndex.read(tail, &at, as: UInt32.self)!)
        guard Array(tail[4..<8]) == Array("SIDX".utf8), frameLength <= size, frameLength >= 32 else {
            throw corrupt("index trailer missing")
        }
        var frame = [UInt8](repeating: 0, count: frameLength)
        do {
            _ = try frame.withUnsafeMutableBytes { try FileIO.read(fd, offset: size - frameLength, into: $0) }
        } catch {
            throw SettleError(.io, "cannot read spill file \(path): \(error)")
        }
        at = 0
        guard RunIndex.read(frame, &at, as: UInt32.self) == SpillFormat.skippableMagic,
              RunIndex.read(frame, &at, as: UInt32.self) == UInt32(frameLength - 8),
              Array(frame[8..<12]) == Array("SRUN".utf8) else {
            throw corrupt("index frame header")
        }
        at = 12
        let checked = Array(frame[8..<(frameLength - 16)])
        var sumAt = frameLength - 16
        guard RunIndex.read(frame, &sumAt, as: UInt64.self) == RunIndex.fnv1a(checked),
              RunIndex.read(frame, &at, as: UInt32.self) == SpillFormat.version,
              let bucketCount = RunIndex.read(frame, &at, as: UInt32.self),
              let count = RunIndex.read(frame, &at, as: UInt32.self) else {
            throw corrupt("index checksum mismatch")
        }
        self.bucketCount = Int(bucketCount)
        var buckets: [Int: (offset: Int, length: Int, entries: Int)] = [:]
        for _ in 0..<count {
            // Checked conversions and no sum that can overflow: an index that passed its checksum can
            // still be wrong (found by fuzzing: an offset of 2^63 trapped here).
            guard let bucket = RunIndex.read(frame, &at, as: UInt32.self),
                  let offset = RunIndex.read(frame, &at, as: UInt64.self).flatMap({ Int(exactly: $0) }),
                  let length = RunIndex.read(frame, &at, as: UInt64.self).flatMap({ Int(exactly: $0) }),
                  let entries = RunIndex.read(frame, &at, as: UInt64.self).flatMap({ Int(exactly: $0) }),
                  length <= size - frameLength, offset <= size - frameLength - length else {
                throw corrupt("index entry out of range")
            }
            buckets[Int(bucket)] = (offset, length, entries)
        }
        self.buckets = buckets
    }

    /// A cursor over one bucket's partial aggregates (empty if the run has none for it).
    public func cursor(bucket: Int) throws -> RunCursor {
        try cursor(bucket: bucket, codec: AggregateCodec.self)
    }

    /// A cursor over one bucket's entries of a codec.
    public func cursor<Codec: SpillCodec>(bucket: Int, codec: Codec.Type) throws -> SpillCursor<Codec> {
        let range = buckets[bucket] ?? (0, 0, 0)
        return try SpillCursor<Codec>(path: path, offset: range.offset, length: range.length, entries: range.entries)
    }
}

public typealias RunCursor = SpillCursor<AggregateCodec>

/// Streams the entries of one bucket of a run, decompressing 64 KiB at a time. Holds the current
/// entry for the k-way merge. About 200 KiB of buffers while open.
public final class SpillCursor<Codec: SpillCodec> {
    static var inputChunk: Int { 64 * 1024 }
    let path: String
    let fd: FileDescriptor
    private let decoder: LZ4FrameDecoder
    @exclusivity(unchecked) private var fileOffset: Int
    private let fileEnd: Int
    private let expectedEntries: Int
    @exclusivity(unchecked) private var entriesRead = 0
    private let input: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var inputStart = 0, inputEnd = 0
    private let output: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var outputStart = 0, outputEnd = 0
    @exclusivity(unchecked) public private(set) var key = Codec.emptyKey
    @exclusivity(unchecked) public private(set) var value = Codec.emptyValue

    init(path: String, offset: Int, length: Int, entries: Int) throws {
        self.path = path
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.io, "cannot open spill file \(path): \(error)")
        }
        do {
            decoder = try LZ4FrameDecoder()
        } catch {
            try? fd.close()
            throw SettleError(.io, "\(error)")
        }
        fileOffset = offset
        fileEnd = offset + length
        expectedEntries = entries
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.inputChunk, alignment: 16)
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: LZ4FrameEncoder.blockSize + 2 * Codec.maxSize, alignment: 16)
    }

    deinit {
        try? fd.close()
        input.deallocate()
        output.deallocate()
    }

    /// Moves to the next entry; false at the end of the bucket (after verifying the frame's checksum
    /// and the entry count).
    public func advance() throws -> Bool {
        if fileEnd == fileOffset && inputStart == inputEnd && outputStart == outputEnd && !decoder.frameComplete {
            // An empty bucket: no frame at all.
            if expectedEntries == 0 && entriesRead == 0 && fileEnd == 0 { return false }
        }
        // Keep at least one whole entry decoded unless the frame has ended.
        while outputEnd - outputStart < Codec.maxSize && !decoder.frameComplete {
            let remainder = outputEnd - outputStart
            if remainder > 0 && outputStart > 0 {
                output.baseAddress!.copyMemory(from: output.baseAddress! + outputStart, byteCount: remainder)
            }
            outputStart = 0
            outputEnd = remainder
            if inputStart == inputEnd && fileOffset < fileEnd {
                let want = min(input.count, fileEnd - fileOffset)
                let got: Int
                try FaultInjection.check(.read, path: path)
                do {
                    got = try FileIO.read(fd, offset: fileOffset, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]))
                } catch {
                    throw SettleError(.io, "cannot read spill file \(path): \(error)")
                }
                if got == 0 { throw corrupt("file is truncated") }
                fileOffset += got
                inputStart = 0
                inputEnd = got
            }
            let result: (consumed: Int, produced: Int)
            do {
                result = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]),
                                            into: UnsafeMutableRawBufferPointer(rebasing: output[outputEnd...]))
            } catch {
                throw corrupt("\(error)")
            }
            inputStart += result.consumed
            outputEnd += result.produced
            if result.consumed == 0 && result.produced == 0 && !decoder.frameComplete && fileOffset >= fileEnd {
                if expectedEntries == 0 && entriesRead == 0 && fileEnd == 0 { return false }
                throw corrupt("frame ends early")
            }
        }
        if outputStart == outputEnd {
            if entriesRead != expectedEntries {
                throw corrupt("bucket holds \(entriesRead) entries, index says \(expectedEntries)")
            }
            return false
        }
        guard let entry = Codec.load(from: UnsafeRawPointer(output.baseAddress! + outputStart), available: outputEnd - outputStart) else {
            throw corrupt("malformed entry after \(entriesRead) entries")
        }
        key = entry.key
        value = entry.value
        outputStart += entry.size
        entriesRead += 1
        return true
    }

    private func corrupt(_ why: String) -> SettleError {
        SettleError(.io, "spill file \(path) is corrupt: \(why)")
    }
}

extension RunReader {
    /// Reads every entry of every bucket, checking the LZ4 checksums, the counts and the key order:
    /// how a resume makes sure nothing corrupt is ever merged. Returns the number of entries.
    public func verify() throws -> Int { try verify(codec: AggregateCodec.self) }

    public func verify<Codec: SpillCodec>(codec: Codec.Type) throws -> Int {
        var total = 0
        for bucket in buckets.keys.sorted() {
            let cursor = try cursor(bucket: bucket, codec: codec)
            var previous: Codec.Key?
            while try cursor.advance() {
                if let previous, !(previous < cursor.key) {
                    throw SettleError(.io, "spill file \(path) is corrupt: keys out of order in bucket \(bucket)")
                }
                previous = cursor.key
                total += 1
            }
        }
        return total
    }
}
