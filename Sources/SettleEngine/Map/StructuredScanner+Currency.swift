/// ISO 4217 numeric currencies in `StructuredScanner`: a detail's currency read as a number 0-999,
/// looked up in `RecordReading`'s flat tables (no dictionary per record).
extension StructuredScanner {
    /// The detail's currency as a number, or -1 when it is not three digits.
    @inline(__always)
    func numericCurrency(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) -> Int {
        let bytes: UnsafeRawPointer
        let start: Int, count: Int
        switch buffers.currencySources[index] {
        case .own(let at, let length):
            bytes = pointer
            (start, count) = Self.trimmed(pointer, offset: offset + at, length: length)
        case .context(let slot):
            bytes = UnsafeRawPointer(context)
            start = layout.slotOffsets[slot]
            count = slotLengths[slot]
        case .missing:
            return -1
        }
        guard count == 3 else { return -1 }
        let value = FieldDecoder.amount(bytes, offset: start, length: 3)
        return value < 0 ? -1 : Int(value)
    }

    /// The index of the detail's currency field, for its reject (-1 when it comes from context).
    func currencyFieldIndex(_ index: Int) -> Int {
        guard case .own(let at, _) = buffers.currencySources[index] else { return -1 }
        return records[index].spec.fields.firstIndex { $0.position.offset == at } ?? -1
    }
}
