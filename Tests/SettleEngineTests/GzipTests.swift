import Foundation
import Testing
@testable import SettleEngine

/// Gzip inputs: the zlib wrapper (members, buffer and read boundaries, every way a stream can be
/// damaged), the file-to-file decompression, and the job's decompressed copies (made once, reused,
/// made again when missing).
@Suite("Gzip: decoder, file decompression, the job's decompressed copies")
struct GzipTests {
    // MARK: - GzipDecoder

    @Test("gzip's output decodes to the original whatever the read chunk and buffer sizes",
          arguments: [(1, 16), (7, 100), (4096, 4096), (1 << 20, 1 << 20), (65_536, 1)])
    func roundTrip(readChunk: Int, bufferBytes: Int) throws {
        let original = GzipSamples.records(count: 3_000)
        let compressed = try GzipSamples.gzipCLI(original)
        let decoded = try GzipSamples.decode(compressed, readChunk: readChunk, bufferBytes: bufferBytes)
        #expect(decoded.bytes == original)
        #expect(decoded.compressedBytes == compressed.count)
        #expect(decoded.decompressedBytes == original.count)
    }

    @Test("several members, as `cat a.gz b.gz` makes (an empty one and stored blocks included), decode to their concatenation")
    func multipleMembers() throws {
        let parts = [GzipSamples.records(count: 500), [], Array("plain text, stored\n".utf8), GzipSamples.records(count: 1_200)]
        let members = [try GzipSamples.gzipCLI(parts[0]), StoredGzip.member(parts[1]), StoredGzip.member(parts[2]),
                       try GzipSamples.gzipCLI(parts[3])]
        let stream = members.flatMap { $0 }
        for readChunk in [1, 3, 1000, stream.count] {
            let decoded = try GzipSamples.decode(stream, readChunk: readChunk, bufferBytes: 512)
            #expect(decoded.bytes == parts.flatMap { $0 }, "read chunk \(readChunk)")
            #expect(decoded.compressedBytes == stream.count)
        }
    }

    @Test("a stream cut anywhere is truncated, at the offset where it ends, in the member that was cut")
    func truncatedEverywhere() throws {
        let first = StoredGzip.member(Array("first member\n".utf8))
        let second = try GzipSamples.gzipCLI(GzipSamples.records(count: 40))
        let stream = first + second
        for cut in 0..<stream.count where cut != first.count {
            let error = try #require(throws: GzipError.self) {
                _ = try GzipSamples.decode(Array(stream[0..<cut]), readChunk: 5, bufferBytes: 64)
            }
            #expect(error.kind == .truncated, "cut at \(cut): \(error)")
            #expect(error.compressedByteOffset == cut, "cut at \(cut): \(error)")
            #expect(error.member == (cut < first.count ? 1 : 2), "cut at \(cut): \(error)")
        }
        // Cut exactly between members, the first member alone is a complete stream (gzip cannot tell).
        #expect(try GzipSamples.decode(first, readChunk: 5, bufferBytes: 64).bytes == Array("first member\n".utf8))
    }

    @Test("a flipped CRC-32 or length is corrupt at the trailer, named for what it means")
    func checksums() throws {
        let original = GzipSamples.records(count: 200)
        let compressed = try GzipSamples.gzipCLI(original)
        var badCRC = compressed
        badCRC[compressed.count - 6] ^= 0x01
        let crcError = try #require(throws: GzipError.self) { _ = try GzipSamples.decode(badCRC, readChunk: 4096, bufferBytes: 4096) }
        #expect(crcError.kind == .corrupt && crcError.compressedByteOffset == compressed.count - 4 && crcError.member == 1)
        #expect(crcError.description.contains("CRC-32 does not match"), "\(crcError)")
        var badLength = compressed
        badLength[compressed.count - 2] ^= 0x01
        let lengthError = try #require(throws: GzipError.self) { _ = try GzipSamples.decode(badLength, readChunk: 4096, bufferBytes: 4096) }
        #expect(lengthError.kind == .corrupt && lengthError.compressedByteOffset == compressed.count)
        #expect(lengthError.description.contains("recorded length does not match"), "\(lengthError)")
    }

    @Test("a block of a reserved type is corrupt at that block, with zlib's words")
    func invalidBlock() throws {
        // Header (10 bytes), then a block header byte with BFINAL=1 and BTYPE=11 (reserved).
        let stream: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x07, 0x00, 0x00]
        let error = try #require(throws: GzipError.self) { _ = try GzipSamples.decode(stream, readChunk: 100, bufferBytes: 100) }
        #expect(error.kind == .corrupt && error.compressedByteOffset == 11 && error.detail == "invalid block type", "\(error)")
        #expect(error.description == "corrupt gzip data at compressed byte 11 (member 1): invalid block type")
    }

    @Test("bytes after the last member that are not a member are refused at their offset")
    func trailingData() throws {
        let member = StoredGzip.member(Array("data\n".utf8))
        for tail in [[UInt8](repeating: 0, count: 8), Array("garbage".utf8), [0x1F]] {
            let error = try #require(throws: GzipError.self) {
                _ = try GzipSamples.decode(member + tail, readChunk: 3, bufferBytes: 64)
            }
            if tail == [0x1F] {
                #expect(error.kind == .truncated && error.member == 2, "\(error)") // the start of a member, cut
            } else {
                #expect(error.kind == .trailingData && error.compressedByteOffset == member.count && error.member == 2, "\(error)")
                #expect(error.description == "data that is not gzip at compressed byte \(member.count), after the end of member 1")
            }
        }
    }

    @Test func emptyInputIsTruncated() throws {
        let error = try #require(throws: GzipError.self) { _ = try GzipSamples.decode([], readChunk: 10, bufferBytes: 10) }
        #expect(error.kind == .truncated && error.compressedByteOffset == 0)
    }

    @Test func magicBytes() {
        #expect(([0x1F, 0x8B, 0x08] as [UInt8]).withUnsafeBytes(GzipDecoder.hasMagic))
        #expect(!([0x1F] as [UInt8]).withUnsafeBytes(GzipDecoder.hasMagic))
        #expect(!([0x8B, 0x1F] as [UInt8]).withUnsafeBytes(GzipDecoder.hasMagic))
        #expect(![UInt8]().withUnsafeBytes(GzipDecoder.hasMagic))
    }

    // MARK: - GzipFile

    @Test("a file decompresses to a 0600 file under its final name, with no temporary left")
    func decompressFile() throws {
        let directory = TestSupport.temporaryDirectory("gzip-file")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = GzipSamples.records(count: 5_000)
        TestSupport.write(try GzipSamples.gzipCLI(original), to: directory + "/in.gz")
        let outcome = try GzipFile.decompress(source: directory + "/in.gz", name: "in.gz", to: directory + "/out", bufferBytes: 4096)
        #expect(outcome.decompressedBytes == original.count)
        #expect(try FileIO.readBytes(path: directory + "/out") == original)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: directory + "/out")[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["in.gz", "out"])
    }

    @Test("a damaged file is an unreadable input naming it and the offset, and leaves nothing behind")
    func decompressDamagedFile() throws {
        let directory = TestSupport.temporaryDirectory("gzip-damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let compressed = try GzipSamples.gzipCLI(GzipSamples.records(count: 5_000))
        TestSupport.write(Array(compressed[0..<(compressed.count / 2)]), to: directory + "/cut.gz")
        let error = try #require(throws: SettleError.self) {
            _ = try GzipFile.decompress(source: directory + "/cut.gz", name: "given/cut.gz", to: directory + "/out", bufferBytes: 4096)
        }
        #expect(error.code == .unreadableInput)
        #expect(error.message == "cannot decompress input file given/cut.gz: truncated gzip data: the file ends at compressed byte \(compressed.count / 2), inside member 1 (the member started at compressed byte 0)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["cut.gz"])
    }

    // MARK: - The job's decompressed copies

    @Test func copyNames() {
        #expect(CompressedInputs.copyName("in/settlement.dat.gz") == "settlement.dat")
        #expect(CompressedInputs.copyName("VISA.DAT.GZ") == "VISA.DAT")
        #expect(CompressedInputs.copyName("nightly") == "nightly")
        #expect(CompressedInputs.copyName("dir/.gz") == "input")
    }

    @Test("a job maps the decompressed copy; open reuses it; a missing or resized copy is made again")
    func jobCopies() throws {
        let directory = TestSupport.temporaryDirectory("gzip-job")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var text = TestSupport.header() + "\n"
        for index in 0..<50 { text += TestSupport.detail(arn: String(repeating: "1", count: 20) + TestSupport.zeros(index, 3)) + "\n" }
        text += TestSupport.trailer(count: 50, debit: 50_000, credit: 0, fee: 500) + "\n"
        let plain = Array(text.utf8)
        // Named without .gz: gzip is recognised by its content.
        TestSupport.write(try GzipSamples.gzipCLI(plain), to: directory + "/nightly")
        let work = JobDirectory(root: directory + "/work")
        try FileIO.makeDirectories(work.root, mode: 0o700)
        let job = try Job.prepare(inputs: [.init(path: directory + "/nightly", layout: "reference")], partitionSizeBytes: 4000,
                                  buckets: 2, directory: work, restart: false).job
        let copy = work.root + "/inputs/0-nightly"
        let recorded = try #require(job.manifest.inputs[0].decompressed)
        #expect(recorded == Manifest.DecompressedCopy(format: "gzip", path: "inputs/0-nightly", sizeBytes: plain.count))
        #expect(job.manifest.inputs[0].sizeBytes == FileIO.fileSize(directory + "/nightly"), "the identity is the compressed file's")
        #expect(job.plan.files[0].path == directory + "/nightly" && job.plan.files[0].sizeBytes == plain.count)
        #expect(job.partitionCount >= 2)
        #expect(try FileIO.readBytes(path: copy) == plain)
        // The manifest as written says the same.
        #expect(try Manifest.read(work).inputs[0].decompressed == recorded)

        let inode = try GzipSamples.inode(copy)
        _ = try Job.open(work)
        _ = try Job.prepare(inputs: [.init(path: directory + "/nightly", layout: "reference")], partitionSizeBytes: 4000,
                            buckets: 2, directory: work, restart: false)
        #expect(try GzipSamples.inode(copy) == inode, "reused, not decompressed again")

        FileIO.unlink(copy)
        let reopened = try Job.open(work)
        #expect(reopened.partitionCount == job.partitionCount)
        #expect(try FileIO.readBytes(path: copy) == plain, "a missing copy is made again")
        TestSupport.write(Array(plain.prefix(100)), to: copy)
        _ = try Job.open(work)
        #expect(try FileIO.readBytes(path: copy) == plain, "a copy of another size is made again")
    }

    @Test("temporary copies left by a killed decompression are removed once nobody has written them for a while")
    func abandonedTemporaries() throws {
        let directory = TestSupport.temporaryDirectory("gzip-temporaries")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = directory + "/.0-x.dat.tmp-1234-5678"
        let fresh = directory + "/.0-x.dat.tmp-1234-9999"
        let other = directory + "/.1-y.dat.tmp-1234-5678"
        for path in [old, fresh, other] { TestSupport.write("partial", to: path) }
        let longAgo = Date(timeIntervalSinceNow: -Double(CompressedInputs.abandonedAfterSeconds + 60))
        try FileManager.default.setAttributes([.modificationDate: longAgo], ofItemAtPath: old)
        try FileManager.default.setAttributes([.modificationDate: longAgo], ofItemAtPath: other)
        CompressedInputs.removeAbandonedTemporaries(of: directory + "/0-x.dat")
        #expect(!FileIO.exists(old) && FileIO.exists(fresh) && FileIO.exists(other))
    }
}

/// Test inputs: records of text, compressed by the `gzip` command (not by Settle's code).
enum GzipSamples {
    static func records(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<count {
            bytes += Array("D\(String(repeating: "7", count: index % 23))MERCHANT\(index % 97) \(index * 7919 % 100_003)\n".utf8)
        }
        return bytes
    }

    /// `gzip -c -n` of `bytes`.
    static func gzipCLI(_ bytes: [UInt8]) throws -> [UInt8] {
        let directory = TestSupport.temporaryDirectory("gzip-cli")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        TestSupport.write(bytes, to: directory + "/in")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-6", directory + "/in"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FileProblem(path: directory, problem: "gzip failed") }
        return try FileIO.readBytes(path: directory + "/in.gz")
    }

    /// Decodes `stream` handing the decoder at most `readChunk` bytes per read.
    static func decode(_ stream: [UInt8], readChunk: Int, bufferBytes: Int) throws
        -> (bytes: [UInt8], compressedBytes: Int, decompressedBytes: Int) {
        let decoder = try GzipDecoder(bufferBytes: bufferBytes)
        var position = 0
        var output: [UInt8] = []
        let counts = try decoder.decompress(
            read: { buffer in
                let count = min(readChunk, buffer.count, stream.count - position)
                stream.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)])) }
                position += count
                return count
            },
            write: { output += $0 })
        return (output, counts.compressedBytes, counts.decompressedBytes)
    }

    static func inode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    struct FileProblem: Error {
        var path: String
        var problem: String
    }
}

/// A gzip writer of our own, independent of zlib: one member of stored (uncompressed) deflate blocks,
/// with its CRC-32 and length (RFC 1951 section 3.2.4, RFC 1952).
enum StoredGzip {
    static func member(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
        var offset = 0
        repeat {
            let count = min(65_535, bytes.count - offset)
            let final: UInt8 = offset + count == bytes.count ? 1 : 0
            out.append(final) // BFINAL, BTYPE=00 (stored), padded to the byte
            out += littleEndian(UInt32(count), bytes: 2) + littleEndian(UInt32(~UInt16(count)), bytes: 2)
            out += bytes[offset..<(offset + count)]
            offset += count
        } while offset < bytes.count
        return out + littleEndian(crc32(bytes), bytes: 4) + littleEndian(UInt32(truncatingIfNeeded: bytes.count), bytes: 4)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func littleEndian(_ value: UInt32, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
