/// The work directory of one job: spill runs, rejects and bucket outputs, laid out so a person can
/// read it. Created 0700 (it holds transaction data); files in it are 0600.
///
///     WORK/runs/pNNNNNN-SSSS.run    spill runs of partition N
///     WORK/rejects/pNNNNNN.rej      rejects of partition N
///     WORK/reduce/bNNNNN.run        the merged totals of bucket N
///     WORK/scratch/                 intermediate merge passes
public struct JobDirectory: Sendable {
    public let root: String
    public var runs: String { root + "/runs" }
    public var rejects: String { root + "/rejects" }
    public var reduce: String { root + "/reduce" }
    public var scratch: String { root + "/scratch" }

    public init(root: String) { self.root = root }

    /// The default work directory for an output directory: the same path every time, so an
    /// interrupted run's state can be found again.
    public static func defaultPath(out: String) -> String { out + "/.settle-work" }

    /// Creates the directory tree (0700), discarding any previous contents.
    public func prepareFresh() throws {
        FileIO.removeTree(root)
        try create()
    }

    public func create() throws {
        for path in [root, runs, rejects, reduce, scratch] {
            try FileIO.makeDirectories(path, mode: 0o700)
            Syscalls.chmod(path, mode: 0o700)
        }
    }

    public func remove() { FileIO.removeTree(root) }
}
