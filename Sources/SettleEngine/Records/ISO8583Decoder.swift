/// Decodes one ISO 8583 bitmap message (Mastercard IPM: MTI, primary and secondary bitmaps, then
/// the data elements the bitmaps announce) into its flat record (`MessageSpec`): the MTI and every
/// value transcoded through the file's code page, the bitmaps copied raw, each named element and PDS
/// in its slot. Elements the layout does not name are only stepped over, by their declared length type.
///
/// One decoder per scanner (or planner walk); its tables are allocated once. Per message it reads
/// the bitmap bits, one length prefix per variable element and, inside the PDS carriers, one tag
/// and length per PDS; it never allocates.
final class ISO8583Decoder {
    /// Why a message cannot be decoded; `de` names the data element (0: the message as a whole).
    struct Failure: Equatable {
        enum Cause: Int {
            /// Shorter than its MTI and bitmaps.
            case short = 0
            /// The element runs past the message.
            case pastEnd = 1
            /// The length prefix holds a byte that is not a digit.
            case badPrefix = 2
            /// The bitmap announces an element the layout does not declare.
            case undeclared = 3
            /// A PDS (tag, length, data) does not fit its element.
            case badPDS = 4
            /// The length prefix is larger than the element's maximum.
            case overlong = 5
            /// Bytes are left after the last element the bitmaps announce.
            case trailing = 6
        }
        var de: Int
        var cause: Cause

        /// Carried in a reject's field index (`RejectEntry.fieldIndex`): cause * 1000 + DE.
        var packed: Int { cause.rawValue * 1000 + de }

        /// The reject's detail, from `packed`.
        static func sentence(packed: Int) -> String {
            let de = packed % 1000
            switch Cause(rawValue: packed / 1000) {
            case .short?: return "message is shorter than its MTI and bitmap"
            case .pastEnd?: return "DE \(de), announced by the bitmap, runs past the end of the message"
            case .badPrefix?: return "DE \(de)'s length prefix holds a byte that is not a digit"
            case .undeclared?: return "the bitmap announces DE \(de), which the layout does not declare (message.elements)"
            case .badPDS?: return "a PDS (tag 4, length 3, data) in DE \(de) does not fit the element"
            case .overlong?: return "DE \(de)'s length prefix exceeds the element's maximum length"
            case .trailing?: return "bytes are left after the last data element the bitmaps announce"
            case nil: return "message cannot be decoded as ISO 8583"
            }
        }
    }

    struct Entry {
        /// 0: not declared, else `LengthType` 1 fixed, 2 llvar, 3 lllvar.
        var type: UInt8 = 0
        var length = 0
        var slotOffset = -1
        var slotCapacity = 0
        var carriesPDS = false
        /// The value is an ISO 4217 numeric code, written as its alphabetic code.
        var currency = false
    }

    let entries: UnsafeMutablePointer<Entry>
    let pdsSlots: UnsafeMutablePointer<(tag: Int, offset: Int, capacity: Int)>
    let pdsCount: Int
    /// Byte -> Latin-1 for the file's code page (identity for ASCII).
    let table: UnsafeMutablePointer<UInt8>
    let flatLength: Int
    /// By ISO 4217 number: the alphabetic code's three bytes, packed big-endian (0: unknown).
    let alphaCodes: UnsafeMutablePointer<UInt32>

    init(_ spec: MessageSpec, toLatin1: [UInt8]) {
        entries = .allocate(capacity: 129)
        entries.initialize(repeating: Entry(), count: 129)
        for element in spec.elements {
            let type: UInt8 = element.type == .fixed ? 1 : element.type == .llvar ? 2 : 3
            entries[element.number] = Entry(type: type, length: element.length, carriesPDS: spec.pdsCarriers.contains(element.number))
        }
        let pds = spec.slots.filter { $0.pds != nil }
        pdsSlots = .allocate(capacity: max(1, pds.count))
        pdsSlots.initialize(from: pds.map { ($0.pds!, $0.offset, $0.capacity) }, count: pds.count)
        pdsCount = pds.count
        for slot in spec.slots {
            guard let de = slot.de else { continue }
            entries[de].slotOffset = slot.offset
            entries[de].slotCapacity = slot.capacity
        }
        for number in spec.numericCurrency { entries[number].currency = true }
        alphaCodes = .allocate(capacity: 1000)
        alphaCodes.initialize(from: Self.alphaCodeTable(), count: 1000)
        table = .allocate(capacity: 256)
        table.initialize(from: toLatin1, count: 256)
        flatLength = spec.flatLength
    }

    deinit {
        entries.deallocate()
        pdsSlots.deallocate()
        table.deallocate()
        alphaCodes.deallocate()
    }

    /// Decodes the `length` bytes at `message` (the message without its RDW) into `flat`
    /// (`flatLength` bytes). On failure `flat` holds what was decoded so far.
    func decode(_ message: UnsafeRawPointer, length: Int, into flat: UnsafeMutableRawPointer) -> Failure? {
        guard length >= 12 else { return Failure(de: 0, cause: .short) }
        let out = flat.assumingMemoryBound(to: UInt8.self)
        let bytes = message.assumingMemoryBound(to: UInt8.self)
        (out + MessageSpec.headerBytes).update(repeating: 0x20, count: flatLength - MessageSpec.headerBytes)
        for index in 0..<4 { out[index] = table[Int(bytes[index])] }
        let hasSecondary = bytes[4] & 0x80 != 0
        let bitmapBytes = hasSecondary ? 16 : 8
        guard length >= 4 + bitmapBytes else { return Failure(de: 1, cause: .pastEnd) }
        (out + 4).update(from: bytes + 4, count: bitmapBytes)
        if !hasSecondary { (out + 12).update(repeating: 0, count: 8) }
        var position = 4 + bitmapBytes
        for byteIndex in 0..<bitmapBytes {
            var bits = bytes[4 + byteIndex]
            if byteIndex == 0 { bits &= 0x7F }
            while bits != 0 {
                let lead = bits.leadingZeroBitCount
                bits &= ~(UInt8(0x80) >> UInt8(lead))
                let de = byteIndex * 8 + lead + 1
                let entry = entries[de]
                if entry.type == 0 { return Failure(de: de, cause: .undeclared) }
                var valueLength = entry.length
                if entry.type > 1 {
                    let digits = Int(entry.type)
                    guard position + digits <= length else { return Failure(de: de, cause: .pastEnd) }
                    valueLength = 0
                    for index in 0..<digits {
                        let digit = table[Int(bytes[position + index])] &- 0x30
                        guard digit < 10 else { return Failure(de: de, cause: .badPrefix) }
                        valueLength = valueLength * 10 + Int(digit)
                    }
                    guard valueLength <= entry.length else { return Failure(de: de, cause: .overlong) }
                    position += digits
                }
                guard position + valueLength <= length else { return Failure(de: de, cause: .pastEnd) }
                if entry.slotOffset >= 0 {
                    transcode(bytes + position, count: min(valueLength, entry.slotCapacity), into: out + entry.slotOffset)
                    if entry.currency { alphabetic(out + entry.slotOffset) }
                }
                if entry.carriesPDS && pdsCount > 0 && !pds(bytes + position, length: valueLength, into: out) {
                    return Failure(de: de, cause: .badPDS)
                }
                position += valueLength
            }
        }
        return position == length ? nil : Failure(de: 0, cause: .trailing)
    }

    /// The PDS of one carrier element: tag (4 digits), length (3 digits), data.
    private func pds(_ value: UnsafePointer<UInt8>, length: Int, into out: UnsafeMutablePointer<UInt8>) -> Bool {
        var position = 0
        while position < length {
            guard position + 7 <= length else { return false }
            var tag = 0, size = 0
            for index in 0..<7 {
                let digit = table[Int(value[position + index])] &- 0x30
                guard digit < 10 else { return false }
                if index < 4 { tag = tag * 10 + Int(digit) } else { size = size * 10 + Int(digit) }
            }
            position += 7
            guard position + size <= length else { return false }
            for index in 0..<pdsCount where pdsSlots[index].tag == tag {
                transcode(value + position, count: min(size, pdsSlots[index].capacity), into: out + pdsSlots[index].offset)
            }
            position += size
        }
        return true
    }

    /// Three digits (already transcoded) replaced by their ISO 4217 alphabetic code, when known.
    @inline(__always)
    private func alphabetic(_ value: UnsafeMutablePointer<UInt8>) {
        let hundreds = value[0] &- 0x30, tens = value[1] &- 0x30, units = value[2] &- 0x30
        guard hundreds < 10, tens < 10, units < 10 else { return }
        let code = alphaCodes[Int(hundreds) * 100 + Int(tens) * 10 + Int(units)]
        guard code != 0 else { return }
        value[0] = UInt8(truncatingIfNeeded: code >> 16)
        value[1] = UInt8(truncatingIfNeeded: code >> 8)
        value[2] = UInt8(truncatingIfNeeded: code)
    }

    static func alphaCodeTable() -> [UInt32] {
        (0..<1000).map { number in
            guard let currency = ISO4217.byNumeric(number) else { return 0 }
            return Array(currency.alpha.utf8).prefix(3).reduce(0) { $0 << 8 | UInt32($1) }
        }
    }

    @inline(__always)
    private func transcode(_ from: UnsafePointer<UInt8>, count: Int, into to: UnsafeMutablePointer<UInt8>) {
        for index in 0..<count { to[index] = table[Int(from[index])] }
    }

    /// A message that could not be decoded, as shown in rejects: every byte through the code page
    /// but the bitmaps' (bytes 4-19), kept raw. Returns the bytes written (at most `capacity`).
    func rawText(_ message: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let bytes = message.assumingMemoryBound(to: UInt8.self)
        let to = out.assumingMemoryBound(to: UInt8.self)
        let count = min(length, capacity)
        let bitmapEnd = length > 4 && bytes[4] & 0x80 != 0 ? 20 : 12
        for index in 0..<count { to[index] = index >= 4 && index < bitmapEnd ? bytes[index] : table[Int(bytes[index])] }
        return count
    }
}
