/// Watches the inbox between batches and says which files are ready: a regular file (links and
/// directories are never taken) whose name does not start with `.` and does not end in `.part`,
/// `.tmp` or `.filepart`, whose size, mtime and inode were the same at the previous look, and whose
/// mtime is `settleSeconds` old or which this scanner has seen unchanged for that long (a sender's
/// clock may be ahead). With a ready suffix, a file is ready as soon as `NAME + suffix` exists.
final class InboxScanner {
    /// A ready file, in the order files became ready.
    struct ReadyFile: Equatable {
        var name: String
        var sizeBytes: Int
        var marker: String
        /// When this scanner first saw it ready (monotonic nanoseconds): the batch wait counts from here.
        var readySinceNanoseconds: UInt64
    }

    private struct Seen {
        var status: Syscalls.EntryStatus
        var unchangedSinceNanoseconds: UInt64
        var readySinceNanoseconds: UInt64?
    }

    private let inbox: String
    private let settleNanoseconds: UInt64
    private let readySuffix: String?
    private var seen: [String: Seen] = [:]

    /// Names that match the glob of an expectation, seen at the latest look (ready or not).
    private(set) var names: [String] = []
    /// Candidate files not ready yet (still being written or settling), at the latest look.
    private(set) var settlingCount = 0

    init(inbox: String, settleSeconds: Double, readySuffix: String?) {
        self.inbox = inbox
        settleNanoseconds = UInt64(settleSeconds * 1e9)
        self.readySuffix = readySuffix
    }

    static func isCandidateName(_ name: String) -> Bool {
        !name.hasPrefix(".") && ![".part", ".tmp", ".filepart"].contains { name.hasSuffix($0) }
    }

    /// Looks at the inbox once; returns the ready files not in `excluded`, oldest-ready first.
    func look(nowNanoseconds: UInt64, wallNanoseconds: Int64, excluded: Set<String>) -> [ReadyFile] {
        let listing = FileIO.listDirectory(inbox)
        names = listing
        let present = Set(listing)
        var next: [String: Seen] = [:]
        var ready: [ReadyFile] = []
        settlingCount = 0
        for name in listing where Self.isCandidateName(name) && !excluded.contains(name) {
            if let readySuffix, name.hasSuffix(readySuffix) { continue }
            guard let status = Syscalls.entryStatus(inbox + "/" + name), status.isRegular else { continue }
            var entry = seen[name] ?? Seen(status: status, unchangedSinceNanoseconds: nowNanoseconds)
            let unchanged = seen[name]?.status == status
            if !unchanged { entry = Seen(status: status, unchangedSinceNanoseconds: nowNanoseconds) }
            let marker = readySuffix.map { name + $0 } ?? ""
            let isReady: Bool
            if readySuffix != nil {
                isReady = present.contains(marker)
            } else {
                let age = wallNanoseconds - status.modificationNanoseconds
                isReady = unchanged && (age >= Int64(settleNanoseconds)
                    || nowNanoseconds - entry.unchangedSinceNanoseconds >= settleNanoseconds)
            }
            if isReady {
                let since = entry.readySinceNanoseconds ?? nowNanoseconds
                entry.readySinceNanoseconds = since
                ready.append(ReadyFile(name: name, sizeBytes: status.sizeBytes, marker: marker, readySinceNanoseconds: since))
            } else {
                entry.readySinceNanoseconds = nil
                settlingCount += 1
            }
            next[name] = entry
        }
        seen = next
        return ready.sorted { ($0.readySinceNanoseconds, $0.name) < ($1.readySinceNanoseconds, $1.name) }
    }

    /// Forgets a file (it changed under us, or left the inbox): it must settle again.
    func forget(_ name: String) { seen[name] = nil }
}

/// The batching rule for real-time arrivals: a batch closes when it is full (`maxFiles` files or
/// `maxBytes` bytes) or when its oldest ready file has waited `waitNanoseconds`; `draining` (--once,
/// or a stop) closes whatever is ready.
struct BatchPolicy {
    var maxFiles: Int
    var maxBytes: Int?
    var waitNanoseconds: UInt64

    /// The files of the batch to close now, in order, or nil when none should close yet.
    func close(_ ready: [InboxScanner.ReadyFile], nowNanoseconds: UInt64, draining: Bool) -> [InboxScanner.ReadyFile]? {
        guard let oldest = ready.first else { return nil }
        var taken: [InboxScanner.ReadyFile] = []
        var bytes = 0
        for file in ready {
            taken.append(file)
            bytes += file.sizeBytes
            if taken.count >= maxFiles || maxBytes.map({ bytes >= $0 }) == true { return taken }
        }
        let waited = nowNanoseconds >= oldest.readySinceNanoseconds ? nowNanoseconds - oldest.readySinceNanoseconds : 0
        return draining || waited >= waitNanoseconds ? taken : nil
    }

    /// Nanoseconds the oldest ready file has waited (0 when none).
    static func oldestWait(_ ready: [InboxScanner.ReadyFile], nowNanoseconds: UInt64) -> UInt64 {
        guard let oldest = ready.map(\.readySinceNanoseconds).min(), nowNanoseconds > oldest else { return 0 }
        return nowNanoseconds - oldest
    }
}
