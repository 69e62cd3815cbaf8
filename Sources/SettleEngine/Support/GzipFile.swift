import SystemPackage

/// A gzip-compressed file decompressed into another, the way Settle publishes any file: into a
/// temporary name beside the destination, fsynced, renamed. Memory stays bounded (two buffers of
/// `GzipDecoder`), whatever the file's size; one thread does it, as gzip cannot be cut into pieces.
enum GzipFile {
    /// What one decompression did.
    struct Outcome: Sendable, Equatable {
        var compressedBytes: Int
        var decompressedBytes: Int
    }

    /// Decompresses `source` into `destination` (mode 0600: it holds transaction data). `name` is the
    /// input as the user gave it, for messages. A corrupt or truncated stream throws
    /// `unreadableInput` naming the file and the compressed byte offset, and leaves no file behind.
    static func decompress(source: String, name: String, to destination: String,
                                  bufferBytes: Int = GzipDecoder.defaultBufferBytes) throws -> Outcome {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: source), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.unreadableInput, "cannot open input file \(name): \(error)")
        }
        defer { try? fd.close() }
        let decoder = try decoderOrError(bufferBytes: bufferBytes, name: name)
        var file = try AtomicFile(path: destination, mode: 0o600)
        let counts: (compressedBytes: Int, decompressedBytes: Int)
        do {
            counts = try decoder.decompress(
                read: { buffer in
                    do {
                        return try fd.read(into: buffer)
                    } catch {
                        throw SettleError(.unreadableInput, "cannot read input file \(name): \(error)")
                    }
                },
                write: { bytes in try file.write(bytes) })
            _ = try file.seal()
        } catch let error as GzipError {
            file.abandon()
            throw SettleError(.unreadableInput, "cannot decompress input file \(name): \(error)")
        } catch {
            file.abandon()
            throw error
        }
        try file.publish()
        return Outcome(compressedBytes: counts.compressedBytes, decompressedBytes: counts.decompressedBytes)
    }

    private static func decoderOrError(bufferBytes: Int, name: String) throws -> GzipDecoder {
        do {
            return try GzipDecoder(bufferBytes: bufferBytes)
        } catch {
            throw SettleError(.io, "cannot decompress input file \(name): \(error)")
        }
    }
}
