/// The passes of `--match` that are not keyed on reference, run on what the join left unmatched
/// (`missing_in_ledger` and `missing_in_settlement` rows): a second shuffle of the leftovers only.
/// For each pass, every leftover is spilled by the pass's key into sorted runs per bucket
/// (`SortedSpill`), each bucket's runs are merged so one key's leftovers arrive together, and the
/// group is paired; what the pass leaves goes straight into the next pass's shuffle, and after the
/// last pass into the final leftovers (a run by kind, sorted as mismatches.csv is) with their
/// per-merchant counts. Memory: the spill buffers, the merge cursors and one key's group.
struct LeftoverPasses {
    /// What the passes found.
    struct Result {
        /// Per pass of `passes`, its matches (one run of one bucket, sorted by `MismatchKey`).
        var matches: [SortedSpill<MismatchCodec>]
        var matchedCounts: [Int]
        /// The rows no pass matched, bucket = `MismatchKind.rawValue`.
        var leftovers: SortedSpill<MismatchCodec>
        /// With `--open-items`: the rows left open (bucket 0 settled, 1 ledger), and how many
        /// carried items expired into mismatches.
        var open: SortedSpill<MismatchCodec>
        var expired = 0
        /// Their reconciliation partials (unmatched settled, mismatch counts), sorted runs.
        var contributions: [MergeInput]

        func remove() {
            for spill in matches { spill.remove() }
            leftovers.remove()
            open.remove()
            for run in contributions { FileIO.unlink(run.path) }
        }
    }

    let passes: [MatchSpec.Pass]
    let carried: CarriedItems?
    let directory: String
    let buckets: Int
    let fanIn: Int
    /// Entries a spill buffer holds before it is sorted and written.
    let bufferEntries: Int

    init(passes: [MatchSpec.Pass], carried: CarriedItems?, directory: String, buckets: Int, fanIn: Int, memoryBytes: Int) {
        self.passes = passes
        self.carried = carried
        self.directory = directory
        self.buckets = max(1, buckets)
        self.fanIn = fanIn
        // About 300 bytes an entry in memory; three buffers may be full at once.
        bufferEntries = max(4096, memoryBytes / 4 / 300)
    }

    /// Runs the passes over `inputs` (slices of the join's mismatch runs, of the two missing kinds).
    func run(_ inputs: [MergeInput], tableBytes: Int) throws -> Result {
        let encoder = try LZ4FrameEncoder()
        var result = Result(matches: [], matchedCounts: [], leftovers: SortedSpill(directory: directory, name: "leftovers", bucketCount: MismatchKind.allCases.count, limit: bufferEntries),
                            open: SortedSpill(directory: directory, name: "open", bucketCount: 2, limit: bufferEntries), contributions: [])
        var shuffle = SortedSpill<PassEntryCodec>(directory: directory, name: "pass0", bucketCount: buckets, limit: bufferEntries)
        do {
            let table = AggregateTable(memoryBytes: tableBytes)
            for input in inputs {
                try SortedMerge<MismatchCodec>.merge([input], fanIn: fanIn, encoder: encoder, scratch: { _, _ in "" }) { key, row in
                    if passes.isEmpty {
                        try finalLeftover((key, row), result: &result, table: table, encoder: encoder)
                    } else {
                        try enter(key, row, into: &shuffle, pass: 0, encoder: encoder)
                    }
                }
            }
            for index in passes.indices {
                try shuffle.flush(encoder: encoder)
                var matches = SortedSpill<MismatchCodec>(directory: directory, name: "matches\(index)", bucketCount: 1, limit: bufferEntries)
                var next = SortedSpill<PassEntryCodec>(directory: directory, name: "pass\(index + 1)", bucketCount: buckets, limit: bufferEntries)
                var matched = 0
                var group = LeftoverGroup()
                func leave(_ entry: (MismatchKey, MismatchRow)) throws {
                    if index + 1 < passes.count {
                        try enter(entry.0, entry.1, into: &next, pass: index + 1, encoder: encoder)
                    } else {
                        try finalLeftover(entry, result: &result, table: table, encoder: encoder)
                    }
                }
                func resolve() throws {
                    guard group.started else { return }
                    matched += try group.pair(passes[index], match: { key, row in try matches.append(bucket: 0, key: key, value: row, encoder: encoder) },
                                              leave: leave)
                    group.clear()
                }
                for bucket in 0..<buckets where shuffle.entries(bucket: bucket) > 0 {
                    try SortedMerge<PassEntryCodec>.merge(shuffle.inputs(bucket: bucket), fanIn: fanIn, encoder: encoder,
                                                          scratch: { pass, group in "\(directory)/pass\(index)-b\(bucket)-\(pass)-\(pad(group, 4)).run" }) { key, entry in
                        if group.started && !group.key.sameGroup(key) { try resolve() }
                        group.add(key, entry)
                    }
                    try resolve()
                }
                shuffle.remove()
                try matches.flush(encoder: encoder)
                result.matches.append(matches)
                result.matchedCounts.append(matched)
                shuffle = next
            }
            try result.leftovers.flush(encoder: encoder)
            try result.open.flush(encoder: encoder)
            if !table.isEmpty {
                let info = try table.spillSorted(to: "\(directory)/leftover-c\(pad(result.contributions.count, 4)).run", buckets: 1, encoder: encoder)
                result.contributions.append(MergeInput(path: info.path, bucket: 0, entries: info.entries))
            }
        } catch {
            shuffle.remove()
            result.remove()
            throw error
        }
        return result
    }

    /// A leftover into the shuffle of pass `pass`, keyed by its one side.
    private func enter(_ key: MismatchKey, _ row: MismatchRow, into shuffle: inout SortedSpill<PassEntryCodec>, pass: Int,
                       encoder: LZ4FrameEncoder) throws {
        guard let side = row.settled ?? row.ledger else { return }
        let passKey = PassKey(side.occurrence, position: key.position, pass: passes[pass])
        try shuffle.append(bucket: ReferenceKey.bucket(hash: passKey.hash, count: buckets), key: passKey, value: (key, row), encoder: encoder)
    }

    /// A row no pass matched: with `--open-items` an open item while within `--open-days`, else
    /// back to its kind, counted for its merchant as the join counts it. A carried item's settled
    /// amount is not this night's, so it is not counted as unmatched.
    private func finalLeftover(_ entry: (MismatchKey, MismatchRow), result: inout Result, table: AggregateTable,
                               encoder: LZ4FrameEncoder) throws {
        let (key, row) = entry
        let side = (row.settled ?? row.ledger)!
        let age = carried?.age(file: side.file)
        let owner = side.occurrence
        func add(_ currency: UInt32, isDebit: Bool, amount: Int64) throws {
            if table.isFull {
                let info = try table.spillSorted(to: "\(directory)/leftover-c\(pad(result.contributions.count, 4)).run", buckets: 1, encoder: encoder)
                result.contributions.append(MergeInput(path: info.path, bucket: 0, entries: info.entries))
            }
            table.add(merchant: owner.merchant, currency: currency, isDebit: isDebit, amountMinor: amount, feeMinor: 0)
        }
        if row.settled != nil && age == nil {
            try add(owner.currency | ReconciliationTag.unmatchedSettled, isDebit: !owner.isCredit, amount: owner.amount)
        }
        if let carried, (age ?? 0) <= carried.options.openDays {
            try result.open.append(bucket: row.settled != nil ? 0 : 1, key: key, value: row, encoder: encoder)
            return
        }
        if age != nil { result.expired += 1 }
        let kind: MismatchKind = row.settled != nil ? .missingInLedger : .missingInSettlement
        try result.leftovers.append(bucket: kind.rawValue, key: key, value: row, encoder: encoder)
        try add(owner.currency | ReconciliationTag.mismatch, isDebit: true, amount: 0)
    }
}

/// One pass key's leftovers, settled then ledger, each in file order.
struct LeftoverGroup {
    var key = PassEntryCodec.emptyKey
    var started = false
    var settled: [(MismatchKey, MismatchRow)] = []
    var ledger: [(MismatchKey, MismatchRow)] = []

    mutating func add(_ key: PassKey, _ entry: (MismatchKey, MismatchRow)) {
        if !started {
            self.key = key
            started = true
        }
        if entry.1.settled != nil { settled.append(entry) } else { ledger.append(entry) }
    }

    mutating func clear() {
        started = false
        settled.removeAll(keepingCapacity: true)
        ledger.removeAll(keepingCapacity: true)
    }

    /// Pairs the group by `pass`: matched rows (both sides, keyed by the settled side's key; a
    /// many-to-one member by the ledger row's position) to `match`, the rest to `leave`. Returns
    /// the number of match rows.
    func pair(_ pass: MatchSpec.Pass, match: (MismatchKey, MismatchRow) throws -> Void,
              leave: ((MismatchKey, MismatchRow)) throws -> Void) throws -> Int {
        let rule = pass.rule
        func signed(_ side: MismatchSide?) -> Int128 { side!.occurrence.signedAmount }
        if pass.keys.contains(.date) && key.date == Occurrence.noDate {
            // Leftovers without a readable date: nothing to group them by.
            for entry in settled + ledger { try leave(entry) }
            return 0
        }
        var matched = 0
        switch pass.kind {
        case .oneToOne:
            var used = [Bool](repeating: false, count: ledger.count)
            var first = 0
            for s in settled {
                var found = -1
                var index = first
                while index < ledger.count {
                    if !used[index] && rule.pairs(s.1.settled!.occurrence, ledger[index].1.ledger!.occurrence) {
                        found = index
                        break
                    }
                    index += 1
                }
                guard found >= 0 else {
                    try leave(s)
                    continue
                }
                used[found] = true
                while first < ledger.count && used[first] { first += 1 }
                try match(s.0, MismatchRow(settled: s.1.settled, ledger: ledger[found].1.ledger))
                matched += 1
            }
            for (index, l) in ledger.enumerated() where !used[index] { try leave(l) }
        case .oneToMany:
            let gross = settled.reduce(Int128(0)) { $0 + signed($1.1.settled) }
            let row = settled.isEmpty ? nil : ledger.firstIndex { rule.agrees(gross, signed($0.1.ledger)) }
            for s in settled {
                if let row { try match(s.0, MismatchRow(settled: s.1.settled, ledger: ledger[row].1.ledger)) } else { try leave(s) }
            }
            if row != nil { matched += settled.count }
            for (index, l) in ledger.enumerated() where index != row { try leave(l) }
        case .manyToOne:
            let gross = ledger.reduce(Int128(0)) { $0 + signed($1.1.ledger) }
            let one = ledger.isEmpty ? nil : settled.firstIndex { rule.agrees(gross, signed($0.1.settled)) }
            for (index, s) in settled.enumerated() where index != one { try leave(s) }
            for l in ledger {
                if let one {
                    let s = settled[one]
                    try match(MismatchKey(reference: s.0.reference, position: l.0.position), MismatchRow(settled: s.1.settled, ledger: l.1.ledger))
                } else {
                    try leave(l)
                }
            }
            if one != nil { matched += ledger.count }
        }
        return matched
    }
}
