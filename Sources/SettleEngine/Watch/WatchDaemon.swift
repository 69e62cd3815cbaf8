import Logging
import Synchronization
import SystemPackage

/// What a watch run did, for the CLI's exit status and last line.
package struct WatchSummary: Sendable {
    package var batchesRun = 0
    /// Some batch ended with findings (rejects, control differences, mismatches): exit status 1.
    package var batchesWithFindings = 0
    /// A stop request ended the run; `leftResumable` names the batch left in flight, if any.
    package var stopped = false
    package var leftResumable: Int?
}

/// `settle watch`: turns files arriving in an inbox into micro-batches, each one a normal resumable
/// job (`AggregateJob`) run inside this process, exactly once across crashes. The registry
/// (`WatchJournal`) records a batch's files before its job starts; on start the daemon first finishes
/// the batch a crash left in flight (same number, same files), then watches the inbox.
///
/// Per batch: open (journal), job into `ROOT/batches/NNNNNN/` (work in its `.settle-work`),
/// published (journal), files renamed to `ROOT/processed/NNNNNN/`, moved (journal).
package final class WatchDaemon: Sendable {
    package let options: WatchOptions
    package let stop: WatchStop
    package let metrics: WatchMetrics
    let logger: Logger
    /// The job of the batch in flight, for progress and metrics sampling (nil between batches).
    package let currentProgress = Mutex<JobProgress?>(nil)
    /// Told when a batch's job starts (its progress) and ends (nil): the CLI's progress lines.
    let batchObserver: @Sendable (JobProgress?) -> Void
    /// `--publish`: publishes a batch's finished output directory after its outputs are published
    /// there and before the batch is recorded as published; returns nil when it did, else the exit
    /// status the batch takes (the outputs stay, and `settle publish` publishes them later).
    let publish: (@Sendable (_ outDirectory: String) -> Int32?)?

    package init(options: WatchOptions, stop: WatchStop, metrics: WatchMetrics = WatchMetrics(), logger: Logger,
                 publish: (@Sendable (_ outDirectory: String) -> Int32?)? = nil,
                 batchObserver: @escaping @Sendable (JobProgress?) -> Void = { _ in }) {
        self.publish = publish
        self.options = options
        self.stop = stop
        self.metrics = metrics
        self.logger = logger
        self.batchObserver = batchObserver
    }

    var mover: InboxMover { InboxMover(inbox: options.inbox, root: options.root) }

    /// The checks made before anything is written: options, inbox, root on the inbox's filesystem.
    package func checkBeforeStart() throws {
        try options.validate()
        let inboxStatus: Syscalls.FileStatus
        do throws(Errno) {
            inboxStatus = try Syscalls.status(options.inbox)
        } catch {
            throw SettleError(.usage, "cannot use the inbox \(PathText.display(options.inbox)): \(error.explanation)")
        }
        guard inboxStatus.isDirectory else {
            throw SettleError(.usage, "the inbox \(PathText.display(options.inbox)) is not a directory")
        }
        try FileIO.makeDirectories(options.root)
        try InboxMover.checkSameFilesystem(inbox: options.inbox, root: options.root)
        let inbox = FilePaths.resolved(options.inbox), root = FilePaths.resolved(options.root)
        if FilePaths.isInside(root, inbox) || FilePaths.isInside(inbox, root) {
            throw SettleError(.usage, "the inbox and --out must not contain each other: give the root a directory beside the inbox")
        }
    }

    package func run() throws -> WatchSummary {
        try checkBeforeStart()
        for name in ["batches", "processed", "duplicates", "failed"] { try FileIO.makeDirectories(options.root + "/" + name) }
        let lock = try JobLock(directory: options.root)
        defer { withExtendedLifetime(lock) {} }
        let journal = try WatchJournal(root: options.root)
        var summary = WatchSummary()
        // What a crash left in flight comes first, with its own number and files.
        for batch in journal.registry.inFlight {
            logger.notice("batch \(WatchOptions.batchName(batch.number)): resuming (\(batch.liveFiles.count) files, left in flight by an earlier run)")
            guard try finish(batch, journal: journal, summary: &summary) else { return summary }
        }
        try watch(journal: journal, summary: &summary)
        return summary
    }

    /// The loop: look at the inbox, close a batch when the policy says so, run it; sleep otherwise.
    private func watch(journal: WatchJournal, summary: inout WatchSummary) throws {
        let scanner = InboxScanner(inbox: options.inbox, settleSeconds: options.settleSeconds, readySuffix: options.readySuffix)
        let policy = BatchPolicy(maxFiles: options.batchFiles, maxBytes: options.batchBytes,
                                 waitNanoseconds: UInt64(options.batchWaitSeconds * 1e9))
        var alarm = LateFileAlarm(options.expectations)
        for arrival in journal.registry.arrivals { alarm.arrived([arrival.name], day: Syscalls.localClock(epochSeconds: arrival.atSeconds).day) }
        let startedAt = Syscalls.monotonicNanoseconds()
        var skipped: Set<String> = []
        while !stop.isRequested {
            let now = Syscalls.monotonicNanoseconds()
            let ready = scanner.look(nowNanoseconds: now, wallNanoseconds: Self.wallNanoseconds(), excluded: skipped)
            metrics.inbox(files: ready.count + scanner.settlingCount,
                          oldestWaitingSeconds: Double(BatchPolicy.oldestWait(ready, nowNanoseconds: now)) / 1e9)
            checkLateFiles(&alarm, names: scanner.names)
            if let files = policy.close(ready, nowNanoseconds: now, draining: options.once) {
                let opened = try open(files, journal: journal, scanner: scanner, skipped: &skipped)
                if let batch = opened, try !finish(batch, journal: journal, summary: &summary) { return }
                continue
            }
            if options.once {
                // --once: what is ready now; a file still settling gets one settle time, no more.
                let waited = Double(now - startedAt) / 1e9
                if scanner.settlingCount == 0 || waited > options.settleSeconds + 2 * options.pollSeconds { break }
            }
            stop.sleep(seconds: options.pollSeconds)
        }
        // The gauges as the daemon leaves the inbox (the last batch's files have moved since the last look).
        let now = Syscalls.monotonicNanoseconds()
        let left = scanner.look(nowNanoseconds: now, wallNanoseconds: Self.wallNanoseconds(), excluded: skipped)
        metrics.inbox(files: left.count + scanner.settlingCount,
                      oldestWaitingSeconds: Double(BatchPolicy.oldestWait(left, nowNanoseconds: now)) / 1e9)
        summary.stopped = stop.isRequested
    }

    private func checkLateFiles(_ alarm: inout LateFileAlarm, names: [String]) {
        guard !options.expectations.isEmpty else { return }
        let clock = Syscalls.localClock()
        alarm.arrived(names, day: clock.day)
        let (late, newlyLate) = alarm.check(day: clock.day, minuteOfDay: clock.minuteOfDay)
        for expectation in newlyLate {
            logger.warning("late file: nothing matching '\(expectation.glob)' has arrived by \(expectation.clockText) today")
        }
        metrics.lateFiles(late.count)
    }

    static func wallSeconds() -> Double { Double(wallNanoseconds()) / 1e9 }

    static func wallNanoseconds() -> Int64 {
        let clock = Syscalls.wallClock()
        return Int64(clock.seconds) * 1_000_000_000 + Int64(clock.nanoseconds)
    }
}
