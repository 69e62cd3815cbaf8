import CoreMetrics

/// A job's figures as swift-metrics instruments, for whatever backend the executable bootstrapped
/// (Prometheus in `settle`; no-op handlers otherwise). Updated once per partition and at stage
/// ends, never per record: the map loop does not know this type exists.
public final class JobMetrics: Sendable {
    /// Names, so the executable can tune a backend (histogram buckets) and tests can look them up.
    public enum Name {
        public static let records = "settle_records_total"
        public static let bytesRead = "settle_bytes_read_total"
        public static let partitionsTotal = "settle_partitions"
        public static let partitionsDone = "settle_partitions_done_total"
        public static let partitionsResumed = "settle_partitions_resumed"
        public static let bucketsDone = "settle_buckets_done_total"
        public static let spillBytes = "settle_spill_bytes_total"
        public static let spillFiles = "settle_spill_files_total"
        public static let partitionSeconds = "settle_partition_duration_seconds"
        public static let queueDepth = "settle_queue_depth"
        public static let queueDepthMax = "settle_queue_depth_max"
        public static let workers = "settle_workers"
        public static let workersBusy = "settle_workers_busy"
        public static let utilization = "settle_worker_utilization_ratio"
        public static let mismatches = "settle_mismatches"
        public static let running = "settle_running"
        public static let exitStatus = "settle_exit_status"
        public static let finishedAt = "settle_finished_timestamp_seconds"
        public static let updatedAt = "settle_metrics_updated_timestamp_seconds"
    }

    /// Buckets of the per-partition time histogram, in seconds: a 64 MiB partition maps in about a
    /// tenth of a second on a warm cache and in seconds from a slow disk.
    public static let partitionSecondsBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// The kinds of reconciliation mismatch, in the order summary.json lists them.
    public static let mismatchKinds = MismatchKind.allCases.map(\.code)

    private let factory: any MetricsFactory
    fileprivate let recordsValid: Counter
    fileprivate let recordsRejected: Counter
    fileprivate let bytesRead: Counter
    private let partitionsTotal: Gauge
    private let partitionsDone: Counter
    private let partitionsResumed: Gauge
    private let bucketsDone: Counter
    fileprivate let spillBytes: Counter
    fileprivate let spillFiles: Counter
    private let partitionSeconds: Timer
    private let queueDepth: Gauge
    private let queueDepthMax: Gauge
    private let workers: Gauge
    private let workersBusy: Gauge
    private let utilization: Gauge
    private let running: Gauge
    private let exitStatus: Gauge
    private let finishedAt: Gauge
    private let updatedAt: Gauge

    /// Instruments made by `factory` (by default the one `MetricsSystem` was bootstrapped with).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        recordsValid = Counter(label: Name.records, dimensions: [("status", "valid")], factory: factory)
        recordsRejected = Counter(label: Name.records, dimensions: [("status", "rejected")], factory: factory)
        bytesRead = Counter(label: Name.bytesRead, factory: factory)
        partitionsTotal = Gauge(label: Name.partitionsTotal, factory: factory)
        partitionsDone = Counter(label: Name.partitionsDone, factory: factory)
        partitionsResumed = Gauge(label: Name.partitionsResumed, factory: factory)
        bucketsDone = Counter(label: Name.bucketsDone, factory: factory)
        spillBytes = Counter(label: Name.spillBytes, factory: factory)
        spillFiles = Counter(label: Name.spillFiles, factory: factory)
        partitionSeconds = Timer(label: Name.partitionSeconds, factory: factory)
        queueDepth = Gauge(label: Name.queueDepth, factory: factory)
        queueDepthMax = Gauge(label: Name.queueDepthMax, factory: factory)
        workers = Gauge(label: Name.workers, factory: factory)
        workersBusy = Gauge(label: Name.workersBusy, factory: factory)
        utilization = Gauge(label: Name.utilization, factory: factory)
        running = Gauge(label: Name.running, factory: factory)
        exitStatus = Gauge(label: Name.exitStatus, factory: factory)
        finishedAt = Gauge(label: Name.finishedAt, factory: factory)
        updatedAt = Gauge(label: Name.updatedAt, factory: factory)
    }

    /// The map stage starts: `pending` partitions wait for `workerCount` workers; the others were
    /// done by an earlier process.
    func mapStarting(partitions: Int, pending: Int, workerCount: Int, resumed: PartitionTally) {
        running.record(1)
        partitionsTotal.record(partitions)
        partitionsResumed.record(partitions - pending)
        queueDepth.record(pending)
        queueDepthMax.record(pending)
        workers.record(workerCount)
        workersBusy.record(0)
        if partitions > pending { partitionsDone.increment(by: partitions - pending) }
        resumed.addTo(self)
    }

    func partitionStarted(queueDepth waiting: Int, busy: Int) {
        queueDepth.record(waiting)
        workersBusy.record(busy)
    }

    func partitionFinished(_ result: PartitionResult, queueDepth waiting: Int, busy: Int, utilizationRatio: Double) {
        PartitionTally(result).addTo(self)
        partitionsDone.increment()
        if result.endNanoseconds > result.startNanoseconds {
            partitionSeconds.recordNanoseconds(Int64(result.endNanoseconds - result.startNanoseconds))
        }
        queueDepth.record(waiting)
        workersBusy.record(busy)
        utilization.record(utilizationRatio)
    }

    func bucketFinished() { bucketsDone.increment() }

    /// Gauges that change with time rather than with events (called before each write of a
    /// metrics file).
    func sampled(utilizationRatio: Double?, nowSeconds: Double) {
        if let utilizationRatio { utilization.record(utilizationRatio) }
        updatedAt.record(nowSeconds)
    }

    /// Reconciliation's mismatches per kind, from the numbers summary.json publishes. Every known
    /// kind gets a series (0 when absent), so an alert on one kind has data to compare with.
    public func recordMismatches(_ countsByKind: [String: Int]) {
        let kinds = Self.mismatchKinds + countsByKind.keys.filter { !Self.mismatchKinds.contains($0) }.sorted()
        for kind in kinds {
            Gauge(label: Name.mismatches, dimensions: [("kind", kind)], factory: factory).record(countsByKind[kind] ?? 0)
        }
    }

    /// The run is over: its exit status (0, 1, 2, 130, 143) and when it ended (Unix seconds).
    public func finished(exitStatus status: Int, nowSeconds: Double) {
        running.record(0)
        workersBusy.record(0)
        exitStatus.record(status)
        finishedAt.record(nowSeconds)
        updatedAt.record(nowSeconds)
    }
}

/// Per-partition counts as the metrics count them (one partition's, or the resumed ones' sum).
struct PartitionTally {
    var valid = 0
    var rejected = 0
    var bytes = 0
    var spillFiles = 0
    var spillBytes = 0

    init() {}

    init(_ result: PartitionResult) { add(result) }

    mutating func add(_ result: PartitionResult) {
        valid += result.validDetails
        rejected += result.rejected
        bytes += result.partition.sizeBytes
        spillFiles += result.runs.count
        spillBytes += result.runs.reduce(0) { $0 + $1.sizeBytes }
    }

    func addTo(_ metrics: JobMetrics) {
        for (counter, amount) in [(metrics.recordsValid, valid), (metrics.recordsRejected, rejected), (metrics.bytesRead, bytes),
                                  (metrics.spillFiles, spillFiles), (metrics.spillBytes, spillBytes)] where amount > 0 {
            counter.increment(by: amount)
        }
    }
}
