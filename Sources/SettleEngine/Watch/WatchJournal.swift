import SystemPackage

/// The watch root's durable registry: an append-only journal, `ROOT/watch.journal`, that Settle
/// alone writes. Each record is one line, appended with a single `write` and fsynced before the
/// step it announces goes on (a batch's files are recorded before its job starts), so a SIGKILL at
/// any moment leaves a journal whose last line is either whole or torn. A torn last line (no
/// newline, or a CRC that does not match) is cut off when the journal is opened; a damaged line
/// anywhere else stops the daemon (exit 2) rather than guess.
///
/// Chosen over SQLite (GRDB): the registry needs append, fsync and replay of a few thousand lines a
/// day, which 200 lines of Settle's own code do with no new dependency and no build time.
package final class WatchJournal {
    package static let fileName = "watch.journal"
    package let path: String
    package private(set) var registry = WatchRegistry()

    /// Opens (creating if missing) the journal of `root` and replays it.
    package init(root: String) throws {
        path = root + "/" + Self.fileName
        let replay = try Self.replay(path: path)
        registry = replay.registry
        if let goodBytes = replay.truncateTo {
            do {
                let fd = try FileDescriptor.open(FilePath(settlePath: path), .writeOnly, options: [.closeOnExec])
                try fd.closeAfter {
                    try fd.resize(to: Int64(goodBytes))
                    try Syscalls.fsync(fd)
                }
            } catch {
                throw SettleError(.io, "cannot cut the torn last line of \(path): \(error)")
            }
        }
    }

    /// Reads a journal without changing it (for `settle status`).
    package static func read(root: String) throws -> WatchRegistry {
        try replay(path: root + "/" + fileName).registry
    }

    /// Appends `record` durably, then applies it to the registry.
    package func append(_ record: WatchRecord) throws {
        do {
            try Syscalls.appendDurably(record.line, to: path)
        } catch {
            throw SettleError(.io, "cannot append to the watch registry \(path): \(error)")
        }
        registry.apply(record)
    }

    private static func replay(path: String) throws -> (registry: WatchRegistry, truncateTo: Int?) {
        guard FileIO.exists(path) else { return (WatchRegistry(), nil) }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readBytes(path: path)
        } catch {
            throw SettleError(.io, "cannot read the watch registry \(path): \(error)")
        }
        var registry = WatchRegistry()
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
            let record = end.flatMap { WatchRecord.parse(bytes[start..<$0]) }
            guard let record, let end else {
                // Only the last line may be torn: a crash in the middle of its append.
                let rest = end.map { $0 + 1 } ?? bytes.count
                guard rest >= bytes.count else {
                    throw SettleError(.io, "the watch registry \(path) is damaged at line \(lineNumber) (later lines follow it): "
                        + "Settle will not guess which files it has processed; restore the journal or move the root aside")
                }
                return (registry, start)
            }
            registry.apply(record)
            start = end + 1
        }
        return (registry, nil)
    }
}
