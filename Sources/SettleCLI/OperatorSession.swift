import CoreMetrics
import Logging
import Prometheus
import SettleEngine
import Synchronization

/// What an operator sees of one job run: the log format and level, the progress thread and the
/// Prometheus metrics file. The executable is the only place a metrics backend is bootstrapped;
/// the engine emits through swift-metrics.
final class OperatorSession: Sendable {
    let logger: Logger
    private let options: OperatorOptions
    private let quiet: Bool
    let registry: PrometheusCollectorRegistry?
    private let reporter = MutexBox<ProgressReporter?>(nil)
    private let metricsFile = MutexBox<MetricsFile?>(nil)
    private let progress = MutexBox<JobProgress?>(nil)

    /// Configures logging and, with `--metrics-file`, bootstraps the Prometheus backend; call before
    /// the job (and so its metrics) is made.
    init(_ options: OperatorOptions, quiet: Bool) {
        self.options = options
        self.quiet = quiet
        SettleLogging.configure(format: options.format)
        logger = SettleLogging.logger(level: options.level(quiet: quiet))
        registry = options.metricsFile == nil ? nil : Self.bootstrapMetrics()
    }

    private static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[JobMetrics.Name.partitionSeconds] =
            JobMetrics.partitionSecondsBuckets.map { Duration.nanoseconds(Int64($0 * 1e9)) }
        factory.durationHistogramBuckets[WatchMetrics.Name.batchSeconds] =
            WatchMetrics.batchSecondsBuckets.map { Duration.nanoseconds(Int64($0 * 1e9)) }
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Starts progress and the metrics file for a job.
    func begin(_ jobProgress: JobProgress) {
        progress.set(jobProgress)
        if let mode = ProgressReporter.mode(quiet: quiet, format: options.format, intervalSeconds: options.progressInterval) {
            let reporter = ProgressReporter(progress: jobProgress, mode: mode)
            self.reporter.set(reporter)
            reporter.start()
        }
        if let registry, let path = options.metricsFile {
            let logger = self.logger
            let file = MetricsFile(path: path, intervalSeconds: options.metricsInterval, render: {
                jobProgress.sampleMetrics(nowSeconds: JSONLine.unixSecondsNow())
                return registry.emitToBuffer()
            }, onError: { message in logger.warning("\(message)") })
            metricsFile.set(file)
            file.start()
        }
    }

    /// Ends progress, and writes the final metrics: the exit status, and with `outDirectory` the
    /// mismatch counts that the published summary.json holds.
    func end(exitStatus: Int32, outDirectory: String? = nil) {
        reporter.take()?.stop()
        guard let file = metricsFile.take(), let metrics = progress.get()?.metrics else { return }
        if let outDirectory, let counts = MorningReport.mismatchesByKind(outDirectory: outDirectory) {
            metrics.recordMismatches(counts)
        }
        metrics.finished(exitStatus: Int(exitStatus), nowSeconds: JSONLine.unixSecondsNow())
        try? file.stop()
    }
}

/// A value shared between the session's callers, behind a lock.
final class MutexBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value { value.withLock { $0 } }
}

extension MutexBox {
    func take<Wrapped>() -> Wrapped? where Value == Wrapped? {
        value.withLock { current in
            defer { current = nil }
            return current
        }
    }
}
