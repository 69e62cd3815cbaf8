/// Resolves an occurrence's partition-local index into its 1-based record number (settlement) or
/// line (ledger): every partition's count of records (or lines) is known once the map is done.
public struct RecordLocator: Sendable {
    /// Records (lines) in the file before each partition, and each partition's file.
    let bases: [Int]
    let files: [Int]
    /// `--open-items`: the items carried in (their occurrences are in partition `carried.partition`).
    public var carried: CarriedItems?

    public init(plan: PartitionPlan, partitions: [PartitionResult]) {
        var bases = [Int](repeating: 0, count: plan.partitions.count)
        var running = [Int](repeating: 0, count: plan.files.count)
        for result in partitions {
            bases[result.partition.index] = running[result.partition.fileIndex]
            running[result.partition.fileIndex] += result.records
            // A table ledger's row is located by its key: the range's low end plus its position + 1.
            if let range = result.partition.keyRange { bases[result.partition.index] = Int(range.low) }
        }
        self.bases = bases
        files = plan.partitions.map(\.fileIndex)
    }

    /// The 1-based record number (or line) of the occurrence at `key`, and its file's index.
    @inline(__always)
    public func locate(_ key: ReferenceKey) -> (file: Int, number: Int) {
        if key.partition >= files.count, let carried { return carried.locate(local: key.local) }
        return (files[key.partition], bases[key.partition] + key.local + 1)
    }
}

/// What joining one bucket found.
public struct JoinResult: Sendable {
    public var counts = [Int](repeating: 0, count: MismatchKind.allCases.count)
    public var mismatches: SpillRunInfo
    public var contributions: [SpillRunInfo]
}

/// Joins one bucket's occurrences, settled and ledger, by reference: a k-way merge of the sorted
/// runs (bounded fan-in, more passes when there are more runs than that) delivers each reference's
/// occurrences together, settled first, each side in file order. Pairs them by the matching rules,
/// writes the mismatch rows (a run whose "buckets" are the kinds, each sorted by reference and
/// position) and folds per-merchant unmatched and mismatch counts into `table` (spilled as sorted
/// runs for the final merge). Memory: the merge cursors, the table and one reference's occurrences.
public struct JoinReducer {
    public let bucket: Int
    public let directory: String
    public let locator: RecordLocator
    /// `--match`: the passes (nil: today's rule, and outputs as they always were). Pass `p`'s
    /// matches go to slot `kinds + p` of the mismatch run and of `counts` (see `JoinSlots`).
    public let match: MatchSpec?

    public init(bucket: Int, directory: String, locator: RecordLocator, match: MatchSpec? = nil) {
        self.bucket = bucket
        self.directory = directory
        self.locator = locator
        self.match = match
    }

    public func join(_ inputs: [MergeInput], table: AggregateTable, fanIn: Int, encoder: LZ4FrameEncoder) throws -> JoinResult {
        table.clear()
        defer { table.clear() }
        // The output has a frame open per kind while scratch runs are merged: an encoder of its own.
        let slots = JoinSlots(match: match, carriedPartition: locator.carried?.partition)
        var mismatches = try SpillWriter<MismatchCodec>(path: directory + "/mismatches.run", bucketCount: slots.count,
                                                        encoder: try LZ4FrameEncoder())
        var contributions: [SpillRunInfo] = []
        var counts = [Int](repeating: 0, count: slots.countsSize)
        // Rows are produced in reference order but of mixed kinds; the run needs them by kind, so
        // each kind's rows wait in a scratch run of their own until the end.
        var pending: [[(MismatchKey, MismatchRow)]] = Array(repeating: [], count: slots.count)
        var scratch: [(path: String, kind: Int, entries: Int)] = []
        do {
            var group = Group()
            func flushPending(_ kind: Int) throws {
                guard !pending[kind].isEmpty else { return }
                // Rows come in hash order: sorted by reference here, merged across flushes at the end.
                pending[kind].sort { $0.0 < $1.0 }
                let path = "\(directory)/kind-\(kind)-\(pad(scratch.count, 4)).run"
                var writer = try SpillWriter<MismatchCodec>(path: path, bucketCount: 1, encoder: encoder)
                do {
                    for (key, row) in pending[kind] { try writer.append(bucket: 0, key: key, value: row) }
                } catch {
                    writer.abandon()
                    throw error
                }
                _ = try writer.finish()
                scratch.append((path, kind, pending[kind].count))
                pending[kind].removeAll(keepingCapacity: true)
            }
            func store(_ slot: Int, _ reference: MerchantKey, settled: (ReferenceKey, Occurrence)?, ledger: (ReferenceKey, Occurrence)?) throws {
                func side(_ occurrence: (ReferenceKey, Occurrence)) -> MismatchSide {
                    let (file, number) = locator.locate(occurrence.0)
                    return MismatchSide(occurrence: occurrence.1, file: file, number: number)
                }
                let row = MismatchRow(settled: settled.map(side), ledger: ledger.map(side))
                let position = settled?.0.position ?? ledger!.0.position
                pending[slot].append((MismatchKey(reference: reference, position: position), row))
                counts[slot] += 1
                if pending[slot].count >= 4096 { try flushPending(slot) }
            }
            func emit(_ kind: MismatchKind, _ reference: MerchantKey, settled: (ReferenceKey, Occurrence)?, ledger: (ReferenceKey, Occurrence)?) throws {
                try store(kind.rawValue, reference, settled: settled, ledger: ledger)
                // A missing row that later passes may still match counts where they leave it.
                if slots.defersMissing && (kind == .missingInLedger || kind == .missingInSettlement) { return }
                // The row counts for the settled side's merchant, or the ledger's when it has none; a
                // settled occurrence in a row is not matched.
                let owner = settled.flatMap { $0.1.isRejected ? nil : $0.1 } ?? ledger!.1
                if let settled, !settled.1.isRejected, !slots.isCarried(settled.0) {
                    try add(settled.1.merchant, settled.1.currency | ReconciliationTag.unmatchedSettled, isDebit: !settled.1.isCredit,
                            amount: settled.1.amount, table: table, contributions: &contributions, encoder: encoder)
                }
                try add(owner.merchant, owner.currency | ReconciliationTag.mismatch, isDebit: true, amount: 0, table: table,
                        contributions: &contributions, encoder: encoder)
            }
            func resolve(_ group: inout Group) throws {
                let reference = group.reference
                if slots.leavesAllToLeftovers {
                    for settled in group.settled { try emit(.missingInLedger, reference, settled: settled, ledger: nil) }
                    for ledger in group.ledger { try emit(.missingInSettlement, reference, settled: nil, ledger: ledger) }
                    group.clear()
                    return
                }
                let paired = min(group.settled.count, group.ledger.count)
                for index in 0..<paired {
                    let settled = group.settled[index], ledger = group.ledger[index]
                    let s = settled.1, l = ledger.1
                    let kind: MismatchKind?
                    if s.currency != l.currency { kind = .currencyMismatch }
                    else if s.merchant != l.merchant { kind = .merchantMismatch }
                    else if s.isCredit != l.isCredit { kind = .directionMismatch }
                    else if s.amount != l.amount { kind = .amountMismatch }
                    else { kind = nil }
                    if let pass = slots.pass(matching: s, l) {
                        let slot = slots.slot(pass: pass)
                        if slots.writesRows(pass) || slots.isCarried(settled.0) || slots.isCarried(ledger.0) {
                            try store(slot, reference, settled: settled, ledger: ledger)
                        } else {
                            counts[slots.unwritten(pass: pass)] += 1
                        }
                    } else if let kind {
                        try emit(kind, reference, settled: settled, ledger: ledger)
                    }
                }
                for settled in group.settled.dropFirst(paired) {
                    try emit(group.ledger.isEmpty ? .missingInLedger : .duplicateInSettlement, reference, settled: settled, ledger: nil)
                }
                var rejected = 0
                for ledger in group.ledger.dropFirst(paired) {
                    if rejected < group.rejected.count {
                        try emit(.settlementRejected, reference, settled: group.rejected[rejected], ledger: ledger)
                        rejected += 1
                    } else {
                        try emit(group.settled.isEmpty ? .missingInSettlement : .duplicateInLedger, reference, settled: nil, ledger: ledger)
                    }
                }
                group.clear()
            }
            try SortedMerge<ReferenceCodec>.merge(inputs, fanIn: fanIn, encoder: encoder,
                                                  scratch: { pass, index in "\(directory)/references-\(pass)-\(pad(index, 4)).run" }) { key, occurrence in
                // A ledger row without a reference (a ledger matched only by other keys) pairs with
                // nothing here: it goes on, at once, to the leftover passes.
                if slots.match != nil && key.reference.byteCount == 0 {
                    if occurrence.isLedger { try emit(.missingInSettlement, key.reference, settled: nil, ledger: (key, occurrence)) }
                    return
                }
                if key.reference != group.reference || !group.started {
                    if group.started { try resolve(&group) }
                    group.reference = key.reference
                    group.started = true
                }
                if occurrence.isLedger {
                    group.ledger.append((key, occurrence))
                } else if occurrence.isRejected {
                    group.rejected.append((key, occurrence))
                } else {
                    group.settled.append((key, occurrence))
                }
            }
            if group.started { try resolve(&group) }
            if !table.isEmpty { contributions.append(try spillContributions(table, sequence: contributions.count, encoder: encoder)) }
            // Each kind: its scratch runs and what is still pending, merged in order.
            for kind in 0..<slots.count {
                if !scratch.contains(where: { $0.kind == kind }) {
                    pending[kind].sort { $0.0 < $1.0 }
                    for (key, row) in pending[kind] { try mismatches.append(bucket: kind, key: key, value: row) }
                } else {
                    try flushPending(kind)
                    let runs = scratch.filter { $0.kind == kind }.map { MergeInput(path: $0.path, bucket: 0, entries: $0.entries) }
                    try SortedMerge<MismatchCodec>.merge(runs, fanIn: fanIn, encoder: encoder,
                                                         scratch: { pass, index in "\(directory)/kind-\(kind)-pass\(pass)-\(pad(index, 4)).run" }) { key, row in
                        try mismatches.append(bucket: kind, key: key, value: row)
                    }
                }
            }
            for run in scratch { FileIO.unlink(run.path) }
        } catch {
            mismatches.abandon()
            for run in scratch { FileIO.unlink(run.path) }
            throw error
        }
        return JoinResult(counts: counts, mismatches: try mismatches.finish(), contributions: contributions)
    }

    /// One reference's occurrences; arrays keep their capacity from one reference to the next.
    struct Group {
        var reference = MerchantKey()
        var started = false
        var settled: [(ReferenceKey, Occurrence)] = []
        var rejected: [(ReferenceKey, Occurrence)] = []
        var ledger: [(ReferenceKey, Occurrence)] = []

        mutating func clear() {
            settled.removeAll(keepingCapacity: true)
            rejected.removeAll(keepingCapacity: true)
            ledger.removeAll(keepingCapacity: true)
        }
    }

    private func add(_ merchant: MerchantKey, _ currency: UInt32, isDebit: Bool, amount: Int64, table: AggregateTable,
                     contributions: inout [SpillRunInfo], encoder: LZ4FrameEncoder) throws {
        if table.isFull { contributions.append(try spillContributions(table, sequence: contributions.count, encoder: encoder)) }
        table.add(merchant: merchant, currency: currency, isDebit: isDebit, amountMinor: amount, feeMinor: 0)
    }

    private func spillContributions(_ table: AggregateTable, sequence: Int, encoder: LZ4FrameEncoder) throws -> SpillRunInfo {
        try table.spillSorted(to: "\(directory)/c\(pad(sequence, 4)).run", buckets: 1, encoder: encoder)
    }
}
