/// The loop's per-record work: each physical line read as `StructuredLine` says, each record
/// recognised, checked against its kind's length and handled by its kind.
extension StructuredScanner {
    /// A line that is not `record_length` long: another kind's length, trimmed, multi-byte, several
    /// records back to back, blank, or simply wrong (read as `StructuredLine` says).
    func physical(offset: Int, length: Int, local: inout Int, result: inout PartitionResult, rejects: inout RejectLog,
                  onFull: () throws -> Void) throws {
        let recordLength = layout.recordLength
        let spec = length > 0 ? classify(base, offset: offset, length: length, whenHolds: whenHolds) : nil
        let form = StructuredLine.form(base, offset: offset, length: length, spec: spec, layout: layout, framing: file.framing,
                                       strict: strict)
        // After the trailer of a layout that ignores what follows: whatever the line is.
        if fileClosed && afterTrailerRule == .ignore && form != .lineEnds {
            try afterTrailer(byteOffset: offset, rawLength: length, local: local, result: &result, rejects: &rejects)
            local += 1
            return
        }
        switch form {
        case .lineEnds:
            return
        case .blank:
            if strict {
                try reject(.shortRecord, spec: -1, field: -1, byteOffset: offset, rawLength: 0, local: local, result: &result, rejects: &rejects)
            } else {
                warn(.blankLine, local: local)
            }
            local += 1
        case .multibyte(let characters):
            warn(.multibyte, local: local)
            StructuredLayout.transcode(base, offset: offset, length: length, into: scratch)
            try record(UnsafeRawPointer(scratch), offset: 0, length: characters, byteOffset: offset, rawLength: length,
                       local: local, result: &result, rejects: &rejects, onFull: onFull)
            local += 1
        case .unseparated(let count):
            warn(.unseparated, local: local)
            for piece in 0..<count {
                let at = offset + piece * recordLength
                try record(base, offset: at, length: recordLength, byteOffset: at, rawLength: recordLength, local: local,
                           result: &result, rejects: &rejects, onFull: onFull)
                local += 1
            }
        case .record:
            // Another kind's own length, overlong, or shorter than its kind (padded back by `record`).
            try record(base, offset: offset, length: length, byteOffset: offset, rawLength: length, local: local,
                       result: &result, rejects: &rejects, onFull: onFull)
            local += 1
        }
    }

    /// A short record padded back into `scratch` (out of line: the loop never touches the layout value).
    @inline(never)
    func repaired(_ pointer: UnsafeRawPointer, offset: Int, length: Int, target: Int) -> Int? {
        StructuredLine.repaired(pointer, offset: offset, length: length, target: target, layout: layout, whenHolds: whenHolds,
                                scratch: scratch, capacity: scratchCapacity)
    }

    /// One record (of any length): recognised, checked against its kind's length, then handled.
    @inline(__always)
    func record(_ pointer: UnsafeRawPointer, offset: Int, length: Int, byteOffset: Int, rawLength: Int, local: Int,
                        result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        var pointer = pointer, offset = offset, length = length
        var spec = classify(pointer, offset: offset, length: length, whenHolds: whenHolds)
        // Shorter than its kind (trailing blanks trimmed), or too short even to be recognised:
        // padded back with blanks and recognised again (the padding may complete a match).
        let target = StructuredLine.padTarget(spec: spec, length: length, kindLength: spec.map { lengths[$0] } ?? 0,
                                              recordLength: recordLength)
        // A record of the wrong length is rejected, but still plays its part in the structure (a
        // group header opens its group, a trailer closes it), read padded or cut to its kind's
        // length: so the structure never depends on where partitions start.
        var lengthReject: RejectReason?
        if target > 0 {
            if let padded = repaired(pointer, offset: offset, length: length, target: target) {
                if strict {
                    lengthReject = .shortRecord
                } else {
                    warn(.trimmed, local: local)
                }
                pointer = UnsafeRawPointer(scratch)
                offset = 0
                length = target
                spec = padded
            }
        }
        guard let index = spec else {
            if lookingAhead { return }
            countUnrecognised()
            if fileClosed, afterTrailerRule == .ignore {
                try afterTrailer(byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result, rejects: &rejects)
                return
            }
            try reject(length < recordLength ? .shortRecord : .unknownRecordType, spec: -1, field: -1, byteOffset: byteOffset,
                       rawLength: rawLength, local: local, result: &result, rejects: &rejects)
            return
        }
        // A continuation attaches to a detail, or to a continuation that did; an orphan changes nothing.
        let attached = lastKind == .detail || lastKind == .continuation
        if kinds[index] != .continuation {
            lastKind = kinds[index]
        } else if attached {
            lastKind = .continuation
        }
        if length > lengths[index] {
            lengthReject = .overlongRecord
            length = lengths[index]
        }
        let kind = kinds[index]
        // A detail waiting for its continuations: this one may hold its roles; any other kind ends it.
        if pendingSpec >= 0 {
            if kind == .continuation {
                capture(index, pointer, offset: offset)
                if lookingAhead { return }
            } else if lookingAhead {
                lookaheadDone = true
                return
            } else {
                try resolvePending(result: &result, rejects: &rejects, onFull: onFull)
            }
        }
        if fileClosed && kind != .filler && !(kind == .fileHeader && afterTrailerRule == .nextFile) {
            try afterTrailer(byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result, rejects: &rejects, spec: index)
            return
        }
        let ref = StructuredPartial.RecordRef(spec: index, partition: partition.index, local: local, offset: byteOffset)
        // One logical file per physical file: only the planned file header and trailer are theirs.
        if singleFile && ((kind == .fileHeader && byteOffset != file.headerOffset) || (kind == .fileTrailer && byteOffset != file.trailerOffset)) {
            try count(spec: index, pointer, offset: offset)
            try reject(kind == .fileHeader ? .unexpectedHeader : .unexpectedTrailer, spec: index, field: -1, ref: ref,
                       rawLength: rawLength, result: &result, rejects: &rejects)
            return
        }
        try handle(kind, index, pointer, offset: offset, ref: ref, byteOffset: byteOffset, rawLength: rawLength, local: local,
                   lengthReject: lengthReject, attached: attached, result: &result, rejects: &rejects, onFull: onFull)
    }

    /// A recognised record in force (not after the trailer, in its logical file), by its kind.
    @inline(__always)
    func handle(_ kind: StructuredKind, _ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef,
                byteOffset: Int, rawLength: Int, local: Int, lengthReject: RejectReason?, attached: Bool,
                result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        switch kind {
        case .detail:
            if let lengthReject {
                if fileKey == nil { fileKey = -1 }
                try count(spec: index, pointer, offset: offset)
                try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
                return
            }
            if hasExternals[index] {
                try startEntry(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects,
                               onFull: onFull)
                return
            }
            try detail(index, pointer, offset: offset, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects, onFull: onFull)
        case .continuation:
            let orphan = !attached
            try count(spec: index, pointer, offset: offset)
            if let lengthReject {
                try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
            } else if orphan {
                try reject(.orphanContinuation, spec: index, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local,
                           result: &result, rejects: &rejects)
            } else {
                try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            }
        case .other, .filler:
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .groupHeader, .groupTrailer, .fileHeader, .fileTrailer:
            try scope(kind, index, pointer, offset: offset, ref: ref, byteOffset: byteOffset, rawLength: rawLength, local: local,
                      lengthReject: lengthReject, result: &result, rejects: &rejects)
        }
    }

    /// A header or trailer: opens or closes its group or logical file, and reads its declared figures.
    @inline(never)
    func scope(_ kind: StructuredKind, _ index: Int, _ pointer: UnsafeRawPointer, offset: Int, ref: StructuredPartial.RecordRef,
               byteOffset: Int, rawLength: Int, local: Int, lengthReject: RejectReason?, result: inout PartitionResult,
               rejects: inout RejectLog) throws {
        switch kind {
        case .groupHeader:
            closeGroup()
            groupKey = byteOffset
            groupHeader = ref
            clearSlots(from: 0, to: layout.groupSlotCount)
            writeContext(index, pointer, offset: offset)
            try count(spec: index, pointer, offset: offset)
            groupHeaderValues = records[index].spec.controls.isEmpty ? nil : declared(index, pointer, offset: offset, readable: lengthReject == nil)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .groupTrailer:
            if groupKey == nil && hasGroupHeaders {
                try count(spec: index, pointer, offset: offset)
                try reject(lengthReject ?? .unexpectedTrailer, spec: index, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local,
                           result: &result, rejects: &rejects)
                return
            }
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            flushGroup(trailer: ref, trailerValues: declared(index, pointer, offset: offset, readable: lengthReject == nil))
        case .fileHeader:
            closeGroup()
            flushFile()
            fileKey = byteOffset
            fileClosed = false
            fileHeader = ref
            clearSlots(from: 0, to: layout.slotNames.count)
            writeContext(index, pointer, offset: offset)
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .fileTrailer:
            closeGroup()
            if fileKey == nil { fileKey = -1 }
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
            fileTrailer = ref
            fileTrailerValues = declared(index, pointer, offset: offset, readable: lengthReject == nil)
            fileClosed = true
        default:
            break
        }
    }
}
