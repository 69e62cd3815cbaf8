import SystemPackage

/// The one way Settle publishes a file: write to a temporary name in the same directory
/// (`O_CREAT|O_EXCL`), fsync, rename to the final name, fsync the directory. A reader therefore sees
/// either the old file or the complete new one, never a half-written one.
package struct AtomicFile: ~Copyable {
    package let finalPath: String
    package let temporaryPath: String
    let mode: UInt16
    var writer: BufferedWriter

    /// Opens a temporary file beside `path`.
    package init(path: String, mode: UInt16 = 0o640, hashing: Bool = false) throws {
        finalPath = path
        let (directory, name) = AtomicFile.split(path)
        let stamp = Syscalls.monotonicNanoseconds()
        temporaryPath = "\(directory)/.\(name).tmp-\(Syscalls.processID)-\(stamp)"
        self.mode = mode
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: temporaryPath), .writeOnly,
                                         options: [.create, .exclusiveCreate, .closeOnExec],
                                         permissions: FilePermissions(rawValue: CModeT(mode)))
        } catch {
            throw SettleError(.io, "cannot create \(temporaryPath): \(error)")
        }
        writer = BufferedWriter(fd: fd, path: path, hashing: hashing)
    }

    package mutating func write(_ bytes: some Sequence<UInt8>) throws { try writer.write(bytes) }
    package mutating func write(_ text: String) throws { try writer.write(text) }
    package mutating func write(_ raw: UnsafeRawBufferPointer) throws { try writer.write(raw) }
    package mutating func write(byte: UInt8) throws { try writer.write(byte: byte) }
    package var bytesWritten: Int { writer.bytesWritten }

    /// Flushes and fsyncs the temporary file without publishing it; returns its SHA-256 if hashing.
    /// Use with `publish()` to publish several files as a set.
    package mutating func seal() throws -> String? {
        let digest = try writer.finish()
        try? writer.fd.close()
        return digest
    }

    /// Renames the sealed temporary file to its final name and fsyncs the directory.
    package consuming func publish() throws {
        do {
            try Syscalls.rename(temporaryPath, finalPath)
            try Syscalls.fsyncDirectory(AtomicFile.split(finalPath).directory)
        } catch {
            Syscalls.unlink(temporaryPath)
            throw SettleError(.io, "cannot publish \(finalPath): \(error)")
        }
    }

    /// Seals and publishes in one step; returns the SHA-256 if hashing. On failure the temporary
    /// file is gone too.
    @discardableResult
    package consuming func commit() throws -> String? {
        let digest: String?
        do {
            digest = try seal()
        } catch {
            abandon()
            throw error
        }
        try publish()
        return digest
    }

    /// Ends without publishing or removing the sealed temporary file (the caller publishes it
    /// another way, as markers are published with `link`).
    consuming func abandonAfterSeal() {}

    /// Removes the temporary file (after a failure).
    package consuming func abandon() {
        try? writer.fd.close()
        Syscalls.unlink(temporaryPath)
    }

    /// Writes `bytes` to `path` atomically.
    @discardableResult
    package static func write(_ bytes: [UInt8], to path: String, mode: UInt16 = 0o640,
                             hashing: Bool = false) throws -> String? {
        var file = try AtomicFile(path: path, mode: mode, hashing: hashing)
        do {
            try file.write(bytes)
        } catch {
            file.abandon()
            throw error
        }
        return try file.commit()
    }

    /// The process id in `candidate` when it is a temporary name of `name` (`.NAME.tmp-PID-STAMP`,
    /// as `init` makes them).
    static func temporaryProcessID(_ candidate: String, of name: String) -> Int? {
        let prefix = ".\(name).tmp-"
        guard candidate.hasPrefix(prefix) else { return nil }
        let parts = candidate.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        return Int(parts[0])
    }

    static func isTemporary(_ candidate: String, of name: String) -> Bool {
        temporaryProcessID(candidate, of: name) != nil
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
