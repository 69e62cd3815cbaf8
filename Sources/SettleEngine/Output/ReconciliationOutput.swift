/// An output file of the published set that only some runs have (held by reference, so it can be
/// optional): written to a temporary name, sealed (fsynced) with its SHA-256, renamed by `publish`.
final class SetMember {
    private var file: AtomicFile
    private(set) var sha256 = ""
    private(set) var bytes = 0
    private var sealed = false

    init(path: String) throws { file = try AtomicFile(path: path, hashing: true) }

    var temporaryPath: String { file.temporaryPath }

    func write(_ bytes: [UInt8]) throws { try file.write(bytes) }

    func seal() throws {
        bytes = file.bytesWritten
        sha256 = try file.seal() ?? ""
        sealed = true
    }

    func publish() throws {
        do {
            try Syscalls.rename(file.temporaryPath, file.finalPath)
            try Syscalls.fsyncDirectory(AtomicFile.split(file.finalPath).directory)
        } catch {
            Syscalls.unlink(file.temporaryPath)
            throw SettleError(.io, "cannot publish \(file.finalPath): \(error)")
        }
    }

    /// Removes the temporary file (after a failure).
    func abandon() {
        if !sealed { _ = try? file.seal() }
        Syscalls.unlink(file.temporaryPath)
    }
}

/// The reconciliation outputs of a run, `reconciliation.csv` and `mismatches.csv`, and the figures
/// summary.json reports. Rows of reconciliation.csv are built from the final merge, where one
/// merchant/currency's partials arrive together: settled (the plain key), then the ledger's,
/// unmatched and mismatch partials (the key with a `ReconciliationTag` in its low byte).
final class ReconciliationOutput {
    static let header = "merchant_id,currency,settled_count,settled_gross,ledger_count,ledger_gross,matched_count,matched_gross,mismatch_count,difference\n"

    struct Side {
        var count = 0
        var gross: Int128 = 0
    }

    struct LedgerFileFigures {
        var path: String
        /// Its content identity (`ContentDigest`), when known.
        var contentSHA256: String? = nil
        var rows: Int
        var valid: Int
        var rejected: Int
    }

    let reconciliation: SetMember
    let mismatches: SetMember
    /// `matches.csv`, with `--match` (see `ReconciliationOutput+Matches.swift`).
    let matches: SetMember?
    /// Pairs (rows) matched per pass, in pass order, with `--match`.
    var matchedByPass: [(name: String, count: Int)] = []
    /// `open_items.csv`, with `--open-items`, and what the summary says of open items.
    let openItems: SetMember?
    var openFigures = OpenFigures()
    /// The store's next generation (open_items.csv without `--excel-safe`), published with the set.
    var storeGeneration: [UInt8]?
    private(set) var counts = [Int](repeating: 0, count: MismatchKind.allCases.count)
    private(set) var settled = Side(), ledger = Side(), matched = Side()
    private(set) var rows = 0
    var ledgerFiles: [LedgerFileFigures] = []

    private var groupKey: AggregateKey?
    private var group = [PartialAggregate](repeating: PartialAggregate(), count: 4)
    private var line: [UInt8] = []

    /// `--excel-safe`: text cells that a spreadsheet would run as a formula get a leading `'`.
    let excelSafe: Bool

    init(outDirectory: String, excelSafe: Bool = false, matching: Bool = false, openItems: Bool = false) throws {
        self.excelSafe = excelSafe
        reconciliation = try SetMember(path: outDirectory + "/reconciliation.csv")
        do {
            mismatches = try SetMember(path: outDirectory + "/mismatches.csv")
        } catch {
            reconciliation.abandon()
            throw error
        }
        var made: [SetMember] = []
        do {
            matches = matching ? try SetMember(path: outDirectory + "/matches.csv") : nil
            if let matches { made.append(matches) }
            self.openItems = openItems ? try SetMember(path: outDirectory + "/open_items.csv") : nil
        } catch {
            reconciliation.abandon()
            mismatches.abandon()
            for member in made { member.abandon() }
            throw error
        }
        try reconciliation.write(Array(Self.header.utf8))
        line.reserveCapacity(256)
    }

    var mismatchTotal: Int { counts.reduce(0, +) }

    func abandon() {
        reconciliation.abandon()
        mismatches.abandon()
        matches?.abandon()
        openItems?.abandon()
    }

    /// One key of the final merge (any tag).
    func add(_ key: AggregateKey, _ value: PartialAggregate) throws {
        let tag = Int(key.currency.raw & 0xFF)
        let base = AggregateKey(merchant: key.merchant, currency: CurrencyCode(raw: key.currency.raw & ~0xFF))
        if base != groupKey {
            try flush()
            groupKey = base
        }
        group[tag] = value
    }

    /// Writes the last row and seals reconciliation.csv.
    func finishRows() throws {
        try flush()
        try reconciliation.seal()
    }

    private func flush() throws {
        guard let key = groupKey else { return }
        defer {
            groupKey = nil
            for index in group.indices { group[index] = PartialAggregate() }
        }
        func side(_ value: PartialAggregate) -> Side {
            Side(count: Int(value.debitCount + value.creditCount), gross: value.debitAmount - value.creditAmount)
        }
        let settledRow = side(group[0]), ledgerRow = side(group[Int(ReconciliationTag.ledger)])
        let unmatched = side(group[Int(ReconciliationTag.unmatchedSettled)])
        let matchedRow = Side(count: settledRow.count - unmatched.count, gross: settledRow.gross - unmatched.gross)
        let mismatchCount = Int(group[Int(ReconciliationTag.mismatch)].debitCount)
        guard add(&settled, settledRow), add(&ledger, ledgerRow), add(&matched, matchedRow) else {
            throw SettleError(.overflow, "sum overflow in the reconciliation totals at merchant '\(key.merchant.string)'")
        }
        line.removeAll(keepingCapacity: true)
        CSVText.appendField(key.merchant.string, to: &line)
        line.append(UInt8(ascii: ","))
        CSVText.appendField(key.currency.string, to: &line)
        for value in [Int128(settledRow.count), settledRow.gross, Int128(ledgerRow.count), ledgerRow.gross,
                      Int128(matchedRow.count), matchedRow.gross, Int128(mismatchCount), settledRow.gross - ledgerRow.gross] {
            line.append(UInt8(ascii: ","))
            CSVText.appendInteger(value, to: &line)
        }
        line.append(0x0A)
        ExcelSafe.apply(excelSafe, .reconciliation, to: &line)
        try reconciliation.write(line)
        rows += 1
    }

    private func add(_ total: inout Side, _ row: Side) -> Bool {
        let gross = total.gross.addingReportingOverflow(row.gross)
        if gross.overflow { return false }
        total = Side(count: total.count + row.count, gross: gross.partialValue)
        return true
    }

    /// Merges every bucket's mismatch rows, kind by kind, into mismatches.csv and seals it.
    /// With `leftovers` (passes not keyed on reference), the missing kinds are what those passes left.
    func writeMismatches(_ outputs: [BucketOutput], paths: [String], fanIn: Int, scratch: String,
                         leftovers: LeftoverPasses.Result? = nil) throws {
        try mismatches.write(Array(MismatchesCSV.header.utf8))
        let encoder = try LZ4FrameEncoder()
        for kind in MismatchKind.allCases {
            var inputs = outputs.compactMap { output in
                output.mismatches.map { MergeInput(path: $0, bucket: kind.rawValue, entries: output.counts[kind.rawValue]) }
            }
            if let leftovers, kind == .missingInLedger || kind == .missingInSettlement { inputs = leftovers.leftovers.inputs(bucket: kind.rawValue) }
            var written = 0
            try SortedMerge<MismatchCodec>.merge(inputs, fanIn: fanIn, encoder: encoder,
                                                 scratch: { pass, group in "\(scratch)/mismatches-\(kind.rawValue)-\(pass)-\(pad(group, 4)).run" }) { key, row in
                line.removeAll(keepingCapacity: true)
                MismatchesCSV.appendRow(kind: kind, reference: key.reference, row: row, paths: paths, to: &line)
                ExcelSafe.apply(excelSafe, .mismatches, to: &line)
                try mismatches.write(line)
                written += 1
            }
            counts[kind.rawValue] = written
        }
        try mismatches.seal()
    }

    func publish() throws {
        try reconciliation.publish()
        try mismatches.publish()
        try matches?.publish()
        try openItems?.publish()
    }
}
