import SettleEngine

/// A large reusable byte buffer in front of a file: records are appended here and reach the file in
/// multi-megabyte chunks, written on a thread of their own (`BackgroundFileWriter`). The file appears
/// under its final name only at `commit()`; dropped without a commit, it is removed.
struct ChunkedOutput: ~Copyable {
    private let writer: BackgroundFileWriter
    private var bytes: [UInt8]
    private let capacityBytes: Int
    /// Bytes handed to the writer so far.
    private var sentBytes = 0

    init(path: String, capacityBytes: Int = 4 << 20) {
        writer = BackgroundFileWriter(path: path)
        self.capacityBytes = capacityBytes
        bytes = []
        bytes.reserveCapacity(capacityBytes)
    }

    deinit {
        try? writer.finish(commit: false)
    }

    /// Appends the first `count` bytes of `record`.
    mutating func append(_ record: [UInt8], count: Int) throws(SettleError) {
        if bytes.count + count > capacityBytes { try flush() }
        bytes.append(contentsOf: record[0..<count])
    }

    /// Appends all of `record`.
    mutating func append(_ record: [UInt8]) throws(SettleError) {
        if bytes.count + record.count > capacityBytes { try flush() }
        bytes.append(contentsOf: record)
    }

    /// Bytes appended so far, written or not: the offset of the next byte in the file.
    var sizeBytes: Int { sentBytes + bytes.count }

    /// Hands the buffer to the writer thread and continues in an emptied one.
    mutating func flush() throws(SettleError) {
        guard !bytes.isEmpty else { return }
        sentBytes += bytes.count
        var outgoing: [UInt8] = []
        swap(&outgoing, &bytes)
        bytes = try writer.send(outgoing)
        bytes.reserveCapacity(capacityBytes)
    }

    /// Writes out the rest, then fsyncs and publishes the file under its final name.
    consuming func commit() throws(SettleError) {
        try flush()
        try writer.finish(commit: true)
    }

    /// Writes a whole small file atomically.
    static func write(_ bytes: [UInt8], to path: String) throws(SettleError) {
        do {
            try AtomicFile.write(bytes, to: path, mode: 0o644)
        } catch {
            throw settleError(error, path: path)
        }
    }

    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String) throws(SettleError) {
        do {
            try FileIO.makeDirectories(path)
        } catch {
            throw settleError(error, path: path)
        }
    }

    /// The file helpers throw `SettleError` already; anything else becomes an I/O error naming the path.
    private static func settleError(_ error: any Error, path: String) -> SettleError {
        (error as? SettleError) ?? SettleError(.io, "cannot write \(path): \(error)")
    }
}
