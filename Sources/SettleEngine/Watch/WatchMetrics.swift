import CoreMetrics

/// The daemon's own figures, beside each batch's job metrics (`JobMetrics`): through swift-metrics,
/// so the CLI's Prometheus backend writes them to `--metrics-file`, and tests can read them.
package final class WatchMetrics: Sendable {
    package enum Name {
        package static let inboxFiles = "settle_watch_inbox_files"
        package static let batchesTotal = "settle_watch_batches_total"
        package static let batchSeconds = "settle_watch_batch_seconds"
        package static let oldestWaitingSeconds = "settle_watch_oldest_waiting_seconds"
        package static let duplicatesTotal = "settle_watch_duplicates_total"
        package static let failedTotal = "settle_watch_failed_total"
        package static let lateFiles = "settle_watch_late_files"
    }

    /// Buckets of the batch-time histogram, in seconds: a small batch takes well under a second.
    package static let batchSecondsBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900]

    private let inboxFiles: Gauge
    private let batches: Counter
    private let batchSeconds: Timer
    private let oldestWaiting: Gauge
    private let duplicates: Counter
    private let failed: Counter
    private let late: Gauge

    package init(factory: any MetricsFactory = MetricsSystem.factory) {
        inboxFiles = Gauge(label: Name.inboxFiles, factory: factory)
        batches = Counter(label: Name.batchesTotal, factory: factory)
        batchSeconds = Timer(label: Name.batchSeconds, preferredDisplayUnit: .seconds, factory: factory)
        oldestWaiting = Gauge(label: Name.oldestWaitingSeconds, factory: factory)
        duplicates = Counter(label: Name.duplicatesTotal, factory: factory)
        failed = Counter(label: Name.failedTotal, factory: factory)
        late = Gauge(label: Name.lateFiles, factory: factory)
        late.record(0)
    }

    func inbox(files: Int, oldestWaitingSeconds: Double) {
        inboxFiles.record(files)
        oldestWaiting.record(oldestWaitingSeconds)
    }

    func batchFinished(seconds: Double) {
        batches.increment()
        batchSeconds.recordNanoseconds(Int64(seconds * 1e9))
    }

    func duplicate() { duplicates.increment() }
    func failedFile() { failed.increment() }
    func lateFiles(_ count: Int) { late.record(count) }
}
