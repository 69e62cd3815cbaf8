/// Writes the outputs of a run and publishes them as a set: `totals.csv` and `rejects.csv` are
/// written to temporary names and fsynced; `summary.json`, carrying the run id and the SHA-256 of
/// both, is written last; then all three are renamed into place, summary last.
struct OutputPublisher {
    let plan: PartitionPlan
    let partitions: [PartitionResult]
    let directory: JobDirectory
    let options: AggregateOptions
    /// `--open-items`: the items carried in; the store's new generation is published with the set.
    var carried: CarriedItems? = nil

    /// The sealed temporary files and what the summary needs to know about them.
    struct Staged: ~Copyable {
        var totals: AtomicFile
        var rejects: AtomicFile
        var totalsSHA256: String
        var rejectsSHA256: String
        var totalsBytes: Int
        var rejectsBytes: Int
        var totalsRows: Int
        var currencyTotals: [(currency: String, value: PartialAggregate)]
        var grandTotal: PartialAggregate
        var controlChecks: [ControlCheck]
        /// When the job reconciles against a ledger.
        var reconciliation: ReconciliationOutput?
    }

    func stage(bucketOutputs: [BucketOutput], fanIn: Int) throws -> Staged {
        let reconciliation = plan.files.contains(where: \.isLedger)
            ? try ReconciliationOutput(outDirectory: options.outDirectory, excelSafe: options.excelSafe, matching: options.match != nil,
                                         openItems: options.openItems != nil) : nil
        var totals: AtomicFile
        do {
            totals = try AtomicFile(path: options.outDirectory + "/totals.csv", hashing: true)
        } catch {
            reconciliation?.abandon()
            throw error
        }
        var rows = 0
        // Few currencies, and rows come grouped by merchant: a short list beats a dictionary.
        var byCurrency: [(currency: CurrencyCode, value: PartialAggregate)] = []
        var grand = PartialAggregate()
        let excelSafe = options.excelSafe
        let totalsSHA256: String
        do {
            try totals.write(TotalsCSV.header)
            var line: [UInt8] = []
            line.reserveCapacity(256)
            let encoder = try LZ4FrameEncoder()
            let leftovers = reconciliation == nil ? nil
                : try ReconciliationOutput.leftoverPasses(bucketOutputs, match: options.match, carried: carried, scratch: directory.scratch, buckets: options.buckets,
                                                          fanIn: fanIn, memoryBytes: options.memoryBytes)
            defer { leftovers?.remove() }
            try RunMerger.merge(bucketOutputs.map(\.totals) + bucketOutputs.flatMap(\.contributions) + (leftovers?.contributions ?? []),
                                fanIn: fanIn, encoder: encoder,
                                scratch: { pass, group in "\(directory.scratch)/final-pass\(pass)-\(pad(group, 4)).run" },
                                emit: { key, value in
                                    if let reconciliation {
                                        try reconciliation.add(key, value)
                                        // Ledger, matched and mismatch partials are not totals.
                                        if key.currency.raw & 0xFF != 0 { return }
                                    }
                                    line.removeAll(keepingCapacity: true)
                                    TotalsCSV.appendRow(key, value, to: &line)
                                    if excelSafe { ExcelSafe.totals.apply(to: &line) }
                                    try totals.write(line)
                                    rows += 1
                                    var slot = byCurrency.firstIndex { $0.currency == key.currency } ?? -1
                                    if slot < 0 {
                                        byCurrency.append((key.currency, PartialAggregate()))
                                        slot = byCurrency.count - 1
                                    }
                                    guard byCurrency[slot].value.combine(value), grand.combine(value) else {
                                        throw SettleError(.overflow, "sum overflow in the grand totals at merchant '\(key.merchant.string)'")
                                    }
                                })
            if let reconciliation {
                try reconciliation.finishRows()
                let paths = carried?.paths(plan: plan.files.map(\.path)) ?? plan.files.map(\.path)
                try reconciliation.writeMismatches(bucketOutputs, paths: paths, fanIn: fanIn, scratch: directory.scratch,
                                                   leftovers: leftovers, carried: carried)
                if let match = options.match {
                    try reconciliation.writeMatches(bucketOutputs, match: match, leftovers: leftovers, carried: carried, paths: paths,
                                                    fanIn: fanIn, scratch: directory.scratch)
                }
                if let carried, let leftovers {
                    try reconciliation.writeOpenItems(leftovers, carried: carried, paths: paths, fanIn: fanIn, dated: options.match?.needsDate == true)
                }
                reconciliation.ledgerFiles = plan.files.filter(\.isLedger).map { file in
                    let results = partitions.filter { $0.partition.fileIndex == file.index }
                    let valid = results.reduce(0) { $0 + $1.validDetails }, rejected = results.reduce(0) { $0 + $1.rejected }
                    return .init(path: file.path, rows: valid + rejected, valid: valid, rejected: rejected)
                }
            }
            totalsSHA256 = try totals.seal()!
        } catch {
            totals.abandon()
            reconciliation?.abandon()
            throw error
        }
        let totalsBytes = totals.bytesWritten
        var rejectsSHA256 = ""
        let rejects: AtomicFile
        do {
            rejects = try stageRejects(sha256: &rejectsSHA256)
        } catch {
            totals.abandon()
            reconciliation?.abandon()
            throw error
        }
        let rejectsBytes = rejects.bytesWritten
        return Staged(totals: totals, rejects: rejects, totalsSHA256: totalsSHA256, rejectsSHA256: rejectsSHA256,
                      totalsBytes: totalsBytes, rejectsBytes: rejectsBytes, totalsRows: rows,
                      currencyTotals: byCurrency.sorted { $0.currency < $1.currency }.map { ($0.currency.string, $0.value) },
                      grandTotal: grand, controlChecks: controlChecks(), reconciliation: reconciliation)
    }

    /// rejects.csv written and sealed (its SHA-256 in `sha256`), or nothing left of it.
    private func stageRejects(sha256: inout String) throws -> AtomicFile {
        var rejects = try AtomicFile(path: options.outDirectory + "/rejects.csv", hashing: true)
        do {
            try writeRejects(to: &rejects)
            sha256 = try rejects.seal()!
        } catch {
            rejects.abandon()
            throw error
        }
        return rejects
    }

    /// Rejects in command-line file order, then byte offset: file-level findings about a missing
    /// header first, then each partition's rejects in order (partitions are in byte order), then a
    /// missing trailer.
    private func writeRejects(to file: inout AtomicFile) throws {
        try file.write(RejectsCSV.header)
        var line: [UInt8] = []
        for filePlan in plan.files {
            if filePlan.fileRejects.contains(.missingHeader) {
                line.removeAll(keepingCapacity: true)
                RejectsCSV.appendFileRow(file: filePlan.path, reason: .missingHeader, byteOffset: 0, layout: filePlan.layout, to: &line)
                ExcelSafe.apply(options.excelSafe, .rejects, to: &line)
                try file.write(line)
            }
            var recordBase = 0
            for result in partitions where result.partition.fileIndex == filePlan.index {
                // A table ledger's rows are numbered by their key (see `RecordLocator`).
                if let range = result.partition.keyRange { recordBase = Int(range.low) }
                if let path = result.rejectsPath {
                    for entry in try RejectLog.read(path: path) {
                        line.removeAll(keepingCapacity: true)
                        if let ledger = filePlan.ledger {
                            RejectsCSV.appendLedgerRow(file: filePlan.path, line: recordBase + entry.localRecordIndex + 1,
                                                       entry: entry, ledger: ledger, to: &line)
                        } else {
                            RejectsCSV.appendRow(file: filePlan.path, recordNumber: recordBase + entry.localRecordIndex + 1,
                                                 entry: entry, layout: filePlan.layout, to: &line)
                        }
                        ExcelSafe.apply(options.excelSafe, .rejects, to: &line)
                        try file.write(line)
                    }
                }
                recordBase += result.records
            }
            if filePlan.fileRejects.contains(.missingTrailer) {
                line.removeAll(keepingCapacity: true)
                RejectsCSV.appendFileRow(file: filePlan.path, reason: .missingTrailer, byteOffset: filePlan.sizeBytes,
                                         layout: filePlan.layout, to: &line)
                ExcelSafe.apply(options.excelSafe, .rejects, to: &line)
                try file.write(line)
            }
        }
    }

    /// One per settlement file (ledger files carry no control totals).
    func controlChecks() -> [ControlCheck] {
        plan.files.filter { !$0.isLedger }.map { file in
            if let report = StructuredReport.evaluate(file: file, partitions: partitions) {
                return ControlCheck(file: file.path, status: report.failed.isEmpty ? .agree : .unexplained, figures: [],
                                    unreadableAmounts: 0, unreadableFees: 0, structured: report)
            }
            var valid: (count: Int, debit: Int128, credit: Int128, fee: Int128) = (0, 0, 0, 0)
            var explanation = RejectExplanation()
            for result in partitions where result.partition.fileIndex == file.index {
                valid.count += result.validDetails
                valid.debit += result.validDebit
                valid.credit += result.validCredit
                valid.fee += result.validFee
                explanation.add(result.explanation)
            }
            return ControlCheck.check(file: file, valid: valid, explanation: explanation)
        }
    }

    /// Writes summary.json and renames the set into place, summary last; then the report. The
    /// report's temporary file is made first, and its name checked, so a report that cannot be
    /// written stops the run before the new set is published; one that fails after (rendering it
    /// from the published files) is a warning, returned: the set is published and the run stands.
    func publish(_ staged: consuming Staged, run: RunFacts) throws -> String? {
        let reconciliation = staged.reconciliation
        let runID = RunID.make()
        let summary = SummaryJSON(plan: plan, partitions: partitions, options: options)
            .render(runID: runID, staged: staged, run: run)
        let reportPath = options.outDirectory + "/" + MorningReport.fileName
        var summaryFile: AtomicFile
        do {
            if Syscalls.entryKind(reportPath) == .directory {
                throw SettleError(.io, "cannot write \(reportPath): it is a directory. Remove or rename it; nothing was published")
            }
            summaryFile = try AtomicFile(path: options.outDirectory + "/summary.json")
        } catch {
            staged.totals.abandon()
            staged.rejects.abandon()
            reconciliation?.abandon()
            throw error
        }
        var report: AtomicFile
        do {
            report = try AtomicFile(path: reportPath)
        } catch {
            summaryFile.abandon()
            staged.totals.abandon()
            staged.rejects.abandon()
            reconciliation?.abandon()
            throw error
        }
        do {
            try summaryFile.write(summary)
            _ = try summaryFile.seal()
        } catch {
            summaryFile.abandon()
            report.abandon()
            staged.totals.abandon()
            staged.rejects.abandon()
            reconciliation?.abandon()
            throw error
        }
        // The old report describes the old set: gone before the new set is, remade after it.
        FileIO.unlink(reportPath)
        let temporaries = [summaryFile.temporaryPath, staged.rejects.temporaryPath, report.temporaryPath]
            + (reconciliation.map { [$0.reconciliation.temporaryPath, $0.mismatches.temporaryPath] + [$0.matches, $0.openItems].compactMap { $0?.temporaryPath } } ?? [])
        do {
            try staged.totals.publish()
            try staged.rejects.publish()
            try reconciliation?.publish()
            // The store's new HEAD goes in with the set, just before the summary that seals it.
            if let carried, let store = reconciliation?.storeGeneration {
                let openStore = OpenItemStore(directory: carried.options.directory)
                let name = try openStore.writeGeneration(store, asOf: carried.options.asOf, runID: carried.options.batch ?? runID)
                try openStore.publishHead(generation: name, asOf: carried.options.asOf, previous: carried.previousAfter)
            }
            try summaryFile.publish()
        } catch {
            // What is not renamed yet stays unpublished: no temporary of this run may stay behind.
            for path in temporaries { FileIO.unlink(path) }
            throw error
        }
        let failed = { (error: any Error) in
            "the outputs are published, but report.html could not be made: \(error). Make it again with `settle report \(options.outDirectory)`"
        }
        do {
            try report.write(Array(try MorningReport.render(outDirectory: options.outDirectory).utf8))
        } catch {
            report.abandon()
            return failed(error)
        }
        do {
            try report.commit()
        } catch {
            return failed(error)
        }
        return nil
    }
}

/// A random identifier for one run, so a reader can tell outputs of two runs apart.
enum RunID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return SHA256.hex(withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) })
    }
}
