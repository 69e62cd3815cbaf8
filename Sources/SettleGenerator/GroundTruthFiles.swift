import SettleEngine

/// Writes the ground truth of a generated file into `expected/`: `totals.csv`, `rejects.csv`,
/// `ledger_faults.csv` and `summary.json`, in the formats the engine's outputs are compared with.
struct GroundTruthFiles {
    static let totalsHeader = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n"
    static let rejectsHeader = "record_number,byte_offset,reason,field\n"
    static let ledgerFaultsHeader = "arn,fault,settled_amount,ledger_amount\n"

    let truth: GroundTruth
    let reconciliation: ReconciliationFiles
    let merchants: MerchantPopulation
    let currencies: CurrencyTable
    let options: GeneratorOptions
    let layoutName: String

    func write(to directory: String) throws(SettleError) {
        try ChunkedOutput.write(totals(), to: directory + "/totals.csv")
        try ChunkedOutput.write(rejects(), to: directory + "/rejects.csv")
        try ChunkedOutput.write(Self.ledgerFaults(truth), to: directory + "/ledger_faults.csv")
        try ChunkedOutput.write(summary(), to: directory + "/summary.json")
    }

    /// One row per merchant and currency with a valid record, bytewise by merchant id then currency.
    func totals() -> [UInt8] {
        var bytes = Array(Self.totalsHeader.utf8)
        for merchant in merchants.idOrder {
            for currency in currencies.sortedOrder {
                guard let sums = truth.totals(merchant: merchant, currency: currency) else { continue }
                let net = sums.debitAmount - sums.creditAmount - sums.feeAmount
                var row = "\(merchants.id(merchant)),\(currencies.currencies[currency].key),"
                row += "\(sums.debitCount),\(sums.debitAmount),\(sums.creditCount),\(sums.creditAmount),"
                row += "\(sums.feeAmount),\(net)\n"
                bytes += row.utf8
            }
        }
        return bytes
    }

    /// One row per rejected record, in file order.
    func rejects() -> [UInt8] {
        var bytes = Array(Self.rejectsHeader.utf8)
        for reject in truth.rejects {
            bytes += "\(reject.recordNumber),\(reject.byteOffset),\(reject.reason.code),\(reject.field)\n".utf8
        }
        return bytes
    }

    /// One row per ledger difference, in ledger order; an amount is empty where there is no row.
    static func ledgerFaults(_ truth: GroundTruth) -> [UInt8] {
        var bytes = Array(Self.ledgerFaultsHeader.utf8)
        for difference in truth.ledgerDifferences {
            let settled = difference.settledAmountMinor.map { "\($0)" } ?? ""
            let ledger = difference.ledgerAmountMinor.map { "\($0)" } ?? ""
            bytes += "\(difference.arn),\(difference.fault.code),\(settled),\(ledger)\n".utf8
        }
        return bytes
    }

    /// The run's figures; money as strings of digits, so no JSON reader rounds it.
    func summary() -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("layout", layoutName)
        json.number("seed", Int(options.seed))  // at most Int64.max, checked by the options
        json.number("faults", options.faultRate, decimals: Self.decimals(options.faultRate))
        json.number("merchants", options.merchants)
        json.number("records", truth.records)
        json.number("transactions", truth.transactions)
        json.number("valid", truth.validRecords)
        json.number("rejected", truth.rejects.count)
        json.beginObject("rejected_by_reason")
        for reason in ExpectedReject.allCases {
            json.number(reason.code, truth.rejectCount(reason))
        }
        json.endObject()
        json.number("duplicates", truth.duplicates)
        json.number("totals_rows", truth.keyCount)
        json.number("control_count", truth.records)
        json.money("control_debit", Int128(truth.controlDebit))
        json.money("control_credit", Int128(truth.controlCredit))
        json.money("control_fee", Int128(truth.controlFee))
        json.money("valid_debit", Int128(truth.validDebit))
        json.money("valid_credit", Int128(truth.validCredit))
        json.money("valid_fee", Int128(truth.validFee))
        Self.ledgerSummary(truth, style: options.ledgerStyle, files: options.ledgerFiles, into: &json)
        reconciliation.summary(into: &json)
        json.endObject()
        return json.bytes
    }

    /// The `ledger` object of `summary.json`: rows written and the differences by fault.
    static func ledgerSummary(_ truth: GroundTruth, style: LedgerStyle, files: Int, into json: inout JSONWriter) {
        json.beginObject("ledger")
        json.number("rows", truth.ledgerRows)
        json.number("amount_differences", truth.ledgerCount(.amountDifference))
        json.number("missing_in_ledger", truth.ledgerCount(.missingInLedger))
        json.number("never_settled", truth.ledgerCount(.neverSettled))
        json.number("rows_with_rejected_record", truth.ledgerRowsWithRejectedRecord)
        json.number("currency_differences", truth.ledgerCount(.currencyDifference))
        json.number("merchant_differences", truth.ledgerCount(.merchantDifference))
        json.number("direction_differences", truth.ledgerCount(.directionDifference))
        json.number("duplicate_rows", truth.ledgerCount(.duplicateRow))
        json.number("duplicates_with_difference", truth.ledgerCount(.duplicateWithDifference))
        json.number("unreadable_rows", truth.ledgerCount(.unreadableRow))
        json.string("style", style.rawValue)
        json.number("files", files)
        json.endObject()
    }

    /// The fewest decimals (at most 9) that show `value` exactly as given, such as 2 for 0.01.
    static func decimals(_ value: Double) -> Int {
        var scale = 1.0
        for decimals in 0..<9 {
            if (value * scale).rounded() / scale == value { return decimals }
            scale *= 10
        }
        return 9
    }
}
