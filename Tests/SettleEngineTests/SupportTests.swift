import Foundation
import Testing
@testable import SettleEngine

@Suite("Support: hashing, sizes, JSON, CSV, atomic files")
struct SupportTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256KnownVectors(input: String, digest: String) {
        #expect(SHA256.hash(Array(input.utf8)) == digest)
    }

    @Test func sha256StreamingEqualsOneShot() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        var index = 0
        for size in [1, 63, 64, 65, 127, 1000, 3] {
            bytes[index..<(index + size)].withUnsafeBytes { hasher.update($0) }
            index += size
        }
        bytes[index...].withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalizeHex() == SHA256.hash(bytes))
        #expect(SHA256.hash(Array(repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: [("64M", 64 << 20), ("64MiB", 64 << 20), ("64MB", 64 << 20), ("1G", 1 << 30), ("2GiB", 2 << 30),
                      ("512", 512), ("4K", 4096), ("4kb", 4096), (" 8 M ", 8 << 20)])
    func sizesAreBinary(text: String, bytes: Int) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "M", "12X", "-4M", "1.5G", "99999999999999999999T"])
    func badSizes(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func jsonKeepsOrderAndEscapes() throws {
        var json = JSONWriter()
        json.beginObject()
        json.number("schema", 1)
        json.string("text", "a\"b\\c\nd\u{1}")
        json.money("amount", Int128(Int64.max) * 10)
        json.beginArray("list")
        json.number(nil, 1.5, decimals: 2)
        json.endArray()
        json.beginObject("empty")
        json.endObject()
        json.endObject()
        let text = String(decoding: json.bytes, as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["text"] as? String == "a\"b\\c\nd\u{1}")
        #expect(object?["amount"] as? String == "92233720368547758070")
        #expect(text.range(of: "schema")!.lowerBound < text.range(of: "text")!.lowerBound)
        #expect(text.contains("\"list\": [\n    1.50\n  ]"))
    }

    @Test func csvQuotingAndIntegers() {
        var out: [UInt8] = []
        CSVText.appendField("plain", to: &out)
        out.append(UInt8(ascii: "|"))
        CSVText.appendField("a,\"b\"", to: &out)
        out.append(UInt8(ascii: "|"))
        CSVText.appendInteger(Int128.min + 1, to: &out)
        out.append(UInt8(ascii: "|"))
        CSVText.appendInteger(0, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "plain|\"a,\"\"b\"\"\"|-170141183460469231731687303715884105727|0")
    }

    @Test func atomicFileAppearsOnlyWhenCommitted() throws {
        let directory = TestSupport.temporaryDirectory()
        let path = directory + "/out.csv"
        var file = try AtomicFile(path: path, hashing: true)
        try file.write("hello\n")
        #expect(!FileManager.default.fileExists(atPath: path))
        let digest = try file.commit()
        #expect(digest == SHA256.hash(Array("hello\n".utf8)))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.csv"])
        var abandoned = try AtomicFile(path: directory + "/other.csv")
        try abandoned.write("x")
        abandoned.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.csv"])
    }

    @Test func timestampsAreUTC() {
        #expect(Timestamp.iso8601(seconds: 0, nanoseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(seconds: 1_709_251_199, nanoseconds: 999_000_000) == "2024-02-29T23:59:59.999Z")
    }
}
