import SettleEngine

/// One 94-byte NACHA record and its LF, filled field by field at the 1-based `start` positions of the
/// NACHA specification (as `datasets/layouts/nacha.yaml` gives them), so each record
/// below can be checked against the layout by eye. Reused for every record: no allocation per line.
struct NachaLine {
    static let recordLength = 94
    /// The record and its line end.
    private(set) var bytes: [UInt8]

    init() {
        bytes = [UInt8](repeating: 0x20, count: Self.recordLength + 1)
        bytes[Self.recordLength] = 0x0A
    }

    /// Starts a record of `type` ("1", "5", "6", ...): every other byte blank.
    mutating func start(_ type: UInt8) {
        for index in 1..<Self.recordLength { bytes[index] = 0x20 }
        bytes[0] = type
    }

    /// `value` left-justified in `start...start + length - 1`, blank-padded (or cut).
    mutating func text(_ value: [UInt8], start: Int, length: Int) {
        let offset = start - 1
        let copied = min(length, value.count)
        for index in 0..<copied { bytes[offset + index] = value[index] }
        for index in copied..<length { bytes[offset + index] = 0x20 }
    }

    mutating func text(_ value: String, start: Int, length: Int) {
        text(Array(value.utf8), start: start, length: length)
    }

    /// `length` bytes of `table` from `tableOffset` (a name out of a table of fixed-width names).
    mutating func copy(_ table: [UInt8], from tableOffset: Int, start: Int, length: Int) {
        let offset = start - 1
        for index in 0..<length { bytes[offset + index] = table[tableOffset + index] }
    }

    /// `value` right-justified and zero-padded in `length` digits. The caller makes sure it fits.
    mutating func digits(_ value: UInt64, start: Int, length: Int) {
        DecimalDigits.write(value, into: &bytes, at: start - 1, width: length)
    }

    mutating func digits(_ value: Int64, start: Int, length: Int) {
        digits(UInt64(value), start: start, length: length)
    }

    mutating func digits(_ value: Int, start: Int, length: Int) {
        digits(UInt64(value), start: start, length: length)
    }

    /// `length` random digits, then blanks up to `fieldLength` (account numbers, ids).
    mutating func randomDigits(start: Int, length: Int, fieldLength: Int, random: inout GeneratorRandom) {
        DecimalDigits.writeRandom(into: &bytes, at: start - 1, length: length, random: &random)
        for index in (start - 1 + length)..<(start - 1 + fieldLength) { bytes[index] = 0x20 }
    }

    /// The byte at a 1-based position (for tests and the generator's own checks).
    func byte(at start: Int) -> UInt8 { bytes[start - 1] }
}
