import CSettleShims
import SystemPackage

/// CRC-32C (Castagnoli) of a work file, as its marker records it: computed by the writer over the
/// bytes it hands to the file, recomputed from the file before a resumed job merges it. The CPU's
/// crc32 instruction where there is one (x86-64 SSE4.2), several GB/s; see `CSettleShims/crc32c.c`.
struct CRC32C: Sendable, Equatable {
    /// The CRC of the bytes fed so far (0 for none).
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        value = settle_crc32c(value, base, bytes.count)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    static func of(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The CRC of a whole file, read 1 MiB at a time.
    static func ofFile(_ path: String) throws -> UInt32 {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.io, "cannot open \(path) to check it: \(error)")
        }
        defer { try? fd.close() }
        var crc = CRC32C()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while true {
            try FaultInjection.check(.read, path: path)
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try FileIO.read(fd, offset: offset, into: $0) }
            } catch {
                throw SettleError(.io, "cannot read \(path) to check it: \(error)")
            }
            if count == 0 { break }
            chunk.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            offset += count
        }
        return crc.value
    }

    /// Eight lowercase hex digits, for messages.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
