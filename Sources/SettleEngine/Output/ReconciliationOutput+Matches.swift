/// `matches.csv` (with `--match`): every pair matched by a pass other than `exact`, pass by pass
/// in the match file's order, each pass's rows sorted by the settled side's reference and position
/// (a many-to-one member by the ledger row's position).
enum MatchesCSV {
    static let header = "pass,arn,merchant_id,currency,direction,settled_amount,ledger_amount,difference,file,record_number,ledger_file,ledger_line,age_days\n"

    /// `ageDays` is nil for a match made within one run (the cell stays empty).
    static func appendRow(pass: String, reference: MerchantKey, row: MismatchRow, paths: [String], ageDays: Int?,
                          to out: inout [UInt8]) {
        CSVText.appendField(pass, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(reference.string, to: &out)
        let settled = row.settled!.occurrence, ledger = row.ledger!.occurrence
        out.append(UInt8(ascii: ","))
        CSVText.appendField(settled.merchant.string, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(CurrencyCode(raw: settled.currency).string, to: &out)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: (settled.isCredit ? "credit" : "debit").utf8)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(Int(settled.amount), to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(Int(ledger.amount), to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(row.difference, to: &out)
        for side in [row.settled!, row.ledger!] {
            out.append(UInt8(ascii: ","))
            CSVText.appendField(paths[side.file], to: &out)
            out.append(UInt8(ascii: ","))
            CSVText.appendInteger(side.number, to: &out)
        }
        out.append(UInt8(ascii: ","))
        if let ageDays { CSVText.appendInteger(ageDays, to: &out) }
        out.append(0x0A)
    }
}

extension ExcelSafe {
    static let matches = ExcelSafe(numericColumns: [5, 6, 7, 9, 11, 12])
}

extension ReconciliationOutput {
    /// Runs the passes of `match` that are not keyed on reference over the join's missing rows
    /// (nil when there are none); the result's contributions join the final merge.
    static func leftoverPasses(_ outputs: [BucketOutput], match: MatchSpec?, carried: CarriedItems?, scratch: String, buckets: Int, fanIn: Int,
                               memoryBytes: Int) throws -> LeftoverPasses.Result? {
        guard let match, !match.leftoverPasses.isEmpty || carried != nil else { return nil }
        let inputs = outputs.flatMap { output -> [MergeInput] in
            guard let path = output.mismatches else { return [] }
            return [MismatchKind.missingInLedger, .missingInSettlement].map { MergeInput(path: path, bucket: $0.rawValue, entries: output.counts[$0.rawValue]) }
        }
        return try LeftoverPasses(passes: Array(match.leftoverPasses), carried: carried, directory: scratch, buckets: buckets, fanIn: fanIn, memoryBytes: memoryBytes)
            .run(inputs, tableBytes: max(1 << 20, memoryBytes / 8))
    }

    /// Writes matches.csv, pass by pass, and counts each pass's matches; seals the file.
    func writeMatches(_ outputs: [BucketOutput], match: MatchSpec, leftovers: LeftoverPasses.Result?, carried: CarriedItems?,
                      paths: [String], fanIn: Int, scratch: String) throws {
        guard let matches else { return }
        try matches.write(Array(MatchesCSV.header.utf8))
        let slots = JoinSlots(match: match)
        let encoder = try LZ4FrameEncoder()
        var line: [UInt8] = []
        matchedByPass = []
        for (index, pass) in match.passes.enumerated() {
            let inputs: [MergeInput]
            let count: Int
            if index < slots.referencePasses.count {
                let slot = slots.slot(pass: index)
                let unwritten = slots.unwritten(pass: index)
                count = outputs.reduce(0) { $0 + ($1.counts.count > unwritten ? $1.counts[slot] + $1.counts[unwritten] : 0) }
                inputs = outputs.compactMap { output in output.mismatches.map { MergeInput(path: $0, bucket: slot, entries: output.counts[slot]) } }
            } else {
                let spill = leftovers!.matches[index - slots.referencePasses.count]
                count = leftovers!.matchedCounts[index - slots.referencePasses.count]
                inputs = spill.inputs(bucket: 0)
            }
            matchedByPass.append((pass.name, count))
            try SortedMerge<MismatchCodec>.merge(inputs, fanIn: fanIn, encoder: encoder,
                                                 scratch: { step, group in "\(scratch)/matches-\(index)-\(step)-\(pad(group, 4)).run" }) { key, row in
                line.removeAll(keepingCapacity: true)
                // A late match: its age is the older side's.
                let ages = [row.settled, row.ledger].compactMap { side in side.flatMap { carried?.age(file: $0.file) } }
                if !ages.isEmpty { openFigures.lateMatches += 1 }
                MatchesCSV.appendRow(pass: pass.name, reference: key.reference, row: row, paths: paths, ageDays: ages.max(), to: &line)
                ExcelSafe.apply(excelSafe, .matches, to: &line)
                try matches.write(line)
            }
        }
        try matches.seal()
    }
}

/// What summary.json and the report say of open items (`--open-items`).
struct OpenFigures {
    var open = 0
    var expired = 0
    var lateMatches = 0
    /// Open items by age in days: 0-1, 2-3, 4-7, more.
    var byAge = [0, 0, 0, 0]

    /// Open items by merchant: settled and ledger items, and the oldest one's age.
    struct Merchant: Equatable {
        var settled = 0
        var ledger = 0
        var oldest = 0
        var total: Int { settled + ledger }
    }
    var byMerchant: [MerchantKey: Merchant] = [:]
    /// How many merchants summary.json and the report list (most open items first).
    static let merchantsListed = 20

    static let ageBands = ["0-1", "2-3", "4-7", "8+"]

    mutating func count(age: Int, merchant: MerchantKey, ledger: Bool) {
        open += 1
        byAge[age <= 1 ? 0 : age <= 3 ? 1 : age <= 7 ? 2 : 3] += 1
        var figures = byMerchant[merchant] ?? Merchant()
        if ledger { figures.ledger += 1 } else { figures.settled += 1 }
        figures.oldest = max(figures.oldest, age)
        byMerchant[merchant] = figures
    }

    /// The merchants with the most open items (then by merchant id), at most `merchantsListed`.
    var topMerchants: [(merchant: MerchantKey, figures: Merchant)] {
        byMerchant.map { ($0.key, $0.value) }
            .sorted { $0.1.total != $1.1.total ? $0.1.total > $1.1.total : $0.0 < $1.0 }
            .prefix(Self.merchantsListed).map { $0 }
    }
}

extension ReconciliationOutput {
    /// Writes open_items.csv (settled items first, then the ledger's, each by reference and
    /// position) and keeps the same rows, without `--excel-safe`, as the store's next generation.
    /// With `dated` (a pass on dates), the store's rows end in the item's `date`, so a carried item
    /// still matches on dates on a later night (open_items.csv itself is as always).
    func writeOpenItems(_ leftovers: LeftoverPasses.Result, carried: CarriedItems, paths: [String], fanIn: Int, dated: Bool = false) throws {
        guard let openItems else { return }
        let header = Array(OpenItemsCSV.header.utf8)
        try openItems.write(header)
        var store = dated ? Array(OpenItemsCSV.datedHeader.utf8) : header
        var line: [UInt8] = []
        let encoder = try LZ4FrameEncoder()
        let asOf = carried.options.asOf
        for bucket in 0..<2 {
            try SortedMerge<MismatchCodec>.merge(leftovers.open.inputs(bucket: bucket), fanIn: fanIn, encoder: encoder,
                                                 scratch: { _, _ in "" }) { key, row in
                let side = (row.settled ?? row.ledger)!
                let firstSeen = carried.firstSeen(file: side.file)
                line.removeAll(keepingCapacity: true)
                OpenItemsCSV.appendRow(reference: key.reference, side: side, firstSeen: firstSeen, asOf: asOf, paths: paths, to: &line)
                store += line
                if dated { OpenItemsCSV.appendDate(side.occurrence, to: &store) }
                ExcelSafe.apply(excelSafe, .openItems, to: &line)
                try openItems.write(line)
                openFigures.count(age: asOf - firstSeen, merchant: side.occurrence.merchant, ledger: side.occurrence.isLedger)
            }
        }
        openFigures.expired = leftovers.expired
        storeGeneration = store
        try openItems.seal()
    }
}

extension ExcelSafe {
    static let openItems = ExcelSafe(numericColumns: [5, 7, 9, 11])
}

extension [BucketInputs] {
    /// The buckets' inputs with the carried open items' run added to each bucket it has entries in.
    func addingCarried(_ runs: [MergeInput?]?) -> [BucketInputs] {
        guard let runs else { return self }
        var result = self
        for (bucket, run) in runs.enumerated() where bucket < result.count {
            if let run { result[bucket].references.append(run) }
        }
        return result
    }
}
