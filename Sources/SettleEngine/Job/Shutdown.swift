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
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}
