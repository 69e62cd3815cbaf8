import Synchronization

/// A stop request from SIGINT or SIGTERM. The CLI's signal handlers call `request`; workers check
/// `isRequested` between partitions (never in the middle of one, never while publishing).
public final class Shutdown: Sendable {
    private let signalNumber = Atomic<Int32>(0)
    private let count = Atomic<Int>(0)

    public init() {}

    /// Records a signal; returns how many have arrived (a second one abandons at once).
    @discardableResult
    public func request(signal: Int32) -> Int {
        _ = signalNumber.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
        return count.add(1, ordering: .relaxed).newValue
    }

    public var isRequested: Bool { signalNumber.load(ordering: .relaxed) != 0 }
    public var signal: Int32 { signalNumber.load(ordering: .relaxed) }
}

/// How far a run has got, readable from any thread (for progress and the interrupted summary).
public final class JobProgress: Sendable {
    public struct Snapshot: Sendable {
        public var partitionsTotal = 0
        public var partitionsDone = 0
        public var partitionsResumed = 0
        public var bucketsTotal = 0
        public var bucketsDone = 0
        public var records = 0
        public var rejects = 0
        public var stage = "plan"
        /// Input bytes in all partitions, and in those done (resumed ones included).
        public var bytesTotal = 0
        public var bytesDone = 0
        /// What resumed partitions had done before this process started (not part of its rates).
        public var bytesResumed = 0
        public var recordsResumed = 0
        /// Partitions a worker is mapping now, and the size of the worker pool.
        public var partitionsInFlight = 0
        public var workers = 0
        /// When this process started mapping (monotonic), 0 before.
        public var mapStartNanoseconds: UInt64 = 0
        /// When this process's last partition finished (monotonic): rates stop there.
        public var lastPartitionNanoseconds: UInt64 = 0
        /// Workers' time spent on the partitions this process mapped.
        public var busyNanoseconds: UInt64 = 0

        public init() {}
    }

    private let state = Mutex(Snapshot())
    /// Where per-partition figures also go (no-op handlers unless the executable bootstrapped a backend).
    public let metrics: JobMetrics

    public init(metrics: JobMetrics = JobMetrics()) { self.metrics = metrics }

    public var snapshot: Snapshot { state.withLock { $0 } }

    @discardableResult
    func update<Value>(_ body: (inout Snapshot) -> Value) -> Value { state.withLock { body(&$0) } }
}
