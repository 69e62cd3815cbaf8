/// The control measures of the group and logical file in force, and their scopes as partials.
extension StructuredScanner {
    /// Adds a record to the measures of the group and file in force.
    @inline(__always)
    func applyUpdates(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, valid: Bool, isDebit: Bool, amount: Int64,
                              fee: Int64) throws {
        let inGroup = groupKey != nil
        if fileKey == nil { fileKey = -1 }
        if inGroup { groupRecords += 1 }
        fileRecords += 1
        let range = updateRanges[index]
        for position in range.start..<(range.start + range.count) {
            let update = updates[position]
            if update.whereOffset >= 0 {
                let value = FieldDecoder.pack(pointer, offset: offset + update.whereOffset, length: update.whereLength)
                var found = false
                for at in update.whereStart..<(update.whereStart + update.whereCount) where whereValues[at] == value {
                    found = true
                    break
                }
                if !found { continue }
            }
            let delta: Int128
            switch update.operation {
            case .count: delta = 1
            case .debit:
                guard valid && isDebit else { continue }
                delta = Int128(amount)
            case .credit:
                guard valid && !isDebit else { continue }
                delta = Int128(amount)
            case .amount:
                guard valid else { continue }
                delta = Int128(amount)
            case .net:
                guard valid else { continue }
                delta = isDebit ? -Int128(amount) : Int128(amount)
            case .fee:
                guard valid else { continue }
                delta = Int128(fee)
            case .field:
                let at = offset + update.fieldOffset
                if update.fieldLength <= 18 {
                    let value = FieldDecoder.amount(pointer, offset: at, length: update.fieldLength)
                    guard value >= 0 else { continue }
                    delta = Int128(value)
                } else {
                    guard FieldDecoder.isDigits(pointer, offset: at, length: update.fieldLength) else { continue }
                    delta = PartitionPlanner.digitsValue(pointer, offset: at, length: update.fieldLength)
                }
            }
            if inGroup { groupMeasures[update.measure] &+= delta }
            fileMeasures[update.measure] &+= delta
        }
    }

    @inline(__always)
    func count(spec index: Int, _ pointer: UnsafeRawPointer, offset: Int) throws {
        try applyUpdates(index, pointer, offset: offset, valid: false, isDebit: false, amount: 0, fee: 0)
    }

    func countUnrecognised() {
        if lookingAhead { return }
        if fileKey == nil && !fileClosed { fileKey = -1 }
        for measure in allMeasures {
            if groupKey != nil { groupMeasures[measure] &+= 1 }
            if fileKey != nil { fileMeasures[measure] &+= 1 }
        }
        if groupKey != nil { groupRecords += 1 }
        if fileKey != nil { fileRecords += 1 }
    }

    func closeGroup() {
        if groupKey != nil { flushGroup() }
    }

    func flushGroup(trailer: StructuredPartial.RecordRef? = nil, trailerValues: [StructuredPartial.Declared]? = nil) {
        guard let key = groupKey else { return }
        partial.scopes.append(.init(isFile: false, key: key, measures: (0..<measureCount).map { String(groupMeasures[$0]) },
                                    header: groupHeader, headerValues: groupHeaderValues, trailer: trailer,
                                    trailerValues: trailerValues, records: groupRecords))
        for index in 0..<measureCount { groupMeasures[index] = 0 }
        groupKey = nil
        groupHeader = nil
        groupHeaderValues = nil
        groupRecords = 0
    }

    func flushFile() {
        guard let key = fileKey else { return }
        if fileRecords > 0 || fileHeader != nil || fileTrailer != nil {
            partial.scopes.append(.init(isFile: true, key: key, measures: (0..<measureCount).map { String(fileMeasures[$0]) },
                                        header: fileHeader, headerValues: nil, trailer: fileTrailer, trailerValues: fileTrailerValues,
                                        records: fileRecords))
        }
        for index in 0..<measureCount { fileMeasures[index] = 0 }
        fileKey = nil
        fileHeader = nil
        fileTrailer = nil
        fileTrailerValues = nil
        fileRecords = 0
    }

    /// The values a record's controls declare, read from its fields; none when the record has the
    /// wrong length (`readable` false): its checks then fail as unreadable.
    func declared(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int, readable: Bool) -> [StructuredPartial.Declared] {
        let spec = records[index].spec
        guard readable else { return spec.controls.map { _ in .init(value: nil, other: nil) } }
        return spec.controls.map { control in
            guard let field = spec.fields.first(where: { $0.name == control.field }) else { return .init(value: nil, other: nil) }
            let at = offset + field.position.offset, length = field.position.length
            if case .equals(let name) = control.measure {
                let (start, count) = Self.trimmed(pointer, offset: at, length: length)
                let own = String(decoding: UnsafeRawBufferPointer(start: pointer + start, count: count), as: UTF8.self)
                var other: String?
                var justified = false
                if let slot = layout.slotNames.prefix(layout.groupSlotCount).firstIndex(of: name) {
                    other = String(decoding: UnsafeRawBufferPointer(start: context + layout.slotOffsets[slot], count: slotLengths[slot]),
                                   as: UTF8.self)
                    justified = other == own && count > 0 && slotLeading[slot] != start - at
                }
                return .init(value: own, other: other, justified: justified)
            }
            switch field.type {
            case .signedAmount:
                return .init(value: FieldDecoder.signedAmount(pointer, offset: at, length: length).map { String($0) }, other: nil)
            default:
                guard FieldDecoder.isDigits(pointer, offset: at, length: length) else { return .init(value: nil, other: nil) }
                return .init(value: String(PartitionPlanner.digitsValue(pointer, offset: at, length: length)), other: nil)
            }
        }
    }
}
