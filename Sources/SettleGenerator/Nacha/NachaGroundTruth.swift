import SettleEngine

/// What `settle aggregate --layout nacha` must find in a generated NACHA file, summed from the
/// entries as the generator means them (never by reading the file back): per-merchant totals, and
/// the file's figures for `expected/summary.json`. Writes `expected/totals.csv`, `expected/summary.json`
/// and an `expected/rejects.csv` with no rows (the file has no invalid record); `NachaLedger` adds
/// the reconciliation's files.
struct NachaGroundTruth {
    /// Every entry as a valid settled record of its merchant (company index) in USD cents: the
    /// totals, and the settled side of the reconciliation (the ledger counts its rows here too).
    var settled: GroundTruth

    /// Batches per SEC code (`NachaSEC.rawValue`).
    private(set) var batchesBySEC = [Int](repeating: 0, count: NachaSEC.allCases.count)
    private(set) var prenotes = 0
    private(set) var zeroDollar = 0
    private(set) var returns = 0
    private(set) var notificationsOfChange = 0
    private(set) var lastSEC = NachaSEC.ppd

    init(merchants: MerchantIDs, currencyCount: Int) {
        settled = GroundTruth(merchants: merchants, currencyCount: currencyCount)
    }

    mutating func addBatch(_ sec: NachaSEC) {
        batchesBySEC[sec.rawValue] += 1
        lastSEC = sec
    }

    /// Adds an entry of `merchant` whose trace number (80-94) is `trace`, and returns it as the
    /// transaction its ledger row shows. Prenotes and zero-dollar entries count, with amount 0.
    mutating func addEntry(_ plan: NachaEntryPlan, merchant: Int, trace: UInt64) -> Transaction {
        let transaction = Transaction(sequence: trace, merchant: merchant, currency: NachaLedger.usd, isHomeCurrency: true,
                                      amountMinor: plan.amountMinor, feeMinor: 0, isCredit: plan.isCredit,
                                      daysBeforeFileDate: 0)
        settled.countWritten(transaction, isDuplicate: false)
        settled.addValid(transaction)
        switch plan.transactionCode % 10 {
        case 3, 8: prenotes += 1
        case 4, 9: zeroDollar += 1
        case 1, 6:
            if case .change = plan.addenda { notificationsOfChange += 1 } else { returns += 1 }
        default: break
        }
        return transaction
    }

    /// Merchants with at least one entry.
    var totalsRows: Int { settled.keyCount }

    /// `totals.csv` as the engine writes it: one row per merchant with an entry, bytewise by key,
    /// currency USD, fee 0, net = debit - credit - fee; a key holding a comma or quote is quoted.
    func totals(_ merchants: MerchantIDs) -> [UInt8] {
        var bytes = Array(GroundTruthFiles.totalsHeader.utf8)
        for merchant in merchants.order {
            guard let sums = settled.totals(merchant: merchant, currency: NachaLedger.usd) else { continue }
            bytes += merchants.csvField(merchant)
            bytes += Array(",USD,".utf8)
            let net = sums.debitAmount - sums.creditAmount
            bytes += Array("\(sums.debitCount),\(sums.debitAmount),\(sums.creditCount),".utf8)
            bytes += Array("\(sums.creditAmount),0,\(net)\n".utf8)
        }
        return bytes
    }

    /// The figures of the file, in the order a reader checks them; money as strings of digits.
    struct FileFigures {
        var options: NachaGeneratorOptions
        var control: NachaControlTotals
        var batches: Int
        var lines: Int
        var fillerLines: Int
        var fileBytes: Int
    }

    /// The file's figures, then the ledger's and the reconciliation's (as for a flat layout).
    /// `exit_status` is that of `settle aggregate` without `--ledger` (the file alone is clean).
    func summary(_ figures: FileFigures, companies: NachaCompanies, reconciliation: ReconciliationFiles) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("layout", "nacha")
        json.string("file", NachaGenerator.fileName)
        json.number("seed", Int(figures.options.seed))   // at most Int64.max, checked by the options
        json.number("merchants", figures.options.merchants)
        json.number("iat_originators", companies.iat.count)
        json.number("entries", figures.control.entries)
        json.number("addenda", figures.control.addenda)
        json.number("batches", figures.batches)
        json.number("iat_batches", batchesBySEC[NachaSEC.iat.rawValue])
        json.number("adv_batches", batchesBySEC[NachaSEC.adv.rawValue])
        json.beginObject("batches_by_sec")
        for sec in NachaSEC.allCases.sorted(by: { $0.code < $1.code }) {
            json.number(sec.code, batchesBySEC[sec.rawValue])
        }
        json.endObject()
        json.string("last_batch_sec", lastSEC.code)
        json.string("file_control_layout", "file_control")   // never adv_file_control: the last batch is not ADV
        json.number("prenotes", prenotes)
        json.number("zero_dollar_entries", zeroDollar)
        json.number("returns", returns)
        json.number("notifications_of_change", notificationsOfChange)
        json.number("lines", figures.lines)
        json.number("filler_lines", figures.fillerLines)
        json.number("blocks", figures.lines / 10)
        json.number("file_bytes", figures.fileBytes)
        json.beginObject("file_control")
        json.number("batch_count", figures.batches)
        json.number("block_count", figures.lines / 10)
        json.number("entry_addenda_count", figures.control.entryAddendaCount)
        json.money("entry_hash", Int128(figures.control.entryHash))
        json.money("total_debit", Int128(figures.control.totalDebit))
        json.money("total_credit", Int128(figures.control.totalCredit))
        json.endObject()
        json.number("valid", figures.control.entries)
        json.number("rejected", 0)
        json.number("totals_rows", totalsRows)
        json.number("exit_status", 0)
        GroundTruthFiles.ledgerSummary(settled, style: figures.options.ledgerStyle, files: figures.options.ledgerFiles,
                                       into: &json)
        reconciliation.summary(into: &json)
        json.endObject()
        return json.bytes
    }

    /// Writes `totals.csv`, `rejects.csv`, `ledger_faults.csv`, `summary.json` and the
    /// reconciliation's files into `directory`.
    func write(to directory: String, figures: FileFigures, companies: NachaCompanies,
               reconciliation: ReconciliationFiles) throws(SettleError) {
        try ChunkedOutput.write(totals(reconciliation.merchants), to: directory + "/totals.csv")
        try ChunkedOutput.write(Array(GroundTruthFiles.rejectsHeader.utf8), to: directory + "/rejects.csv")
        try ChunkedOutput.write(GroundTruthFiles.ledgerFaults(settled), to: directory + "/ledger_faults.csv")
        try ChunkedOutput.write(summary(figures, companies: companies, reconciliation: reconciliation),
                                to: directory + "/summary.json")
        try reconciliation.write(to: directory)
    }
}
