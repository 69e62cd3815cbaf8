import SystemPackage

/// Small helpers over swift-system's `FileDescriptor` for whole-file reads and writes.
package enum FileIO {
    /// Reads a whole (small) file as UTF-8 text.
    package static func readText(path: String) throws -> String {
        let bytes = try readBytes(path: path)
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func readBytes(path: String) throws -> [UInt8] {
        let fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        return try fd.closeAfter {
            var result: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                if count == 0 { break }
                result.append(contentsOf: chunk[0..<count])
            }
            return result
        }
    }

    /// Reads `count` bytes at `offset` (fewer at end of file).
    static func read(_ fd: FileDescriptor, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let count = try fd.read(fromAbsoluteOffset: Int64(offset + done),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if count == 0 { break }
            done += count
        }
        return done
    }

    package static func exists(_ path: String) -> Bool { Syscalls.stat(path) != nil }

    package static func isDirectory(_ path: String) -> Bool { Syscalls.stat(path)?.isDirectory ?? false }

    package static func fileSize(_ path: String) -> Int? { Syscalls.stat(path)?.sizeBytes }

    /// Creates `path` and missing parents with `mode`.
    package static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            do {
                try Syscalls.mkdir(current, mode: mode)
            } catch {
                throw SettleError(.io, "cannot create directory \(current): \(error)")
            }
        }
    }

    /// Removes a tree of Settle's own work files without ever following a symbolic link: a link
    /// is unlinked, its target untouched (see `Syscalls.removeTree`).
    package static func removeTree(_ path: String) { Syscalls.removeTree(path) }

    package static func listDirectory(_ path: String) -> [String] { Syscalls.listDirectory(path) }

    package static func unlink(_ path: String) { Syscalls.unlink(path) }
}

/// A buffered, append-only writer over a file descriptor, with an optional running SHA-256.
/// Used for every file Settle writes; `AtomicFile` decides the names.
package struct BufferedWriter: ~Copyable {
    let fd: FileDescriptor
    let path: String
    private var buffer: [UInt8]
    private let capacity: Int
    private var hasher: SHA256?
    private var crc: CRC32C?
    /// Bytes handed to the file so far (flushed ones only).
    private var bytesFlushed: Int = 0
    /// Bytes accepted so far, buffered ones included: the logical end of the file.
    package var bytesWritten: Int { bytesFlushed + buffer.count }

    /// The CRC-32C of the bytes flushed so far, when `checksumming` (complete after `finish`).
    var checksum: UInt32? { crc?.value }

    init(fd: FileDescriptor, path: String, capacity: Int = 1 << 16, hashing: Bool = false, checksumming: Bool = false) {
        self.fd = fd
        self.path = path
        self.capacity = capacity
        self.buffer = []
        self.buffer.reserveCapacity(capacity)
        self.hasher = hashing ? SHA256() : nil
        self.crc = checksumming ? CRC32C() : nil
    }

    package mutating func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    package mutating func write(_ text: String) throws {
        try write(text.utf8)
    }

    package mutating func write(byte: UInt8) throws {
        buffer.append(byte)
        if buffer.count >= capacity { try flush() }
    }

    package mutating func write(_ raw: UnsafeRawBufferPointer) throws {
        if buffer.count + raw.count > capacity { try flush() }
        if raw.count >= capacity {
            try writeOut(raw)
        } else {
            buffer.append(contentsOf: raw)
        }
    }

    package mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { (raw) throws in try writeOut(raw) }
    }

    private mutating func writeOut(_ raw: UnsafeRawBufferPointer) throws {
        try FaultInjection.check(.write, path: path)
        hasher?.update(raw)
        crc?.update(raw)
        do {
            _ = try fd.writeAll(raw)
        } catch {
            throw SettleError(.io, "cannot write \(path): \(error)")
        }
        bytesFlushed += raw.count
    }

    /// Flushes, fsyncs and returns the SHA-256 (hex) if hashing.
    mutating func finish() throws -> String? {
        try flush()
        try FaultInjection.check(.fsync, path: path)
        do {
            try Syscalls.fsync(fd)
        } catch {
            throw SettleError(.io, "cannot fsync \(path): \(error)")
        }
        return hasher?.finalizeHex()
    }
}
