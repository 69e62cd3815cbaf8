import Testing
@testable import SettleEngine

/// The ISO 8583 decoder's flat record and the RDW walker's block arithmetic, on hand-made messages:
/// a value straddling a block tail, an RDW cut by one, the first and last byte of the data.
@Suite("ISO 8583 messages and the RDW walk")
struct ISO8583Tests {
    static let spec: MessageSpec = {
        var spec = MessageSpec(blocking: .auto, encoding: .auto,
                               elements: [.init(number: 2, type: .llvar, length: 19), .init(number: 4, type: .fixed, length: 12),
                                          .init(number: 48, type: .lllvar, length: 999), .init(number: 49, type: .fixed, length: 3)],
                               pdsCarriers: [48], pds: [(301, 16)])
        spec.numericCurrency = [49]
        spec.slots = [.init(name: "DE4", de: 4, pds: nil, offset: 20, capacity: 12), .init(name: "PDS0301", de: nil, pds: 301, offset: 32, capacity: 16),
                      .init(name: "DE49", de: 49, pds: nil, offset: 48, capacity: 3), .init(name: "DE2", de: 2, pds: nil, offset: 51, capacity: 19)]
        return spec
    }()

    /// MTI 1240, DE 2 (llvar), 4, 48 (PDS 0301 and an unread 0023), 49; primary and secondary bitmaps.
    static func message() -> [UInt8] {
        var bitmap = [UInt8](repeating: 0, count: 16)
        for de in [1, 2, 4, 48, 49] { bitmap[(de - 1) / 8] |= 0x80 >> UInt8((de - 1) % 8) }
        let pds = "0023003POI" + "0301016" + "0000000000012345"
        return Array("1240".utf8) + bitmap + Array("165413330000000014".utf8) + Array("000000001234".utf8)
            + Array(String(format: "%03d", pds.count).utf8) + Array(pds.utf8) + Array("978".utf8)
    }

    @Test("every named element and PDS lands in its slot, transcoded; EBCDIC reads the same")
    func decodesIntoFlatRecord() throws {
        let ascii = Self.message()
        let ebcdic = ascii.enumerated().map { $0.offset >= 4 && $0.offset < 20 ? $0.element : CodePage.ebcdicCP500.fromLatin1[Int($0.element)] }
        for (bytes, page) in [(ascii, CodePage.ascii), (ebcdic, .ebcdicCP500)] {
            let decoder = ISO8583Decoder(Self.spec, toLatin1: page.toLatin1)
            var flat = [UInt8](repeating: 0, count: decoder.flatLength)
            let failure = bytes.withUnsafeBytes { message in
                flat.withUnsafeMutableBytes { decoder.decode(message.baseAddress!, length: message.count, into: $0.baseAddress!) }
            }
            #expect(failure == nil)
            #expect(Array(flat[0..<4]) == Array("1240".utf8))
            #expect(Array(flat[4..<20]) == Array(ascii[4..<20]), "bitmaps raw")
            #expect(String(decoding: flat[20...], as: UTF8.self) == "000000001234" + "0000000000012345" + "EUR" + "5413330000000014   ")
        }
    }

    @Test("a length prefix that is not digits, and an element past the end, name their DE")
    func failuresNameTheElement() {
        var bytes = Self.message()
        bytes[20] = UInt8(ascii: "X")
        let decoder = ISO8583Decoder(Self.spec, toLatin1: CodePage.ascii.toLatin1)
        var flat = [UInt8](repeating: 0, count: decoder.flatLength)
        func decode(_ bytes: [UInt8]) -> ISO8583Decoder.Failure? {
            bytes.withUnsafeBytes { message in flat.withUnsafeMutableBytes { decoder.decode(message.baseAddress!, length: message.count, into: $0.baseAddress!) } }
        }
        #expect(decode(bytes) == .init(de: 2, cause: .badPrefix))
        #expect(decode(Array(Self.message().dropLast(2))) == .init(de: 49, cause: .pastEnd))
        #expect(decode(Self.message() + [0x30]) == .init(de: 0, cause: .trailing))
        #expect(ISO8583Decoder.Failure.sentence(packed: ISO8583Decoder.Failure(de: 49, cause: .pastEnd).packed)
                == "DE 49, announced by the bitmap, runs past the end of the message")
    }

    @Test("blocked: an RDW and a message cut by block tails are read across them")
    func walksAcrossBlockTails() {
        // Message 1 fills 1,006 data bytes so message 2's RDW starts at data byte 1,010, cut by the tail.
        let first = [UInt8](repeating: 0x31, count: 1_006), second = [UInt8](repeating: 0x32, count: 1_500)
        var data: [UInt8] = []
        for message in [first, second] {
            let length = UInt32(message.count)
            data += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + message
        }
        data += [0, 0, 0, 0]
        var file: [UInt8] = []
        for start in stride(from: 0, to: data.count, by: 1_012) {
            let block = Array(data[start..<min(data.count, start + 1_012)])
            file += block + [UInt8](repeating: 0x40, count: 1_012 - block.count) + [0x40, 0x40]
        }
        file.withUnsafeBytes { bytes in
            let walker = MessageWalker(base: bytes.baseAddress!, size: bytes.count, blocked: true)
            #expect(walker.step(at: 0) == .message(logical: 0, length: 1_006))
            #expect(walker.step(at: 1_010) == .message(logical: 1_010, length: 1_500))
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: MessageSpec.maxMessageBytes, alignment: 8)
            defer { scratch.deallocate() }
            let pointer = walker.bytes(logical: 1_010, length: 1_500, scratch: scratch)
            #expect(Array(UnsafeRawBufferPointer(start: pointer, count: 1_500)) == second)
            #expect(walker.step(at: 2_514) == .end(logical: 2_514, zeroRDW: true))
            #expect(walker.physical(1_012) == 1_014 && walker.logical(1_014) == 1_012)
            #expect(MessageWalker.tail(atOrAfter: 0) == 1_012 && MessageWalker.tail(atOrAfter: 1_013) == 2_026)
        }
    }
}
