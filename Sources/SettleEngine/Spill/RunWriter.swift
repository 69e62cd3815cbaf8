import SystemPackage

/// What a finished run file holds, for the reducer and (later) the partition's marker.
/// Constants of the run file format shared by writer and reader.
enum SpillFormat {
    static let skippableMagic: UInt32 = 0x184D_2A50
    static let version: UInt32 = 1
}

/// How one kind of entry is laid out in a run: a sorted key and its value, variable-length, at most
/// `maxSize` bytes. Writers and cursors are generic over it and specialised, so there is no dynamic
/// dispatch per entry.
public protocol SpillCodec {
    associatedtype Key: Comparable & Sendable
    associatedtype Value: Sendable
    static var maxSize: Int { get }
    static var emptyKey: Key { get }
    static var emptyValue: Value { get }
    /// Writes the entry at `pointer` (at least `maxSize` bytes free); returns its size.
    static func store(_ key: Key, _ value: Value, to pointer: UnsafeMutableRawPointer) -> Int
    /// Reads the entry at `pointer`, which has `available` bytes; nil if malformed or cut short.
    static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: Key, value: Value, size: Int)?
}

/// Partial aggregates keyed by merchant and currency (`SpillEntry`).
public enum AggregateCodec: SpillCodec {
    public static var maxSize: Int { SpillEntry.maxSize }
    public static var emptyKey: AggregateKey { AggregateKey(merchant: MerchantKey(), currency: CurrencyCode(raw: 0)) }
    public static var emptyValue: PartialAggregate { PartialAggregate() }
    @inline(__always)
    public static func store(_ key: AggregateKey, _ value: PartialAggregate, to pointer: UnsafeMutableRawPointer) -> Int {
        SpillEntry.store(key, value, to: pointer)
    }
    @inline(__always)
    public static func load(from pointer: UnsafeRawPointer, available: Int) -> (key: AggregateKey, value: PartialAggregate, size: Int)? {
        SpillEntry.load(from: pointer, available: available)
    }
}

public struct SpillRunInfo: Sendable, Equatable {
    public var path: String
    public var sizeBytes: Int
    public var entries: Int
}

/// The spill run of partial aggregates (map spills, bucket outputs, merge passes).
public typealias RunWriter = SpillWriter<AggregateCodec>

/// Writes one spill run: sorted entries of one codec, one LZ4 frame per non-empty reduce bucket, then a
/// skippable frame holding the bucket index (which `lz4 -d` ignores). Written to a temporary name
/// (0600), fsynced, and renamed when complete.
///
/// File layout: `[frame bucket a][frame bucket b]...[index frame]`; the index frame is
/// `magic 0x184D2A50, u32 size, "SRUN", u32 version, u32 buckets, u32 entries-per-bucket count n,
/// n x (u32 bucket, u64 offset, u64 length, u64 entries), u64 FNV-1a of the preceding index bytes,
/// u32 total index frame length, "SIDX"`.
public struct SpillWriter<Codec: SpillCodec>: ~Copyable {
    /// Entries are staged up to one LZ4 block; the buffer has room for one more entry past it.
    static var stagingLimit: Int { LZ4FrameEncoder.blockSize }

    public let path: String
    let temporaryPath: String
    let bucketCount: Int
    private var writer: BufferedWriter
    private let encoder: LZ4FrameEncoder
    private var staging: UnsafeMutableRawBufferPointer
    private var stagingCount = 0
    private var currentBucket = -1
    private var bucketStart = 0
    private var bucketEntries = 0
    private var index: [(bucket: UInt32, offset: UInt64, length: UInt64, entries: UInt64)] = []
    private var totalEntries = 0
    private var lastKey: Codec.Key?

    /// `encoder` is reused across runs by one worker (it owns ~200 KiB of buffers).
    public init(path: String, bucketCount: Int, encoder: LZ4FrameEncoder) throws {
        self.path = path
        self.bucketCount = bucketCount
        self.encoder = encoder
        temporaryPath = path + ".tmp-\(Syscalls.processID)-\(Syscalls.monotonicNanoseconds())"
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: temporaryPath), .writeOnly,
                                         options: [.create, .exclusiveCreate, .closeOnExec],
                                         permissions: [.ownerReadWrite])
        } catch {
            throw SettleError(.io, "cannot create spill file \(temporaryPath): \(error)")
        }
        writer = BufferedWriter(fd: fd, path: temporaryPath, capacity: 1 << 17)
        staging = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.stagingLimit + Codec.maxSize, alignment: 16)
    }

    deinit { staging.deallocate() }

    /// Appends one entry; entries must come in (bucket, key) order.
    public mutating func append(bucket: Int, key: Codec.Key, value: Codec.Value) throws {
        if bucket != currentBucket {
            precondition(bucket > currentBucket, "run entries out of bucket order")
            try endBucket()
            try beginBucket(bucket)
        } else if let lastKey {
            precondition(lastKey < key, "run entries out of key order")
        }
        lastKey = key
        if stagingCount + Codec.maxSize > Self.stagingLimit { try compressStaging() }
        stagingCount += Codec.store(key, value, to: staging.baseAddress! + stagingCount)
        bucketEntries += 1
        totalEntries += 1
    }

    private mutating func beginBucket(_ bucket: Int) throws {
        currentBucket = bucket
        bucketStart = writer.bytesWritten
        bucketEntries = 0
        lastKey = nil
        let count = try lz4 { () throws in try encoder.begin() }
        try emit(count)
    }

    private mutating func endBucket() throws {
        guard currentBucket >= 0 else { return }
        try compressStaging()
        let count = try lz4 { () throws in try encoder.end() }
        try emit(count)
        index.append((UInt32(currentBucket), UInt64(bucketStart), UInt64(writer.bytesWritten - bucketStart), UInt64(bucketEntries)))
    }

    private mutating func compressStaging() throws {
        guard stagingCount > 0 else { return }
        let input = UnsafeRawBufferPointer(rebasing: staging[0..<stagingCount])
        let count = try lz4 { () throws in try encoder.update(input) }
        stagingCount = 0
        try emit(count)
    }

    private mutating func emit(_ count: Int) throws {
        try writer.write(UnsafeRawBufferPointer(rebasing: encoder.output[0..<count]))
    }

    private func lz4(_ body: () throws -> Int) throws -> Int {
        do {
            return try body()
        } catch {
            throw SettleError(.io, "cannot write spill file \(path): \(error)")
        }
    }

    /// Ends the last bucket, writes the index, fsyncs and renames into place.
    public consuming func finish() throws -> SpillRunInfo {
        try endBucket()
        var payload: [UInt8] = []
        payload.append(contentsOf: Array("SRUN".utf8))
        RunIndex.append(SpillFormat.version, to: &payload)
        RunIndex.append(UInt32(bucketCount), to: &payload)
        RunIndex.append(UInt32(index.count), to: &payload)
        for item in index {
            RunIndex.append(item.bucket, to: &payload)
            RunIndex.append(item.offset, to: &payload)
            RunIndex.append(item.length, to: &payload)
            RunIndex.append(item.entries, to: &payload)
        }
        RunIndex.append(RunIndex.fnv1a(payload), to: &payload)
        let frameLength = 8 + payload.count + 8
        RunIndex.append(UInt32(frameLength), to: &payload)
        payload.append(contentsOf: Array("SIDX".utf8))
        var frame: [UInt8] = []
        RunIndex.append(SpillFormat.skippableMagic, to: &frame)
        RunIndex.append(UInt32(payload.count), to: &frame)
        frame += payload
        try writer.write(frame)
        _ = try writer.finish()
        try? writer.fd.close()
        do {
            try Syscalls.rename(temporaryPath, path)
        } catch {
            Syscalls.unlink(temporaryPath)
            throw SettleError(.io, "cannot publish spill file \(path): \(error)")
        }
        return SpillRunInfo(path: path, sizeBytes: writer.bytesWritten, entries: totalEntries)
    }

    /// Removes the temporary file after a failure.
    public consuming func abandon() {
        try? writer.fd.close()
        Syscalls.unlink(temporaryPath)
    }
}
