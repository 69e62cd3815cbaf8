import SystemPackage

/// The durable job directory, laid out so that a person can read it. Created 0700 (it holds
/// transaction data); files in it are 0600.
///
///     WORK/lock                          flock of the aggregate/resume process driving the job
///     WORK/manifest.json                 inputs, layouts, plan (written once by plan)
///     WORK/partitions/pNNNNNN/
///         attempt-PID-NANOS/             one attempt's spill runs (sNNNN.run) and rejects.rej
///         marker.json                    written last, names the attempt that won
///     WORK/buckets/bNNNNN/
///         attempt-PID-NANOS/out.run      one attempt's merged totals of the bucket
///         marker.json
///     WORK/scratch/                      intermediate merge passes
///     WORK/inputs/                       decompressed copies of gzip inputs
///     WORK/created-by-settle             there when Settle created WORK itself (the default
///                                        OUT/.settle-work is Settle's without it)
///
/// Settle owns only these names (and its temporaries of the manifest): it removes nothing else,
/// never follows a symbolic link when removing, and removes WORK itself only when it created it and
/// nothing else is left in it. A directory holding other files is refused as a new job's WORK
/// (see `WorkDirectoryCheck`).
///
/// A partition (or bucket) is done if and only if its marker is there and valid. Markers are
/// published with `link(2)`, which never replaces an existing name: when two attempts of one task
/// run at once, the first complete one wins and the other removes its own attempt directory.
public struct JobDirectory: Sendable {
    public let root: String
    public var manifestPath: String { root + "/manifest.json" }
    public var partitions: String { root + "/partitions" }
    public var buckets: String { root + "/buckets" }
    public var scratch: String { root + "/scratch" }

    public init(root: String) { self.root = root }

    /// The default work directory for an output directory: the same path every time, so an
    /// interrupted run's state is found again by running the same command.
    public static func defaultPath(out: String) -> String { out + "/" + defaultName }
    static let defaultName = ".settle-work"

    public func partitionDirectory(_ index: Int) -> String { "\(partitions)/p\(pad(index, 6))" }
    public func bucketDirectory(_ index: Int) -> String { "\(buckets)/b\(pad(index, 5))" }
    public func partitionMarker(_ index: Int) -> String { partitionDirectory(index) + "/marker.json" }
    public func bucketMarker(_ index: Int) -> String { bucketDirectory(index) + "/marker.json" }

    public var exists: Bool { FileIO.isDirectory(root) }
    public var hasManifest: Bool { FileIO.exists(manifestPath) }

    /// The names Settle makes at the top of a job directory.
    static let createdMarkerName = "created-by-settle"
    static let ownNames: Set<String> = ["lock", "manifest.json", "partitions", "buckets", "scratch",
                                        CompressedInputs.directoryName, createdMarkerName]

    /// True for a top-level name Settle makes: its own names and their temporaries
    /// (`AtomicFile`'s `.NAME.tmp-PID-STAMP`, left when a write was killed).
    static func isOwnName(_ name: String) -> Bool {
        ownNames.contains(name)
            || ["manifest.json", createdMarkerName].contains { AtomicFile.isTemporary(name, of: $0) }
    }

    /// The top-level entries that are Settle's: an own name that is not a symbolic link (Settle
    /// never makes links, so a link there is someone else's and stays).
    func ownEntries() -> [String] {
        FileIO.listDirectory(root).filter { name in
            Self.isOwnName(name) && Syscalls.entryKind(root + "/" + name) != .symbolicLink
        }
    }

    /// The top-level entries that are not Settle's.
    func foreignEntries() -> [String] {
        let own = Set(ownEntries())
        return FileIO.listDirectory(root).filter { !own.contains($0) }
    }

    /// Creates the root (0700) if it is missing, and then records that Settle created it, so the
    /// end of the job may remove it. An existing directory is left as it is (and kept at the end).
    /// The record is an empty file made at once (no temporary, no fsync), so a kill right after the
    /// `mkdir` rarely misses it; the default location, a name of Settle's own, needs no record.
    public func claim() throws {
        let existed = Syscalls.entryKind(root) != nil
        try FileIO.makeDirectories(root, mode: 0o700)
        Syscalls.chmod(root, mode: 0o700)
        guard !existed else { return }
        do {
            let fd = try FileDescriptor.open(FilePath(settlePath: root + "/" + Self.createdMarkerName), .writeOnly,
                                             options: [.create, .exclusiveCreate, .closeOnExec], permissions: [.ownerReadWrite])
            try fd.close()
        } catch {
            throw SettleError(.io, "cannot create \(root)/\(Self.createdMarkerName): \(error)")
        }
    }

    /// Whether Settle made this directory: its record is there, or it is the default location.
    var isCreatedBySettle: Bool {
        FileIO.exists(root + "/" + Self.createdMarkerName) || FilePaths.lastComponent(root) == Self.defaultName
    }

    public func create() throws {
        for path in [root, partitions, buckets, scratch] {
            try FileIO.makeDirectories(path, mode: 0o700)
            Syscalls.chmod(path, mode: 0o700)
        }
    }

    /// Discards the job's state (Settle's own entries) but the lock file (the caller holds the lock)
    /// and the record of who created the directory; anything else in it stays.
    public func clearState() {
        for name in ownEntries() where name != "lock" && name != Self.createdMarkerName {
            FileIO.removeTree(root + "/" + name)
        }
    }

    /// Removes what Settle made (at the end of a job), and the directory itself only when Settle
    /// created it and nothing else is left in it.
    public func remove() {
        let created = isCreatedBySettle
        for name in ownEntries() { FileIO.removeTree(root + "/" + name) }
        // rmdir(2) removes only an empty directory: one holding anything else stays.
        if created { Syscalls.rmdir(root) }
    }

    /// A new, empty attempt directory under `taskDirectory`, unique to this process and moment.
    public func newAttempt(in taskDirectory: String) throws -> String {
        try FileIO.makeDirectories(taskDirectory, mode: 0o700)
        var generator = SystemRandomNumberGenerator()
        let path = "\(taskDirectory)/attempt-\(Syscalls.processID)-\(Syscalls.monotonicNanoseconds())-\(generator.next() as UInt16)"
        do {
            try Syscalls.mkdir(path, mode: 0o700)
        } catch {
            throw SettleError(.io, "cannot create \(path): \(error)")
        }
        return path
    }

    /// Removes attempt directories that no marker names (abandoned by a crash or a lost race).
    public func removeStaleAttempts(in taskDirectory: String, keep: String?) {
        for name in FileIO.listDirectory(taskDirectory) where name.hasPrefix("attempt-") && name != keep {
            FileIO.removeTree(taskDirectory + "/" + name)
        }
        for name in FileIO.listDirectory(taskDirectory) where name.hasPrefix(".marker.json.tmp") {
            FileIO.unlink(taskDirectory + "/" + name)
        }
    }
}
