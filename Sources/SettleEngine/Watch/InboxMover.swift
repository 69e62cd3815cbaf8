import SystemPackage

/// Moves inbox files into the watch root, the one place Settle moves what it did not create:
/// always `rename` on one filesystem (checked at start: `checkSameFilesystem`), never replacing a
/// name that exists (renameat2 `RENAME_NOREPLACE`), each directory fsynced after.
struct InboxMover {
    let inbox: String
    let root: String

    /// Refuses (exit 2) an inbox and root on different filesystems: a rename could not move between them.
    static func checkSameFilesystem(inbox: String, root: String) throws {
        guard let inboxStatus = Syscalls.entryStatus(inbox + "/."), let rootStatus = Syscalls.entryStatus(root + "/.") else {
            throw SettleError(.unreadableInput, "cannot read the inbox \(PathText.display(inbox)) or the root \(PathText.display(root))")
        }
        if inboxStatus.device != rootStatus.device {
            throw SettleError(.usage, "the inbox \(PathText.display(inbox)) and --out \(PathText.display(root)) are on different filesystems: "
                + "Settle moves files only by rename, which cannot cross filesystems; put the root on the inbox's filesystem")
        }
    }

    /// Moves `name` into `directory` under its own name; true if it moved, false if it was already
    /// there (and not in the inbox: a move before a crash).
    @discardableResult
    func moveKeepingName(_ name: String, into directory: String) throws -> Bool {
        let source = inbox + "/" + name, target = directory + "/" + name
        if Syscalls.entryStatus(source) == nil && Syscalls.entryStatus(target) != nil { return false }
        do {
            try FileIO.makeDirectories(directory)
            try FaultInjection.check(.write, path: target)
            try Syscalls.renameNoReplace(source, target)
            try Syscalls.fsyncDirectory(directory)
            try Syscalls.fsyncDirectory(inbox)
        } catch {
            throw SettleError(.io, "cannot move \(PathText.display(source)) to \(PathText.display(target)): \(error)")
        }
        return true
    }

    /// Moves `name` into `directory` (duplicates/ or failed/) under its own name, or `NAME.1`,
    /// `NAME.2`, ... when an earlier file of that name is there; returns the name it got.
    func moveAside(_ name: String, into directory: String) throws -> String {
        let source = inbox + "/" + name
        try? FileIO.makeDirectories(directory)
        for attempt in 0..<10_000 {
            let stored = attempt == 0 ? name : "\(name).\(attempt)"
            // A name of ours ending in .reason is left to the reason file of its twin.
            if FileIO.exists(directory + "/" + stored) || FileIO.exists(directory + "/" + stored + ".reason") { continue }
            do {
                try Syscalls.renameNoReplace(source, directory + "/" + stored)
            } catch Errno.fileExists {
                continue
            } catch {
                throw SettleError(.io, "cannot move \(PathText.display(source)) into \(PathText.display(directory)): \(error)")
            }
            try? Syscalls.fsyncDirectory(directory)
            try? Syscalls.fsyncDirectory(inbox)
            return stored
        }
        throw SettleError(.io, "cannot find a free name for \(PathText.display(name)) in \(PathText.display(directory))")
    }

    /// Moves an unreadable file to failed/ with `NAME.reason` beside it; returns its stored name.
    func moveToFailed(_ name: String, reason: String) throws -> String {
        let directory = root + "/failed"
        let stored = try moveAside(name, into: directory)
        _ = try AtomicFile.write(Array((reason + "\n").utf8), to: directory + "/" + stored + ".reason", mode: 0o640)
        return stored
    }
}
