import SystemPackage

/// One rejected record as the map stage records it (a value: rejects never stop the batch).
public struct RejectEntry: Sendable, Equatable {
    /// 0-based index of the record within its partition; the record number is resolved when all
    /// partitions of the file have been counted.
    public var localRecordIndex: Int
    public var byteOffset: Int
    public var reason: RejectReason
    /// Which record kind's field failed (nil when the record kind is unknown or the record is short).
    public var recordKind: RecordKind?
    /// Index into that record kind's fields, or -1.
    public var fieldIndex: Int
    /// The record as read (terminator excluded), at most `RejectLog.maxRawBytes`.
    public var raw: [UInt8]
    /// Structured layouts: index of the record spec (variant) the record was recognised as, or -1.
    public var specIndex = -1
}

/// A partition's rejects: kept in memory up to a limit, then appended to a work file, so a file of
/// nothing but garbage costs disk, not memory. Binary, little-endian:
/// `u64 local index, u64 byte offset, u8 reason, u8 kind (0 none, 1 header, 2 detail, 3 trailer),
/// i16 field index, u32 raw length, raw bytes`.
public struct RejectLog: ~Copyable {
    static let maxRawBytes = 4096
    static let flushBytes = 1 << 20
    let path: String
    private var buffer: [UInt8] = []
    private var fd: FileDescriptor?
    public private(set) var count = 0

    /// Written under this name, renamed to `path` when complete.
    var temporaryPath: String { path + ".tmp" }

    init(path: String) {
        self.path = path
    }

    deinit { try? fd?.close() }

    mutating func append(_ entry: RejectEntry) throws {
        RunIndex.append(UInt64(entry.localRecordIndex), to: &buffer)
        RunIndex.append(UInt64(entry.byteOffset), to: &buffer)
        buffer.append(entry.reason.rawValue)
        // Structured layouts store the record spec instead of the kind: 16 + spec index.
        buffer.append(entry.specIndex >= 0 ? UInt8(16 + min(entry.specIndex, 239)) : Self.kindCode(entry.recordKind))
        RunIndex.append(Int16(entry.fieldIndex), to: &buffer)
        let raw = entry.raw.prefix(Self.maxRawBytes)
        RunIndex.append(UInt32(raw.count), to: &buffer)
        buffer.append(contentsOf: raw)
        count += 1
        if buffer.count >= Self.flushBytes { try flush() }
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        if fd == nil {
            do {
                fd = try FileDescriptor.open(FilePath(settlePath: temporaryPath), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                             permissions: [.ownerReadWrite])
            } catch {
                throw SettleError(.io, "cannot create rejects work file \(path): \(error)")
            }
        }
        try FaultInjection.check(.write, path: path)
        do {
            _ = try fd!.writeAll(buffer)
        } catch {
            throw SettleError(.io, "cannot write rejects work file \(path): \(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and makes the file durable; returns its path, or nil if there were no rejects.
    mutating func finish() throws -> String? {
        guard count > 0 else { return nil }
        try flush()
        do {
            try Syscalls.fsync(fd!)
            try fd!.close()
            fd = nil
            try Syscalls.rename(temporaryPath, path)
        } catch {
            throw SettleError(.io, "cannot fsync or publish rejects work file \(path): \(error)")
        }
        return path
    }

    static func kindCode(_ kind: RecordKind?) -> UInt8 {
        switch kind {
        case nil: 0
        case .header: 1
        case .detail: 2
        case .trailer: 3
        }
    }

    static func kind(_ code: UInt8) -> RecordKind? {
        switch code {
        case 1: .header
        case 2: .detail
        case 3: .trailer
        default: nil
        }
    }

    /// Reads back a rejects work file, in the order written.
    public static func read(path: String) throws -> [RejectEntry] {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readBytes(path: path)
        } catch {
            throw SettleError(.io, "cannot read rejects work file \(path): \(error)")
        }
        var entries: [RejectEntry] = []
        var at = 0
        while at < bytes.count {
            guard let local = RunIndex.read(bytes, &at, as: UInt64.self),
                  let offset = RunIndex.read(bytes, &at, as: UInt64.self),
                  let reasonCode = RunIndex.read(bytes, &at, as: UInt8.self),
                  let kindCode = RunIndex.read(bytes, &at, as: UInt8.self),
                  let field = RunIndex.read(bytes, &at, as: Int16.self),
                  let length = RunIndex.read(bytes, &at, as: UInt32.self),
                  let reason = RejectReason(rawValue: reasonCode),
                  at + Int(length) <= bytes.count else {
                throw SettleError(.io, "rejects work file \(path) is corrupt at byte \(at)")
            }
            var entry = RejectEntry(localRecordIndex: Int(local), byteOffset: Int(offset), reason: reason,
                                    recordKind: kind(kindCode), fieldIndex: Int(field),
                                    raw: Array(bytes[at..<(at + Int(length))]))
            if kindCode >= 16 { entry.specIndex = Int(kindCode) - 16 }
            entries.append(entry)
            at += Int(length)
        }
        return entries
    }
}
