import SystemPackage

extension FileIO {
    /// The most bytes a layout or ledger spec file may hold: far more than any real one, far less
    /// than `/dev/zero` would make Settle allocate.
    package static let maxSmallFileBytes = 16 << 20

    /// Reads a small text file (a layout, a ledger spec) whole: at most `limit` bytes, whatever the
    /// file is (a pipe or a device included); a directory, an unreadable path or a longer file
    /// throws a `SettleError` that says which and what to do.
    package static func readSmallText(path: String, limit: Int = maxSmallFileBytes) throws -> String {
        String(decoding: try readSmallBytes(path: path, limit: limit), as: UTF8.self)
    }

    package static func readSmallBytes(path: String, limit: Int = maxSmallFileBytes) throws -> [UInt8] {
        let status: Syscalls.FileStatus
        do {
            status = try Syscalls.status(path)
        } catch {
            throw SettleError(.unreadableInput, error.explanation)
        }
        if status.isDirectory { throw SettleError(.unreadableInput, "it is a directory: give a file") }
        if status.isRegular && status.sizeBytes > limit {
            throw SettleError(.unreadableInput, "it is \(ByteSize.format(status.sizeBytes)), more than the \(ByteSize.format(limit)) a layout or spec file may hold: is it the right file?")
        }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        } catch let error as Errno {
            throw SettleError(.unreadableInput, error.explanation)
        }
        return try fd.closeAfter {
            var result: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
                if count == 0 { break }
                result.append(contentsOf: chunk[0..<count])
                if result.count > limit {
                    let kind = status.isRegular ? "it" : "it is not a regular file and"
                    throw SettleError(.unreadableInput, "\(kind) holds more than the \(ByteSize.format(limit)) a layout or spec file may hold: is it the right file?")
                }
            }
            return result
        }
    }
}
