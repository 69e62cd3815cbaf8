/// The context of `StructuredScanner`: the group and file headers in force, as slots.
extension StructuredScanner {
    /// Loads the file and group headers in force at the partition's start (read, not counted: the
    /// partition that holds them counts them).
    func loadStartContext() {
        guard let start = partition.context else { return }
        lastKind = start.previousKind
        if let offset = start.fileHeader {
            let (at, length) = recordAt(offset)
            loadHeader(at: at, length: length, kind: .fileHeader)
            fileKey = offset
            fileClosed = start.fileClosed
        } else if start.fileClosed {
            fileKey = -1
            fileClosed = true
        }
        if let offset = start.groupHeader {
            let (at, length) = recordAt(offset)
            loadHeader(at: at, length: length, kind: .groupHeader)
            if start.groupOpen { groupKey = offset }
        }
    }

    private func loadHeader(at offset: Int, length: Int, kind: StructuredKind) {
        var pointer = base, start = offset
        if length < layout.recordLength {
            StructuredLine.pad(base, offset: offset, length: length, to: layout.recordLength, scratch: scratch, capacity: scratchCapacity)
            pointer = UnsafeRawPointer(scratch)
            start = 0
        }
        let size = max(length, layout.recordLength)
        guard let index = classify(pointer, offset: start, length: size, whenHolds: whenHolds),
              buffers.kinds[index] == kind else { return }
        if kind == .fileHeader { clearSlots(from: 0, to: layout.slotNames.count) } else { clearSlots(from: 0, to: layout.groupSlotCount) }
        writeContext(index, pointer, offset: start)
    }

    private func recordAt(_ offset: Int) -> (Int, Int) {
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: offset..<file.sizeBytes,
                                  recordLength: layout.recordLength, framing: file.framing)
        return cursor.next() ?? (offset, 0)
    }

    func clearSlots(from: Int, to: Int) {
        for slot in from..<to { slotLengths[slot] = 0 }
    }

    func writeContext(_ index: Int, _ pointer: UnsafeRawPointer, offset: Int) {
        for write in records[index].contextWrites {
            let (start, count) = Self.trimmed(pointer, offset: offset + write.offset, length: write.length)
            (context + layout.slotOffsets[write.slot]).update(from: pointer.advanced(by: start).assumingMemoryBound(to: UInt8.self), count: count)
            slotLengths[write.slot] = count
            slotLeading[write.slot] = start - (offset + write.offset)
        }
        contextVersion += 1
        updateWhen()
    }

    func updateWhen() {
        guard layout.usesWhen else { return }
        for (index, record) in records.enumerated() where record.whenSlot >= 0 {
            let slot = record.whenSlot
            let value = UnsafeBufferPointer(start: context + layout.slotOffsets[slot], count: slotLengths[slot])
            whenHolds[index] = record.whenValues.contains { $0.elementsEqual(value) }
        }
    }
}
