import SystemPackage

/// What the morning report shows, read from the published files of an output directory only
/// (summary.json, totals.csv, rejects.csv, and with reconciliation mismatches.csv and
/// reconciliation.csv), so `settle report` works after the work directory is gone.
struct ReportInputs {
    /// A row of totals.csv among the largest by number of transactions.
    struct MerchantRow: Equatable {
        var merchant: String
        var currency: String
        var transactions: Int
        var debitAmount: String
        var creditAmount: String
        var feeAmount: String
        var netAmount: String
        var grossMinor: Int128
    }

    /// The first rows of one reject reason or mismatch kind, and how many there are in all.
    struct Sample {
        var key: String
        var count: Int
        var rows: [[String]]
    }

    /// First rows of a CSV file grouped by one of its columns.
    struct Samples {
        var columns: [String] = []
        var groups: [Sample] = []
    }

    static let sampleRows = 5
    static let topRows = 10

    var summary: ReportJSON
    var topMerchants: [MerchantRow]?
    var rejects: Samples?
    var mismatches: Samples?
    /// reconciliation.csv's rows with mismatches, largest difference first.
    var reconciliationColumns: [String] = []
    var reconciliationRows: [[String]]?
    /// Published files the summary implies but that are not there.
    var missingFiles: [String] = []

    static func load(outDirectory: String) throws -> ReportInputs {
        let summaryPath = outDirectory + "/summary.json"
        do throws(Errno) {
            _ = try Syscalls.status(summaryPath)
        } catch .noSuchFileOrDirectory {
            throw SettleError(.usage, "\(outDirectory) has no summary.json: not the --out directory of a run")
        } catch {
            throw SettleError(.usage, "cannot read \(PathText.display(summaryPath)): \(error.explanation)")
        }
        let summary = try ReportJSON.parse(try FileIO.readBytes(path: summaryPath), path: summaryPath)
        var inputs = ReportInputs(summary: summary)
        guard summary["result"] != nil else { return inputs }
        func present(_ name: String) -> String? {
            let path = outDirectory + "/" + name
            if FileIO.exists(path) { return path }
            inputs.missingFiles.append(name)
            return nil
        }
        if let path = present("totals.csv") { inputs.topMerchants = try topMerchants(path: path) }
        let reasons = (summary["result"]?["rejected_by_reason"]?.members ?? [:]).compactMapValues(\.int)
        if let path = present("rejects.csv") {
            inputs.rejects = try samples(path: path, groupColumn: "reason", counts: reasons)
        }
        if let reconciliation = summary["result"]?["reconciliation"] {
            let kinds = (reconciliation["mismatches_by_kind"]?.members ?? [:]).compactMapValues(\.int)
            if let path = present("mismatches.csv") {
                inputs.mismatches = try samples(path: path, groupColumn: "kind", counts: kinds)
            }
            if let path = present("reconciliation.csv") {
                (inputs.reconciliationColumns, inputs.reconciliationRows) = try largestDifferences(path: path)
            }
        }
        return inputs
    }

    /// One pass over totals.csv keeping the `topRows` rows with the most transactions (ties: the
    /// larger gross amount, then merchant order).
    static func topMerchants(path: String) throws -> [MerchantRow] {
        var top: [MerchantRow] = []
        var first = true
        try CSVRows.forEachLine(path: path) { line in
            defer { first = false }
            // Counts straight from the bytes: a string is made only for a row that makes the list.
            guard !first, let debits = CSVRows.integer(2, of: line), let credits = CSVRows.integer(4, of: line) else { return true }
            let transactions = debits + credits
            if top.count == topRows, let last = top.last, transactions < last.transactions { return true }
            let fields = CSVRows.fields(line)
            guard fields.count >= 8 else { return true }
            let row = MerchantRow(merchant: fields[0], currency: fields[1], transactions: transactions,
                                  debitAmount: fields[3], creditAmount: fields[5], feeAmount: fields[6], netAmount: fields[7],
                                  grossMinor: (Int128(fields[3]) ?? 0) + (Int128(fields[5]) ?? 0))
            let slot = top.firstIndex { $0.transactions < row.transactions || ($0.transactions == row.transactions && $0.grossMinor < row.grossMinor) } ?? top.count
            if slot < topRows {
                top.insert(row, at: slot)
                if top.count > topRows { top.removeLast() }
            }
            return true
        }
        return top
    }

    /// The first `sampleRows` rows of each group, reading no further than needed: `counts` (from
    /// the summary) says how many rows each group has.
    static func samples(path: String, groupColumn: String, counts: [String: Int]) throws -> Samples {
        var result = Samples()
        var rowsByKey: [String: [[String]]] = [:]
        var column = -1
        var wanted = counts.filter { $0.value > 0 }.reduce(0) { $0 + min(sampleRows, $1.value) }
        try CSVRows.forEachLine(path: path) { line in
            if column < 0 {
                result.columns = CSVRows.fields(line)
                column = result.columns.firstIndex(of: groupColumn) ?? 0
                return wanted > 0
            }
            let key = CSVRows.field(column, of: line) ?? ""
            if rowsByKey[key, default: []].count < sampleRows {
                rowsByKey[key, default: []].append(CSVRows.fields(line))
                wanted -= 1
            }
            return wanted > 0
        }
        let keys = Set(counts.filter { $0.value > 0 }.keys).union(rowsByKey.keys)
        result.groups = keys.map { Sample(key: $0, count: counts[$0] ?? rowsByKey[$0]?.count ?? 0, rows: rowsByKey[$0] ?? []) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }
        return result
    }

    /// reconciliation.csv's rows with mismatches, the `topRows` largest absolute differences first.
    static func largestDifferences(path: String) throws -> ([String], [[String]]) {
        var columns: [String] = []
        var rows: [(magnitude: Int128, fields: [String])] = []
        var mismatchColumn = -1, differenceColumn = -1
        try CSVRows.forEachLine(path: path) { line in
            if columns.isEmpty {
                columns = CSVRows.fields(line)
                mismatchColumn = columns.firstIndex(of: "mismatch_count") ?? -1
                differenceColumn = columns.firstIndex(of: "difference") ?? -1
                return mismatchColumn >= 0 && differenceColumn >= 0
            }
            guard (CSVRows.integer(mismatchColumn, of: line) ?? 0) > 0 else { return true }
            let fields = CSVRows.fields(line)
            guard fields.count == columns.count else { return true }
            let difference = Int128(fields[differenceColumn]) ?? 0
            rows.append((difference < 0 ? -difference : difference, fields))
            if rows.count > 4 * topRows {
                rows.sort { $0.magnitude > $1.magnitude }
                rows.removeLast(rows.count - topRows)
            }
            return true
        }
        rows.sort { $0.magnitude > $1.magnitude }
        return (columns, rows.prefix(topRows).map(\.fields))
    }
}
