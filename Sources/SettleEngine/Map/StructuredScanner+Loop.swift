/// The map loop of `StructuredScanner`: each physical record is classified, checked for its
/// physical form and folded into the table, the measures and the context.
extension StructuredScanner {
    @inline(__always)
    func classify(_ pointer: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        StructuredLayout.classify(recognizerView, firstCandidate: buffers.firstCandidate, pointer, offset: offset, length: length,
                                  whenHolds: whenHolds)
    }

    func run(result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        defer { onReferencesFull = {} }
        loadStartContext()
        var start = partition.byteStart
        var local = 0
        if start == 0 && !strict && partition.byteEnd >= 3 && base.load(as: UInt8.self) == 0xEF
            && base.load(fromByteOffset: 1, as: UInt8.self) == 0xBB && base.load(fromByteOffset: 2, as: UInt8.self) == 0xBF {
            warn(.bom, local: 0)
            start = 3
        }
        var cursor = RecordCursor(bytes: UnsafeRawBufferPointer(start: base, count: file.sizeBytes), range: start..<partition.byteEnd,
                                  recordLength: layout.recordLength, framing: file.framing)
        let recordLength = layout.recordLength
        while let (offset, length) = cursor.next() {
            if length == recordLength {
                try record(base, offset: offset, length: length, byteOffset: offset, rawLength: length, local: local,
                           result: &result, rejects: &rejects, onFull: onFull)
                local += 1
                continue
            }
            try physical(offset: offset, length: length, local: &local, result: &result, rejects: &rejects, onFull: onFull)
        }
        if pendingSpec >= 0 { try lookAhead(result: &result, rejects: &rejects, onFull: onFull) }
        flushGroup()
        flushFile()
        result.records = local
        sums.add(to: &result)
        for (index, warning) in StructuredWarning.allCases.enumerated() where warningCounts[index] > 0 {
            partial.warnings.append(.init(kind: warning.rawValue, count: warningCounts[index], first: warningFirst[index]))
        }
        result.structured = partial
    }

    /// A line that is not `record_length` long: another kind's length, trimmed, multi-byte, several
    /// records back to back, blank, or simply wrong (read as `StructuredLine` says).
    func physical(offset: Int, length: Int, local: inout Int, result: inout PartitionResult, rejects: inout RejectLog,
                  onFull: () throws -> Void) throws {
        let recordLength = layout.recordLength
        let spec = length > 0 ? classify(base, offset: offset, length: length, whenHolds: whenHolds) : nil
        let form = StructuredLine.form(base, offset: offset, length: length, spec: spec, layout: layout, framing: file.framing,
                                       strict: strict)
        // After the trailer of a layout that ignores what follows: whatever the line is.
        if fileClosed && layout.afterTrailer == .ignore && form != .lineEnds {
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

    /// One record (of any length): recognised, checked against its kind's length, then handled.
    @inline(__always)
    func record(_ pointer: UnsafeRawPointer, offset: Int, length: Int, byteOffset: Int, rawLength: Int, local: Int,
                        result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        var pointer = pointer, offset = offset, length = length
        var spec = classify(pointer, offset: offset, length: length, whenHolds: whenHolds)
        // Shorter than its kind (trailing blanks trimmed), or too short even to be recognised:
        // padded back with blanks and recognised again (the padding may complete a match).
        let target = StructuredLine.padTarget(spec: spec, length: length, kindLength: spec.map { buffers.lengths[$0] } ?? 0,
                                              recordLength: layout.recordLength)
        // A record of the wrong length is rejected, but still plays its part in the structure (a
        // group header opens its group, a trailer closes it), read padded or cut to its kind's
        // length: so the structure never depends on where partitions start.
        var lengthReject: RejectReason?
        if target > 0 {
            if let padded = StructuredLine.repaired(pointer, offset: offset, length: length, target: target, layout: layout,
                                                    whenHolds: whenHolds, scratch: scratch, capacity: scratchCapacity) {
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
            if fileClosed, layout.afterTrailer == .ignore {
                try afterTrailer(byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result, rejects: &rejects)
                return
            }
            try reject(length < layout.recordLength ? .shortRecord : .unknownRecordType, spec: -1, field: -1, byteOffset: byteOffset,
                       rawLength: rawLength, local: local, result: &result, rejects: &rejects)
            return
        }
        // A continuation attaches to a detail, or to a continuation that did; an orphan changes nothing.
        let attached = lastKind == .detail || lastKind == .continuation
        if buffers.kinds[index] != .continuation {
            lastKind = buffers.kinds[index]
        } else if attached {
            lastKind = .continuation
        }
        if length > buffers.lengths[index] {
            lengthReject = .overlongRecord
            length = buffers.lengths[index]
        }
        let kind = buffers.kinds[index]
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
        if fileClosed && kind != .filler && !(kind == .fileHeader && layout.afterTrailer == .nextFile) {
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
        switch kind {
        case .detail:
            if let lengthReject {
                if fileKey == nil { fileKey = -1 }
                try count(spec: index, pointer, offset: offset)
                try reject(lengthReject, spec: index, field: -1, ref: ref, rawLength: rawLength, result: &result, rejects: &rejects)
                return
            }
            if buffers.hasExternals[index] {
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
        case .other:
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
        case .filler:
            try count(spec: index, pointer, offset: offset)
            try check(index, pointer, offset: offset, ref: ref, rawLength: rawLength, lengthReject: lengthReject, result: &result,
                      rejects: &rejects)
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
            if groupKey == nil && layout.hasGroupHeaders {
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
        }
    }
}
