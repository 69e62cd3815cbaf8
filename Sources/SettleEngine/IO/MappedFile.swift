import SystemPackage

/// An input file memory-mapped read-only: the only owner of the mapping's raw pointer.
///
/// Record bytes are reached only inside `withBytes`, so no pointer outlives the mapping. Pages of
/// finished partitions are released with `release(_:)` so RSS does not grow with the file.
public final class MappedFile: Sendable {
    public let path: String
    public let sizeBytes: Int
    // Immutable after init; the mapping is read-only and unmapped only in deinit, when no
    // other reference (and so no `withBytes` scope) exists. Reading it from several threads is safe.
    nonisolated(unsafe) private let base: UnsafeRawPointer?

    package init(path: String) throws {
        self.path = path
        let status = try Syscalls.statusOrError(path, what: "input file")
        guard status.isRegular else {
            throw SettleError(.unreadableInput, "cannot read input file \(path): not a regular file")
        }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(settlePath: path), .readOnly, options: [.closeOnExec])
        } catch {
            throw SettleError(.unreadableInput, "cannot open input file \(path): \(error)")
        }
        defer { try? fd.close() }
        sizeBytes = status.sizeBytes
        if sizeBytes == 0 {
            base = nil
            return
        }
        do {
            base = try Syscalls.mapReadOnly(fd, length: sizeBytes)
        } catch {
            throw SettleError(.unreadableInput, "cannot map input file \(path): \(error)")
        }
        Syscalls.advise(base!, offset: 0, length: sizeBytes, .sequential)
    }

    /// No bytes: the stand-in of an input that is not a file (a table ledger, read by its source).
    package init(placeholder path: String) {
        self.path = path
        sizeBytes = 0
        base = nil
    }

    deinit {
        if let base { Syscalls.unmap(base, length: sizeBytes) }
    }

    /// Calls `body` with the file's bytes; the pointer is valid only inside the closure.
    package func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: sizeBytes))
    }

    /// Tells the kernel the pages of `range` are no longer needed by this process (they stay in the
    /// page cache; RSS drops).
    package func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        Syscalls.advise(base, offset: range.lowerBound, length: range.count, .dontNeed)
    }
}
