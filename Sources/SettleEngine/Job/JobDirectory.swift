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
    public static func defaultPath(out: String) -> String { out + "/.settle-work" }

    public func partitionDirectory(_ index: Int) -> String { "\(partitions)/p\(pad(index, 6))" }
    public func bucketDirectory(_ index: Int) -> String { "\(buckets)/b\(pad(index, 5))" }
    public func partitionMarker(_ index: Int) -> String { partitionDirectory(index) + "/marker.json" }
    public func bucketMarker(_ index: Int) -> String { bucketDirectory(index) + "/marker.json" }

    public var exists: Bool { FileIO.isDirectory(root) }
    public var hasManifest: Bool { FileIO.exists(manifestPath) }

    public func create() throws {
        for path in [root, partitions, buckets, scratch] {
            try FileIO.makeDirectories(path, mode: 0o700)
            Syscalls.chmod(path, mode: 0o700)
        }
    }

    /// Discards all state but the lock file (the caller holds the lock).
    public func clearState() {
        for name in FileIO.listDirectory(root) where name != "lock" {
            FileIO.removeTree(root + "/" + name)
        }
    }

    public func remove() { FileIO.removeTree(root) }

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
