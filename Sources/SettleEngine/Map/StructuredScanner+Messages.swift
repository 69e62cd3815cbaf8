/// The map loop of `StructuredScanner` for length-prefixed messages (`MessageSpec`): walks the RDW
/// chain from the partition's first message, decodes each message into its flat record and hands
/// that to `record`, the loop every structured layout has. The framing is checked on the way: block
/// tails and padding (`bad_block`), an RDW past the data (`bad_length`, which ends the file's
/// messages), a file cut inside a block (`truncated_block`); a message that cannot be decoded is a
/// `bad_message` naming its data element, and the walk goes on with the next RDW.
extension StructuredScanner {
    func runMessages(result: inout PartitionResult, rejects: inout RejectLog, onFull: () throws -> Void) throws {
        defer {
            onReferencesFull = {}
            messageRaw = nil
        }
        guard let state = messageState else { return }
        loadStartContext()
        let walker = MessageWalker(base: base, size: file.sizeBytes, blocked: state.blocked)
        let flatLength = state.decoder.flatLength
        let flat = UnsafeRawPointer(state.flat)
        let end = partition.byteEnd
        var logical = walker.logical(partition.byteStart)
        var local = 0
        var nextTail = state.blocked ? MessageWalker.tail(atOrAfter: partition.byteStart) : Int.max
        walk: while walker.physical(logical) < end {
            switch walker.step(at: logical) {
            case .message(let at, let length):
                let byteOffset = walker.physical(at)
                try checkTails(&nextTail, before: min(walker.physical(at + 4 + length), end), walker: walker, local: local,
                               result: &result, rejects: &rejects)
                let bytes = walker.bytes(logical: at, length: length, scratch: state.scratch)
                if let failure = state.decoder.decode(bytes, length: length, into: state.flat) {
                    countUnrecognised()
                    try messageReject(.badMessage, field: failure.packed, bytes, length: length, byteOffset: byteOffset, local: local,
                                      result: &result, rejects: &rejects)
                } else {
                    if state.sequenceOffset >= 0 { noteSequence(flat, state: state, local: local) }
                    messageRaw = flat
                    try record(flat, offset: 0, length: flatLength, byteOffset: byteOffset, rawLength: flatLength, local: local,
                               result: &result, rejects: &rejects, onFull: onFull)
                    messageRaw = nil
                }
                local += 1
                logical = at + 4 + length
            case .end(let at, let zeroRDW):
                try checkTails(&nextTail, before: end, walker: walker, local: local, result: &result, rejects: &rejects)
                if state.blocked, let bad = walker.firstNonPad(in: (zeroRDW ? at + 4 : at)..<walker.logicalSize) {
                    try messageReject(.badBlock, field: -1, base + walker.physical(bad), length: 1, byteOffset: walker.physical(bad),
                                      local: local, result: &result, rejects: &rejects)
                }
                try checkTruncation(local: local, result: &result, rejects: &rejects)
                break walk
            case .badLength(let at, _):
                // The chain stops: nothing after this RDW is read (a cut final block before it is said first).
                let byteOffset = walker.physical(at)
                try checkTails(&nextTail, before: byteOffset, walker: walker, local: local, result: &result, rejects: &rejects)
                let truncatedFirst = file.sizeBytes - file.sizeBytes % MessageSpec.blockSize < byteOffset
                if truncatedFirst { try checkTruncation(local: local, result: &result, rejects: &rejects) }
                try messageReject(.badLength, field: -1, base + byteOffset, length: min(16, file.sizeBytes - byteOffset),
                                  byteOffset: byteOffset, local: local, result: &result, rejects: &rejects)
                if !truncatedFirst { try checkTruncation(local: local, result: &result, rejects: &rejects) }
                break walk
            }
        }
        finish(records: local, result: &result)
    }

    private func noteSequence(_ flat: UnsafeRawPointer, state: MessageScanState, local: Int) {
        let value = FieldDecoder.amount(flat, offset: state.sequenceOffset, length: state.sequenceLength)
        if partial.sequence == nil {
            partial.sequence = MessageSequence(firstLocal: local, firstValue: value)
        } else {
            partial.sequence!.note(local: local, value: value)
        }
    }

    /// Block tails before `limit` (physical) that are not `0x40 0x40`: a `bad_block` each; the data
    /// around them is read as it is (the tail is skipped like any other).
    private func checkTails(_ next: inout Int, before limit: Int, walker: MessageWalker, local: Int, result: inout PartitionResult,
                            rejects: inout RejectLog) throws {
        while next < limit && next < file.sizeBytes {
            if !walker.tailIsPad(next) {
                try messageReject(.badBlock, field: -1, base + next, length: min(2, file.sizeBytes - next), byteOffset: next,
                                  local: local, result: &result, rejects: &rejects)
            }
            next += MessageSpec.blockSize
        }
    }

    private func checkTruncation(local: Int, result: inout PartitionResult, rejects: inout RejectLog) throws {
        guard messageState?.blocked == true, file.sizeBytes % MessageSpec.blockSize != 0 else { return }
        let lastBlock = file.sizeBytes - file.sizeBytes % MessageSpec.blockSize
        try messageReject(.truncatedBlock, field: -1, base + lastBlock, length: min(16, file.sizeBytes - lastBlock),
                          byteOffset: lastBlock, local: local, result: &result, rejects: &rejects)
    }

    /// A reject about the message framing or an undecodable message: its bytes shown through the
    /// code page (the bitmaps raw).
    private func messageReject(_ reason: RejectReason, field: Int, _ bytes: UnsafeRawPointer, length: Int, byteOffset: Int, local: Int,
                               result: inout PartitionResult, rejects: inout RejectLog) throws {
        guard let state = messageState else { return }
        let count = reason == .badMessage
            ? state.decoder.rawText(bytes, length: length, into: state.raw, capacity: RejectLog.maxRawBytes)
            : min(length, RejectLog.maxRawBytes)
        if reason != .badMessage { state.raw.copyMemory(from: bytes, byteCount: count) }
        messageRaw = UnsafeRawPointer(state.raw)
        try reject(reason, spec: -1, field: field, byteOffset: byteOffset, rawLength: count, local: local, result: &result, rejects: &rejects)
        messageRaw = nil
    }

    /// `loadStartContext` for messages: the file header in force is decoded from its message.
    func loadMessageContext(_ start: StructuredContext) {
        guard let state = messageState else { return }
        lastKind = start.previousKind
        if let offset = start.fileHeader {
            let walker = MessageWalker(base: base, size: file.sizeBytes, blocked: state.blocked)
            if case .message(let at, let length) = walker.step(at: walker.logical(offset)),
               state.decoder.decode(walker.bytes(logical: at, length: length, scratch: state.scratch), length: length, into: state.flat) == nil {
                loadHeader(UnsafeRawPointer(state.flat), at: 0, length: state.decoder.flatLength, kind: .fileHeader)
            }
            fileKey = offset
            fileClosed = start.fileClosed
        } else if start.fileClosed {
            fileKey = -1
            fileClosed = true
        }
    }
}

/// A message scanner's decoder and buffers, allocated once per partition.
final class MessageScanState {
    let decoder: ISO8583Decoder
    let blocked: Bool
    /// The current message's flat record.
    let flat: UnsafeMutableRawPointer
    /// A message cut by block tails, copied contiguous.
    let scratch: UnsafeMutableRawPointer
    /// A rejected message's bytes as shown.
    let raw: UnsafeMutableRawPointer
    /// The message number's slot in the flat record (-1: none).
    let sequenceOffset: Int
    let sequenceLength: Int

    init(_ spec: MessageSpec, framing: MessageFraming) {
        sequenceOffset = spec.sequenceSlot?.offset ?? -1
        sequenceLength = min(18, spec.sequenceSlot?.capacity ?? 0)
        decoder = ISO8583Decoder(spec, toLatin1: framing.toLatin1)
        blocked = framing.blocked
        flat = .allocate(byteCount: decoder.flatLength + 16, alignment: 8)
        scratch = .allocate(byteCount: MessageSpec.maxMessageBytes, alignment: 8)
        raw = .allocate(byteCount: RejectLog.maxRawBytes, alignment: 8)
    }

    deinit {
        flat.deallocate()
        scratch.deallocate()
        raw.deallocate()
    }
}
