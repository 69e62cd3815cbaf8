/// One batch of the watch daemon: choosing its files (hash, duplicate guard, unreadable files
/// aside), recording it, running its job and moving its files.
extension WatchDaemon {
    /// Hashes the files the policy closed, moves duplicates and unreadable files aside, and records
    /// the batch (before its job starts); nil when no file is left for it.
    func open(_ files: [InboxScanner.ReadyFile], journal: WatchJournal, scanner: InboxScanner,
              skipped: inout Set<String>) throws -> WatchRegistry.Batch? {
        let number = journal.registry.nextBatchNumber
        var chosen: [BatchFile] = []
        var hashes: Set<String> = []
        for file in files {
            let path = options.inbox + "/" + file.name
            guard let layout = options.layout(for: file.name) else {
                try setAside(file.name, reason: "no --input-layout pattern matches \(file.name) and no --layout is given", journal: journal, skipped: &skipped)
                continue
            }
            let hash: (sha256: String, sizeBytes: Int)
            do {
                hash = try ContentHash.of(path: path)
            } catch {
                try setAside(file.name, reason: "\(error)", journal: journal, skipped: &skipped)
                continue
            }
            // Written to while hashed: it must settle again.
            guard hash.sizeBytes == file.sizeBytes, Syscalls.entryStatus(path)?.sizeBytes == file.sizeBytes else {
                scanner.forget(file.name)
                continue
            }
            if let first = journal.registry.batchOfContent[hash.sha256] ?? (hashes.contains(hash.sha256) ? number : nil) {
                let stored = try mover.moveAside(file.name, into: options.root + "/duplicates")
                try journal.append(.duplicate(name: file.name, sha256: hash.sha256, firstBatch: first, storedAs: stored,
                                              atSeconds: Syscalls.wallClock().seconds))
                metrics.duplicate()
                logger.warning("duplicate: \(PathText.display(file.name)) has the content of a file of batch \(WatchOptions.batchName(first)): moved to \(options.root)/duplicates/\(stored), not processed again")
                continue
            }
            hashes.insert(hash.sha256)
            chosen.append(BatchFile(name: file.name, sha256: hash.sha256, sizeBytes: hash.sizeBytes, layout: layout, marker: file.marker))
        }
        guard !chosen.isEmpty else { return nil }
        try journal.append(.opened(batch: number, atSeconds: Syscalls.wallClock().seconds, files: chosen))
        let bytes = chosen.reduce(0) { $0 + $1.sizeBytes }
        logger.notice("batch \(WatchOptions.batchName(number)): \(chosen.count) files (\(ByteSize.format(bytes))): \(chosen.map { PathText.display($0.name) }.joined(separator: ", "))")
        return journal.registry.batches.last
    }

    /// Moves a file that cannot be read (or has no layout) to failed/ with its reason; the others go on.
    private func setAside(_ name: String, reason: String, journal: WatchJournal, skipped: inout Set<String>) throws {
        do {
            let stored = try mover.moveToFailed(name, reason: reason)
            try journal.append(.failed(name: name, reason: reason, storedAs: stored, atSeconds: Syscalls.wallClock().seconds))
            metrics.failedFile()
            logger.error("failed: \(PathText.display(name)): \(reason); moved to \(options.root)/failed/\(stored)")
        } catch let error as SettleError where error.code == .io {
            // Cannot even move it: leave it where it is and stop looking at it in this run.
            skipped.insert(name)
            logger.error("cannot set \(PathText.display(name)) aside (\(error.message)); it stays in the inbox and is skipped until restart")
        }
    }

    /// Runs the batch's job unless it already published, then moves its files and closes it.
    /// False when a stop left the batch in flight (resumable).
    func finish(_ batch: WatchRegistry.Batch, journal: WatchJournal, summary: inout WatchSummary) throws -> Bool {
        let started = Syscalls.monotonicNanoseconds()
        let name = WatchOptions.batchName(batch.number)
        var batch = batch
        if batch.published == nil {
            guard let result = try runJob(&batch, journal: journal) else {
                summary.stopped = true
                summary.leftResumable = batch.number
                return false
            }
            try journal.append(.published(batch: batch.number, exitStatus: result.exitStatus, records: result.records,
                                          rejects: result.rejects, milliseconds: Int(Double(Syscalls.monotonicNanoseconds() - started) / 1e6)))
        }
        let directory = options.processedDirectory(batch.number)
        for file in batch.liveFiles {
            try mover.moveKeepingName(file.name, into: directory)
            if !file.marker.isEmpty {
                do { try mover.moveKeepingName(file.marker, into: directory) } catch {
                    logger.warning("batch \(name): the ready marker \(PathText.display(file.marker)) could not be moved: \(error)")
                }
            }
        }
        try journal.append(.moved(batch: batch.number))
        let seconds = Double(Syscalls.monotonicNanoseconds() - started) / 1e9
        metrics.batchFinished(seconds: seconds)
        let facts = journal.registry.batches.last { $0.number == batch.number }?.published
        summary.batchesRun += 1
        if (facts?.exitStatus ?? 0) != 0 { summary.batchesWithFindings += 1 }
        logger.notice("batch \(name): done: \(batch.liveFiles.count) files, \(facts?.records ?? 0) records, \(facts?.rejects ?? 0) rejects, \(secondsText(seconds)) s, exit status \(facts?.exitStatus ?? 0); outputs in \(options.batchDirectory(batch.number))")
        return true
    }

    /// The batch's job, in this process; a file the job cannot read leaves the batch for failed/ and
    /// the job starts again without it. Nil when a stop interrupted it.
    private func runJob(_ batch: inout WatchRegistry.Batch, journal: WatchJournal) throws -> (exitStatus: Int, records: Int, rejects: Int)? {
        var restart = false
        while true {
            let live = batch.liveFiles
            if live.isEmpty { return (0, 0, 0) }
            var job = options.job
            job.inputs = live.map { AggregateOptions.Input(path: options.inbox + "/" + $0.name, layout: $0.layout) } + options.job.inputs
            job.outDirectory = options.batchDirectory(batch.number)
            job.workDirectory = nil
            job.restart = restart
            job.metricsFile = nil
            job.openItems = batchOpenItems(batch.number, restart: restart)
            let aggregate = AggregateJob(options: job, shutdown: stop.job, logger: logger)
            currentProgress.withLock { $0 = aggregate.progress }
            batchObserver(aggregate.progress)
            defer {
                batchObserver(nil)
                currentProgress.withLock { $0 = nil }
            }
            do {
                let report = try aggregate.run()
                var status = report.hasFindings ? 1 : 0
                // Publishing to the database is idempotent (the job key), so a crash before the
                // journal records the batch publishes it again, once.
                if let publish, let failed = publish(job.outDirectory) { status = Int(failed) }
                aggregate.progress.metrics.finished(exitStatus: status, nowSeconds: Self.wallSeconds())
                return (status, report.recordsRead, report.rejected)
            } catch let error as SettleError where error.code == .interrupted {
                aggregate.writeInterruptedSummary(signal: stop.signalName, resumeCommand: "start settle watch again: batch \(WatchOptions.batchName(batch.number)) resumes first")
                logger.notice("batch \(WatchOptions.batchName(batch.number)): stopped by \(stop.signalName), left resumable: the next settle watch finishes it first")
                return nil
            } catch let error as SettleError where error.code == .unreadableInput || error.code == .jobChanged {
                guard let culprit = live.first(where: { error.message.contains(options.inbox + "/" + $0.name) }) else { throw error }
                try journal.append(.dropped(batch: batch.number, name: culprit.name))
                if Syscalls.entryStatus(options.inbox + "/" + culprit.name) != nil {
                    let stored = try mover.moveToFailed(culprit.name, reason: error.message)
                    try journal.append(.failed(name: culprit.name, reason: error.message, storedAs: stored, atSeconds: Syscalls.wallClock().seconds))
                    metrics.failedFile()
                }
                logger.error("batch \(WatchOptions.batchName(batch.number)): \(error.message); \(PathText.display(culprit.name)) moved to failed/, the batch goes on without it")
                batch = journal.registry.batches.last { $0.number == batch.number } ?? batch
                restart = true
            }
        }
    }
}

extension WatchDaemon {
    /// `--open-items` for batch `number`: tagged with the batch (batches carry from one to the next);
    /// without `--as-of`, dated the day the batch first started, as its manifest recorded it.
    func batchOpenItems(_ number: Int, restart: Bool) -> OpenItemsOptions? {
        guard var open = options.job.openItems else { return nil }
        open.batch = "batch" + WatchOptions.batchName(number)
        if options.openItemsAsOfToday {
            let work = JobDirectory(root: JobDirectory.defaultPath(out: options.batchDirectory(number)))
            let recorded = restart || !work.hasManifest ? nil : (try? Manifest.read(work))?.openItems.flatMap { CalendarDay.parse($0.asOf) }
            open.asOf = recorded ?? Syscalls.wallClock().seconds / 86_400
        }
        return open
    }
}

/// Seconds with two decimals, for log lines.
private func secondsText(_ seconds: Double) -> String {
    let hundredths = Int((seconds * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}
