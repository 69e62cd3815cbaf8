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
    /// The context at each partition's start, in partition order (all partitions of one file).
    static func structuredContexts(bytes: UnsafeRawBufferPointer, framing: Framing, layout: StructuredLayout,
                                   starts: [Int]) -> [StructuredContext] {
        guard let base = bytes.baseAddress else { return starts.map { _ in StructuredContext() } }
        var contexts: [StructuredContext] = []
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
            var trailerBeforeGroupEvent = false
            var previousFound = false
            var end = start
            while end > previousStart {
                let record = recordBefore(base, end: end, lowerBound: previousStart, framing: framing, recordLength: layout.recordLength)
                end = record.offset
                let kind = layout.classify(base, offset: record.offset, length: record.length, whenHolds: nil).map { layout.records[$0].kind }
                if !previousFound, let kind, kind != .continuation {
                    context.previousKind = kind
                    previousFound = true
                }
                switch kind {
                case .fileHeader?:
                    fileHeader = record.offset
                case .fileTrailer?:
                    fileTrailerSeen = true
                    if firstGroupEvent == nil { trailerBeforeGroupEvent = true }
                case .groupHeader?:
                    if groupHeader == nil { groupHeader = record.offset }
                    if firstGroupEvent == nil { firstGroupEvent = .groupHeader }
                case .groupTrailer?:
                    if firstGroupEvent == nil { firstGroupEvent = .groupTrailer }
                default:
                    break
                }
                if fileHeader != nil { break }
            }
            if !previousFound { context.previousKind = previous.previousKind }
            if let fileHeader {
                context.fileHeader = fileHeader
                context.fileClosed = fileTrailerSeen
                context.groupHeader = groupHeader
                context.groupOpen = firstGroupEvent == .groupHeader && !trailerBeforeGroupEvent
            } else {
                context.fileHeader = previous.fileHeader
                context.fileClosed = fileTrailerSeen || previous.fileClosed
                context.groupHeader = groupHeader ?? previous.groupHeader
                if firstGroupEvent != nil || fileTrailerSeen {
                    context.groupOpen = firstGroupEvent == .groupHeader && !trailerBeforeGroupEvent
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
