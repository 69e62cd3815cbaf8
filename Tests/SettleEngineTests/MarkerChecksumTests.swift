import Foundation
import Testing
@testable import SettleEngine

/// CRC-32C as markers record it, and a marker's check of itself.
@Suite("Checksums of work files and markers")
struct MarkerChecksumTests {
    @Test("CRC-32C: the standard check value, the same when fed in pieces")
    func checkValue() {
        #expect(CRC32C.of(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.of([]) == 0)
        #expect(CRC32C.of([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var pieces = CRC32C()
        for start in stride(from: 0, to: bytes.count, by: 4_099) { pieces.update(Array(bytes[start..<min(start + 4_099, bytes.count)])) }
        #expect(pieces.value == CRC32C.of(bytes))
        #expect(CRC32C.hex(0x0000_0a0b) == "00000a0b")
    }

    @Test("a spill run's checksum, computed as it was written, is the file's")
    func spillRunChecksum() throws {
        let directory = TestSupport.temporaryDirectory("crc-run")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let entries = (0..<5_000).map { (($0 % 4), SpillTests.key(String(format: "M%06d", $0)), SpillTests.value(Int64($0))) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        let info = try SpillTests.writeRun(directory + "/s0000.run", buckets: 4, entries)
        #expect(info.checksum == (try CRC32C.ofFile(info.path)))
        #expect(info.checksum == CRC32C.of(try FileIO.readBytes(path: info.path)))
    }

    static let marker = BucketMarker(bucket: 3, attempt: "attempt-1-2-3", attempts: 1,
                                     output: .init(name: "out.run", sizeBytes: 1234, entries: 56, crc32c: 0xDEAD_BEEF),
                                     inputs: ["p000000/attempt-1/s0000.run"], references: nil, join: nil, seconds: 0.25)

    @Test("a marker holds up with its checksum, not when edited, not without one, never traps on garbage")
    func markerChecksum() throws {
        let bytes = try MarkerIO.encodeChecked(Self.marker)
        guard case .valid(let read) = MarkerIO.check(BucketMarker.self, bytes: bytes) else { Issue.record("not valid"); return }
        var expected = Self.marker
        expected.checksum = read.checksum
        #expect(read == expected && read.checksum != nil)

        let text = String(decoding: bytes, as: UTF8.self)
        let edited = text.replacingOccurrences(of: "\"entries\" : 56", with: "\"entries\" : 57")
        #expect(edited != text)
        guard case .invalid(let why) = MarkerIO.check(BucketMarker.self, bytes: Array(edited.utf8)) else { Issue.record("edited passes"); return }
        #expect(why == "marker does not match its checksum (edited or damaged)")

        let old = try MarkerIO.encode(Self.marker)  // as an older Settle wrote it: no checksum
        guard case .invalid(let oldWhy) = MarkerIO.check(BucketMarker.self, bytes: old) else { Issue.record("old passes"); return }
        #expect(oldWhy == "marker has no checksum (written by an older Settle), so its files are not trusted")

        var random = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 17, 300] {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            guard case .invalid = MarkerIO.check(PartitionMarker.self, bytes: garbage) else { Issue.record("garbage passes"); return }
        }
        // Any cut short of the closing brace (the newline after it is not part of the JSON).
        for cut in stride(from: 0, to: bytes.count - 2, by: 7) {
            guard case .invalid = MarkerIO.check(BucketMarker.self, bytes: Array(bytes.prefix(cut))) else { Issue.record("cut \(cut) passes"); return }
        }
    }
}
