/// What `settle aggregate --layout nacha` must find in a generated NACHA file, summed from the
/// entries as the generator means them (never by reading the file back): per-merchant totals, and
/// the file's figures for `expected/summary.json`. Writes `expected/totals.csv`, `expected/summary.json`
/// and an `expected/rejects.csv` with no rows (the file has no invalid record).
struct NachaGroundTruth {
    /// Per merchant (company index): entries by direction and their amounts in cents.
    private var debitCount: [Int64]
    private var debitAmount: [Int64]
    private var creditCount: [Int64]
    private var creditAmount: [Int64]

    /// Batches per SEC code (`NachaSEC.rawValue`).
    private(set) var batchesBySEC = [Int](repeating: 0, count: NachaSEC.allCases.count)
    private(set) var prenotes = 0
    private(set) var zeroDollar = 0
    private(set) var returns = 0
    private(set) var notificationsOfChange = 0
    private(set) var lastSEC = NachaSEC.ppd

    init(merchants: Int) {
        debitCount = [Int64](repeating: 0, count: merchants)
        debitAmount = debitCount
        creditCount = debitCount
        creditAmount = debitCount
    }

    mutating func addBatch(_ sec: NachaSEC) {
        batchesBySEC[sec.rawValue] += 1
        lastSEC = sec
    }

    /// Adds an entry of `merchant`. Prenotes and zero-dollar entries count, with amount 0.
    mutating func addEntry(_ plan: NachaEntryPlan, merchant: Int) {
        if plan.isCredit {
            creditCount[merchant] += 1
            creditAmount[merchant] += plan.amountMinor
        } else {
            debitCount[merchant] += 1
            debitAmount[merchant] += plan.amountMinor
        }
        switch plan.transactionCode % 10 {
        case 3, 8: prenotes += 1
        case 4, 9: zeroDollar += 1
        case 1, 6:
            if case .change = plan.addenda { notificationsOfChange += 1 } else { returns += 1 }
        default: break
        }
    }

    /// Merchants with at least one entry.
    var totalsRows: Int { debitCount.indices.count { debitCount[$0] + creditCount[$0] > 0 } }

    /// `totals.csv` as the engine writes it: one row per merchant with an entry, bytewise by key,
    /// currency USD, fee 0, net = debit - credit - fee; a key holding a comma or quote is quoted.
    func totals(_ companies: NachaCompanies) -> [UInt8] {
        var bytes = Array(GroundTruthFiles.totalsHeader.utf8)
        for merchant in companies.keyOrder where debitCount[merchant] + creditCount[merchant] > 0 {
            Self.appendCSVField(companies.companies[merchant].key, to: &bytes)
            bytes += Array(",USD,".utf8)
            let net = debitAmount[merchant] - creditAmount[merchant]
            bytes += Array("\(debitCount[merchant]),\(debitAmount[merchant]),\(creditCount[merchant]),".utf8)
            bytes += Array("\(creditAmount[merchant]),0,\(net)\n".utf8)
        }
        return bytes
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line end; quotes doubled.
    private static func appendCSVField(_ field: [UInt8], to bytes: inout [UInt8]) {
        let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), 0x0A, 0x0D]
        guard field.contains(where: special.contains) else {
            bytes += field
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in field {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
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

    func summary(_ figures: FileFigures, companies: NachaCompanies) -> [UInt8] {
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
        json.endObject()
        return json.bytes
    }

    func write(to directory: String, figures: FileFigures, companies: NachaCompanies) throws(SettleError) {
        try ChunkedOutput.write(totals(companies), to: directory + "/totals.csv")
        try ChunkedOutput.write(Array(GroundTruthFiles.rejectsHeader.utf8), to: directory + "/rejects.csv")
        try ChunkedOutput.write(summary(figures, companies: companies), to: directory + "/summary.json")
    }
}
