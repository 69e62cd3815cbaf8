import SettleEngine

/// Writes messages as an IPM file: each message behind its 4-byte big-endian RDW, encoded through
/// the file's code page (the bitmaps raw), optionally 1014-blocked (1,012 data bytes then `0x40 0x40`
/// per block). `finish` writes the zero RDW and, blocked, pads the last block with `0x40` and adds
/// two more (a whole extra block when the data ended on a block boundary), as cardutil does.
struct IPMFileWriter: ~Copyable {
    private var output: ChunkedOutput
    let blocked: Bool
    let codePage: CodePage
    private let fromLatin1: [UInt8]
    /// Data bytes still free in the current block.
    private var remaining = MessageSpec.blockData
    private var buffer: [UInt8] = []

    init(path: String, blocked: Bool, codePage: CodePage) {
        output = ChunkedOutput(path: path)
        self.blocked = blocked
        self.codePage = codePage
        fromLatin1 = codePage.fromLatin1
        buffer.reserveCapacity(4096)
    }

    /// The byte offset the next message's RDW will have.
    var sizeBytes: Int { output.sizeBytes }

    /// Appends one message given in Latin-1 (`message` as `IPMMessage.bytes` builds it).
    mutating func append(_ message: IPMMessage) throws(SettleError) {
        buffer.removeAll(keepingCapacity: true)
        let length = UInt32(message.bytes.count)
        buffer += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        for (index, byte) in message.bytes.enumerated() {
            buffer.append(index >= 4 && index < message.bitmapEnd ? byte : fromLatin1[Int(byte)])
        }
        try write(buffer)
    }

    private mutating func write(_ data: [UInt8]) throws(SettleError) {
        guard blocked else { return try output.append(data) }
        var start = 0
        while data.count - start >= remaining {
            try output.append(Array(data[start..<(start + remaining)]))
            try output.append([0x40, 0x40])
            start += remaining
            remaining = MessageSpec.blockData
        }
        if start < data.count {
            try output.append(Array(data[start...]))
            remaining -= data.count - start
        }
    }

    /// The zero RDW, the padding, and the file under its name; returns its size.
    consuming func finish() throws(SettleError) -> Int {
        try write([0, 0, 0, 0])
        if blocked { try output.append([UInt8](repeating: 0x40, count: remaining + 2)) }
        let size = output.sizeBytes
        try output.commit()
        return size
    }
}

/// One ISO 8583 message in Latin-1 as `IPMFileWriter` takes it: MTI, both bitmaps (raw), then the
/// data elements in order with their length prefixes; the PDS go into DE 48.
struct IPMMessage {
    private(set) var bytes: [UInt8] = []
    /// Bytes 4..<bitmapEnd are the bitmaps (never transcoded).
    let bitmapEnd = 20

    /// `elements`: (DE, value) with DE 2-128; `pds`: (tag, value), written into DE 48 in tag order.
    init(mti: String, elements: [(Int, [UInt8])], pds: [(Int, [UInt8])], spec: MessageSpec) {
        var values = elements
        if !pds.isEmpty {
            var carrier: [UInt8] = []
            for (tag, value) in pds.sorted(by: { $0.0 < $1.0 }) {
                carrier += Self.digits(tag, width: 4) + Self.digits(value.count, width: 3) + value
            }
            values.append((48, carrier))
        }
        values.sort { $0.0 < $1.0 }
        var bitmap = [UInt8](repeating: 0, count: 16)
        bitmap[0] = 0x80
        for (de, _) in values { bitmap[(de - 1) / 8] |= 0x80 >> UInt8((de - 1) % 8) }
        bytes = Array(mti.utf8) + bitmap
        for (de, value) in values {
            let element = spec.element(de)
            switch element?.type ?? .lllvar {
            case .fixed:
                let length = element?.length ?? 999
                bytes += value.prefix(length) + [UInt8](repeating: 0x20, count: max(0, length - value.count))
            case .llvar: bytes += Self.digits(value.count, width: 2) + value
            case .lllvar: bytes += Self.digits(value.count, width: 3) + value
            }
        }
    }

    static func digits(_ value: Int, width: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0x30, count: width)
        DecimalDigits.write(UInt64(value), into: &out, at: 0, width: width)
        return out
    }
}
