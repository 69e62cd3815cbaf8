/// How a message file is read, decided once by the planner: 1014-blocked or not, and its code page.
/// `MessageSpec`'s `auto` values are resolved by walking the first messages under each reading.
public struct MessageFraming: Sendable, Equatable {
    public var blocked: Bool
    public var encoding: MessageSpec.Encoding
    /// Messages in the chain (up to its end or its first bad RDW).
    public var messages = 0

    /// Byte -> Latin-1 for the encoding.
    var toLatin1: [UInt8] { Self.table(encoding) }

    static func table(_ encoding: MessageSpec.Encoding) -> [UInt8] {
        switch encoding {
        case .ascii, .auto: CodePage.ascii.toLatin1
        case .ebcdicCP500: CodePage.ebcdicCP500.toLatin1
        case .ebcdicCP037: CodePage.ebcdicCP037.toLatin1
        }
    }
}

/// Plans a file of length-prefixed messages: resolves blocking and encoding, then walks the RDW
/// chain (4 bytes read per message, no field parsing) cutting byte-range partitions of about
/// `partitionSizeBytes` on message boundaries. Only the first and last messages (header and trailer)
/// and the message before each cut (the context's previous kind) are decoded.
enum MessagePlanner {
    /// Messages walked under each reading to decide `auto`.
    static let probeMessages = 64

    static func plan(index: Int, path: String, layoutName: String, layout: CompiledLayout, spec: MessageSpec,
                     bytes: UnsafeRawBufferPointer, partitionSizeBytes: Int)
        -> (plan: FilePlan, ranges: [Range<Int>], contexts: [StructuredContext?]) {
        var plan = FilePlan(index: index, path: path, layout: layout, layoutName: layoutName, sizeBytes: bytes.count,
                            framing: .none, headerOffset: nil, trailerOffset: nil, headerValues: [], controls: nil, fileRejects: [])
        guard let base = bytes.baseAddress, bytes.count > 0, let structured = layout.structured else {
            plan.messages = MessageFraming(blocked: false, encoding: spec.encoding == .auto ? .ascii : spec.encoding)
            return (plan, [], [])
        }
        var framing = detect(base, size: bytes.count, spec: spec)
        let walker = MessageWalker(base: base, size: bytes.count, blocked: framing.blocked)
        let decoder = ISO8583Decoder(spec, toLatin1: framing.toLatin1)
        let flat = UnsafeMutableRawPointer.allocate(byteCount: decoder.flatLength + 16, alignment: 8)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: MessageSpec.maxMessageBytes, alignment: 8)
        defer {
            flat.deallocate()
            scratch.deallocate()
        }
        func kind(_ logical: Int, _ length: Int) -> StructuredKind? {
            let pointer = walker.bytes(logical: logical, length: length, scratch: scratch)
            guard decoder.decode(pointer, length: length, into: flat) == nil,
                  let spec = structured.classify(flat, offset: 0, length: decoder.flatLength, whenHolds: nil) else { return nil }
            return structured.records[spec].kind
        }
        var starts: [Int] = [], previous: [(logical: Int, length: Int)?] = []
        var partitionStart = -1
        var last: (logical: Int, length: Int)?
        var logical = 0
        walk: while true {
            switch walker.step(at: logical) {
            case .message(let at, let length):
                let physical = walker.physical(at)
                if partitionStart < 0 || physical - partitionStart >= partitionSizeBytes {
                    starts.append(physical)
                    previous.append(last)
                    partitionStart = physical
                }
                if framing.messages == 0, kind(at, length) == .fileHeader { plan.headerOffset = physical }
                framing.messages += 1
                last = (at, length)
                logical = at + 4 + length
            case .end, .badLength:
                break walk
            }
        }
        if let last, walker.physical(last.logical) != plan.headerOffset, kind(last.logical, last.length) == .fileTrailer {
            plan.trailerOffset = walker.physical(last.logical)
        }
        if starts.isEmpty { starts = [0] ; previous = [nil] }
        starts[0] = 0
        var ranges: [Range<Int>] = []
        var contexts: [StructuredContext?] = []
        for (position, start) in starts.enumerated() {
            ranges.append(start..<(position + 1 < starts.count ? starts[position + 1] : bytes.count))
            var context = StructuredContext()
            if position > 0 {
                context.fileHeader = plan.headerOffset
                if let trailer = plan.trailerOffset, start > trailer { context.fileClosed = true }
                context.previousKind = previous[position].flatMap { kind($0.logical, $0.length) }
            }
            contexts.append(context)
        }
        plan.messages = framing
        return (plan, ranges, contexts)
    }

    /// Resolves `auto`: the encoding from the first MTI's first byte (EBCDIC digits are 0xF0-0xF9),
    /// the blocking by walking the first messages under each reading and keeping the one whose RDW
    /// chain and MTIs hold further (a tie: blocked when the size is a multiple of 1,014 and the
    /// first block tail is `0x40 0x40`).
    static func detect(_ base: UnsafeRawPointer, size: Int, spec: MessageSpec) -> MessageFraming {
        var encoding = spec.encoding
        if encoding == .auto {
            let first = size > 4 ? base.load(fromByteOffset: 4, as: UInt8.self) : 0x30
            encoding = first >= 0xF0 && first <= 0xF9 ? .ebcdicCP500 : .ascii
        }
        let table = MessageFraming.table(encoding)
        func score(_ blocked: Bool) -> Int {
            let walker = MessageWalker(base: base, size: size, blocked: blocked)
            var logical = 0, walked = 0
            while walked < probeMessages {
                switch walker.step(at: logical) {
                case .message(let at, let length):
                    guard length >= 4, (0..<4).allSatisfy({ table[Int(walker.byte(at + 4 + $0))] &- 0x30 < 10 }) else { return walked }
                    walked += 1
                    logical = at + 4 + length
                case .end: return probeMessages + 1
                case .badLength: return walked
                }
            }
            return walked
        }
        var blocked: Bool
        switch spec.blocking {
        case .blocked1014: blocked = true
        case .none: blocked = false
        case .auto:
            let (withBlocks, without) = (score(true), score(false))
            if withBlocks != without {
                blocked = withBlocks > without
            } else {
                blocked = size % MessageSpec.blockSize == 0 && size >= MessageSpec.blockSize
                    && MessageWalker(base: base, size: size, blocked: true).tailIsPad(MessageSpec.blockData)
            }
        }
        return MessageFraming(blocked: blocked, encoding: encoding)
    }
}
