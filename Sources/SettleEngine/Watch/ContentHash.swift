/// The duplicate guard's key: SHA-256 of a file's whole content, read through a read-only mapping.
enum ContentHash {
    /// The hex digest and the size hashed; throws `unreadableInput` when the file cannot be read.
    static func of(path: String) throws -> (sha256: String, sizeBytes: Int) {
        try FaultInjection.check(.read, path: path)
        let mapped = try MappedFile(path: path)
        var hasher = SHA256()
        mapped.withBytes { bytes in if bytes.count > 0 { hasher.update(bytes) } }
        return (hasher.finalizeHex(), mapped.sizeBytes)
    }
}
