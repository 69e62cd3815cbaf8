#if canImport(Glibc)
import Glibc
#endif

/// The structure in force at a partition's first record: which file header and group header its
/// records belong to, whether they are still open, and the kind of the record just before it. The
/// planner finds it by walking back from the partition's start to the nearest headers (never
/// further back than the previous partition's start, whose context it inherits), so a partition
/// can start anywhere, even inside one long batch.
public struct StructuredContext: Sendable, Equatable, Codable {
    /// Byte offset of the file header in force, or nil before any file header.
    public var fileHeader: Int?
    /// The file trailer of that file has been read (records now are after its trailer).
    public var fileClosed = false
    /// Byte offset of the latest group header of that file (its fields are the context).
    public var groupHeader: Int?
    /// That group has not ended yet.
    public var groupOpen = false
    /// Kind of the nearest recognised record before the partition that is not a continuation: a
    /// continuation at the start attaches to a detail only when this is `detail`.
    public var previousKind: StructuredKind?

    public init() {}
}

extension PartitionPlanner {
    /// Where a structured file's first record starts: after a UTF-8 byte order mark, unless
    /// `--strict` (which reads the mark as part of the first record).
    static func firstRecordOffset(_ bytes: UnsafeRawBufferPointer, strict: Bool) -> Int {
        !strict && bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// A layout of one logical file per physical file: its file header is the first record (after a
    /// byte order mark) and its file trailer the last record recognised as one. Any other file
    /// header or trailer is rejected as unexpected, so these offsets, found once, decide the file's
    /// structure whatever the partitions.
    static func singleFileBounds(bytes: UnsafeRawBufferPointer, framing: Framing, layout: StructuredLayout,
                                 strict: Bool) -> (header: Int?, trailer: Int?) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return (nil, nil) }
        let start = firstRecordOffset(bytes, strict: strict)
        var header: Int?
        var cursor = RecordCursor(bytes: bytes, range: start..<bytes.count, recordLength: layout.recordLength, framing: framing)
        if let first = cursor.next(),
           let index = layout.classify(base, offset: first.offset, length: first.length, whenHolds: nil),
           layout.records[index].kind == .fileHeader {
            header = first.offset
        }
        guard layout.hasFileTrailers else { return (header, nil) }
        var end = bytes.count
        if framing == .none {
            // Fixed blocks start on multiples of the record length.
            end = start + (bytes.count - start + layout.recordLength - 1) / layout.recordLength * layout.recordLength
        }
        while end > start {
            var record = recordBefore(base, end: end, lowerBound: start, framing: framing, recordLength: layout.recordLength)
            if framing == .none { record.length = min(record.length, bytes.count - record.offset) }
            end = record.offset
            // Several records on one line (read cut every record length): its last one.
            if record.length > layout.recordLength && record.length % layout.recordLength == 0
                && !layout.records.contains(where: { $0.length == record.length }) {
                let last = record.offset + record.length - layout.recordLength
                if let index = layout.classify(base, offset: last, length: layout.recordLength, whenHolds: nil),
                   layout.records[index].kind == .fileTrailer {
                    return (header, last)
                }
            }
            if let index = layout.classify(base, offset: record.offset, length: record.length, whenHolds: nil),
               layout.records[index].kind == .fileTrailer, record.offset != header {
                return (header, record.offset)
            }
            if record.offset == header { break }
        }
        return (header, nil)
    }

    /// The context at each partition's start, in partition order (all partitions of one file).
    static func structuredContexts(bytes: UnsafeRawBufferPointer, framing: Framing, layout: StructuredLayout,
                                   starts: [Int], fileHeader planHeader: Int? = nil, fileTrailer planTrailer: Int? = nil,
                                   strict: Bool = false) -> [StructuredContext] {
        let fileStart = firstRecordOffset(bytes, strict: strict)
        // One logical file: its bounds are known, only groups are looked for (back to the nearest
        // group header, normally a short walk).
        let singleFile = layout.afterTrailer != .nextFile
        let implicitGroups = layout.hasGroupTrailers && !layout.hasGroupHeaders
        guard let base = bytes.baseAddress else { return starts.map { _ in StructuredContext() } }
        var contexts: [StructuredContext] = []
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: layout.maxLength + 16, alignment: 8)
        defer { scratch.deallocate() }
        var previousStart = 0
        var previous = StructuredContext()
        for start in starts {
            if start == 0 {
                contexts.append(StructuredContext())
                previous = StructuredContext()
                previousStart = 0
                continue
            }
            var context = StructuredContext()
            var fileHeader: Int?
            var fileTrailerSeen = false
            var groupHeader: Int?
            var firstGroupEvent: StructuredKind?
            var previousFound = false
            var end = start
            let lowerBound = max(previousStart, fileStart)
            while end > lowerBound {
                let record = recordBefore(base, end: end, lowerBound: lowerBound, framing: framing, recordLength: layout.recordLength)
                end = record.offset
                var stop = false
                for (at, kind) in lineKinds(base, offset: record.offset, length: record.length, layout: layout, framing: framing, strict: strict,
                                             scratch: scratch) {
                    if !previousFound, let kind, kind != .continuation {
                        context.previousKind = kind
                        previousFound = true
                    }
                    if singleFile {
                        // Groups without headers open after the file header or a group trailer.
                        if implicitGroups && groupHeader == nil && (kind == .groupTrailer || at == planHeader) {
                            groupHeader = at
                            if firstGroupEvent == nil { firstGroupEvent = .groupHeader }
                        }
                        if kind == .groupHeader && groupHeader == nil { groupHeader = at }
                        if kind == .groupTrailer && firstGroupEvent == nil { firstGroupEvent = .groupTrailer }
                        if kind == .groupHeader && firstGroupEvent == nil { firstGroupEvent = .groupHeader }
                        if (groupHeader != nil && previousFound) || at == planHeader { stop = true; break }
                        continue
                    }
                    switch kind {
                    case .fileHeader?:
                        fileHeader = at
                    case .fileTrailer?:
                        // Group records after a file trailer are rejected (they change nothing): the
                        // group in force is the last one before the trailer.
                        fileTrailerSeen = true
                        groupHeader = nil
                        firstGroupEvent = nil
                    case .groupHeader?:
                        if groupHeader == nil { groupHeader = at }
                        if firstGroupEvent == nil { firstGroupEvent = .groupHeader }
                    case .groupTrailer?:
                        if firstGroupEvent == nil { firstGroupEvent = .groupTrailer }
                    default:
                        break
                    }
                    if fileHeader != nil { stop = true; break }
                }
                if stop { break }
            }
            if !previousFound { context.previousKind = previous.previousKind }
            if singleFile {
                context.fileHeader = planHeader
                context.groupHeader = groupHeader ?? previous.groupHeader
                context.groupOpen = firstGroupEvent.map { $0 == .groupHeader } ?? previous.groupOpen
                if let planTrailer, start > planTrailer {
                    context.fileClosed = true
                    context.groupOpen = false
                }
            } else if let fileHeader {
                context.fileHeader = fileHeader
                context.fileClosed = fileTrailerSeen
                context.groupHeader = groupHeader
                context.groupOpen = firstGroupEvent == .groupHeader && !fileTrailerSeen
            } else if previous.fileClosed && !fileTrailerSeen {
                // Still after the previous partition's trailer: nothing in between counts.
                context.fileHeader = previous.fileHeader
                context.fileClosed = true
                context.groupHeader = previous.groupHeader
                context.groupOpen = false
            } else {
                context.fileHeader = previous.fileHeader
                context.fileClosed = fileTrailerSeen || previous.fileClosed
                context.groupHeader = groupHeader ?? previous.groupHeader
                if fileTrailerSeen {
                    context.groupOpen = false
                } else if firstGroupEvent != nil {
                    context.groupOpen = firstGroupEvent == .groupHeader
                } else {
                    context.groupOpen = previous.groupOpen
                }
            }
            contexts.append(context)
            previous = context
            previousStart = start
        }
        return contexts
    }

    /// The kinds of the records on one line, last first, recognised as the map stage reads them
    /// (`StructuredLine`), without conditions. `scratch` holds `maxLength + 16` bytes.
    static func lineKinds(_ base: UnsafeRawPointer, offset: Int, length: Int, layout: StructuredLayout, framing: Framing, strict: Bool,
                          scratch: UnsafeMutableRawPointer) -> [(offset: Int, kind: StructuredKind?)] {
        func kind(_ pointer: UnsafeRawPointer, _ at: Int, _ count: Int) -> StructuredKind? {
            layout.classify(pointer, offset: at, length: count, whenHolds: nil).map { layout.records[$0].kind }
        }
        let raw = length > 0 ? layout.classify(base, offset: offset, length: length, whenHolds: nil) : nil
        switch StructuredLine.form(base, offset: offset, length: length, spec: raw, layout: layout, framing: framing, strict: strict) {
        case .blank, .lineEnds:
            return [(offset, nil)]
        case .multibyte(let characters):
            StructuredLayout.transcode(base, offset: offset, length: length, into: scratch)
            return [(offset, kind(UnsafeRawPointer(scratch), 0, characters))]
        case .unseparated(let count):
            return stride(from: count - 1, through: 0, by: -1).map { (offset + $0 * layout.recordLength, kind(base, offset + $0 * layout.recordLength, layout.recordLength)) }
        case .record:
            let target = StructuredLine.padTarget(spec: raw, length: length, kindLength: raw.map { layout.records[$0].length } ?? 0,
                                                  recordLength: layout.recordLength)
            if target > 0, let padded = StructuredLine.repaired(base, offset: offset, length: length, target: target, layout: layout,
                                                                whenHolds: nil, scratch: scratch, capacity: layout.maxLength + 16) {
                return [(offset, layout.records[padded].kind)]
            }
            return [(offset, raw.map { layout.records[$0].kind })]
        }
    }

    /// The record that ends just before `end` (a record boundary), not starting before `lowerBound`.
    static func recordBefore(_ base: UnsafeRawPointer, end: Int, lowerBound: Int, framing: Framing,
                             recordLength: Int) -> (offset: Int, length: Int) {
        switch framing {
        case .none:
            let offset = max(lowerBound, end - recordLength)
            return (offset, end - offset)
        case .lf, .crlf:
            var contentEnd = end
            if contentEnd > lowerBound && base.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0A { contentEnd -= 1 }
            // Fast path: a line of the usual length.
            var start: Int
            let guess = contentEnd - recordLength - (framing == .crlf ? 1 : 0)
            if guess > lowerBound && base.load(fromByteOffset: guess - 1, as: UInt8.self) == 0x0A
                && (framing == .lf || base.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0D)
                && memchr(base + guess, 0x0A, contentEnd - guess) == nil {
                start = guess
            } else {
                start = contentEnd
                while start > lowerBound && base.load(fromByteOffset: start - 1, as: UInt8.self) != 0x0A { start -= 1 }
            }
            var length = contentEnd - start
            if length > 0 && base.load(fromByteOffset: start + length - 1, as: UInt8.self) == 0x0D { length -= 1 }
            return (start, length)
        }
    }
}
