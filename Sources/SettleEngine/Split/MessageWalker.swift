/// Reads the RDW chain of a mapped message file (`MessageSpec`): each message is a 4-byte
/// big-endian length then that many bytes; a 1014-blocked file holds 1,012 data bytes then two
/// `0x40` bytes per block, so *logical* offsets (data bytes only) map to physical ones by
/// `physical = logical + 2 * (logical / 1012)`. A zero RDW ends the messages; what follows is padding.
///
/// Used by the planner (4 bytes read per message: no field parsing) and by each partition's scanner.
/// Valid only while the mapping it reads is.
struct MessageWalker {
    let base: UnsafeRawPointer
    /// Physical bytes of the file.
    let size: Int
    let blocked: Bool
    /// Data bytes: the file without its block tails (a partial last block counts up to 1,012 bytes).
    let logicalSize: Int

    /// What the chain holds at a logical offset.
    enum Step: Equatable {
        /// A message of `length` bytes whose RDW is at `logical`.
        case message(logical: Int, length: Int)
        /// The end of the messages: a zero RDW at `logical`, or the end of the data.
        case end(logical: Int, zeroRDW: Bool)
        /// An RDW announcing more than the data left or than 64 KiB (`bad_length`); the chain stops here.
        case badLength(logical: Int, announced: Int)
    }

    init(base: UnsafeRawPointer, size: Int, blocked: Bool) {
        self.base = base
        self.size = size
        self.blocked = blocked
        if blocked {
            logicalSize = size / MessageSpec.blockSize * MessageSpec.blockData + min(size % MessageSpec.blockSize, MessageSpec.blockData)
        } else {
            logicalSize = size
        }
    }

    @inline(__always) func physical(_ logical: Int) -> Int {
        blocked ? logical + 2 * (logical / MessageSpec.blockData) : logical
    }

    @inline(__always) func logical(_ physical: Int) -> Int {
        blocked ? physical - 2 * (physical / MessageSpec.blockSize) : physical
    }

    @inline(__always) func byte(_ logical: Int) -> UInt8 {
        base.load(fromByteOffset: physical(logical), as: UInt8.self)
    }

    @inline(__always) func step(at logical: Int) -> Step {
        if logical + 4 > logicalSize {
            // Fewer than 4 data bytes left: the end, unless they are not padding.
            var index = logical
            while index < logicalSize {
                if byte(index) != 0x40 && byte(index) != 0 { return .badLength(logical: logical, announced: -1) }
                index += 1
            }
            return .end(logical: logical, zeroRDW: false)
        }
        var length = 0
        if !blocked || logical % MessageSpec.blockData <= MessageSpec.blockData - 4 {
            length = Int(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: physical(logical), as: UInt32.self)))
        } else {
            for index in 0..<4 { length = length << 8 | Int(byte(logical + index)) }
        }
        if length == 0 { return .end(logical: logical, zeroRDW: true) }
        if length > MessageSpec.maxMessageBytes || logical + 4 + length > logicalSize {
            return .badLength(logical: logical, announced: length)
        }
        return .message(logical: logical, length: length)
    }

    /// The message's bytes (after its RDW) contiguous: in place when no block tail cuts them, else
    /// copied into `scratch` (at least `MessageSpec.maxMessageBytes` bytes).
    @inline(__always)
    func bytes(logical: Int, length: Int, scratch: UnsafeMutableRawPointer) -> UnsafeRawPointer {
        let start = logical + 4
        if !blocked || start / MessageSpec.blockData == (start + length - 1) / MessageSpec.blockData {
            return base + physical(start)
        }
        var copied = 0
        while copied < length {
            let at = start + copied
            let run = min(length - copied, MessageSpec.blockData - at % MessageSpec.blockData)
            (scratch + copied).copyMemory(from: base + physical(at), byteCount: run)
            copied += run
        }
        return UnsafeRawPointer(scratch)
    }

    /// Physical offset of the first block tail at or after `physical` (blocked files).
    static func tail(atOrAfter physical: Int) -> Int {
        let block = physical / MessageSpec.blockSize
        let tail = block * MessageSpec.blockSize + MessageSpec.blockData
        return tail >= physical ? tail : tail + MessageSpec.blockSize
    }

    /// Whether the block tail at `physical` (two bytes) holds `0x40 0x40` (a tail cut by the end of
    /// the file is checked as far as it goes).
    func tailIsPad(_ physical: Int) -> Bool {
        base.load(fromByteOffset: physical, as: UInt8.self) == 0x40
            && (physical + 1 >= size || base.load(fromByteOffset: physical + 1, as: UInt8.self) == 0x40)
    }

    /// The first byte in logical `range` that is not padding (`0x40`), or nil.
    func firstNonPad(in range: Range<Int>) -> Int? {
        var index = range.lowerBound
        while index < range.upperBound {
            if byte(index) != 0x40 { return index }
            index += 1
        }
        return nil
    }
}
