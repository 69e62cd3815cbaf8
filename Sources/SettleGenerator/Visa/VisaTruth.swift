import SettleEngine

/// What `settle aggregate --layout visa-ctf` must report beyond the totals: rejects.csv's rows
/// (`record_number,byte_offset,reason,field`, in file order) and the checks that must fail
/// (`scope,group,name`: a trailer figure the generator broke on purpose).
struct VisaTruth {
    var rejects: [String] = []
    var failedChecks: [String] = []
}

extension VisaWriter {
    /// Publishes the file, the ledger and the ground truth.
    mutating func finish() throws(SettleError) -> VisaGenerationReport {
        let fileBytes = bytesWritten
        try output.take()!.commit()
        let reconciliation = try ledger.take()!.finish(tombstone: nil, truth: &truth, settlementFile: VisaGenerator.fileName,
                                               merchants: merchants, currencies: currencies)
        let directory = options.outputDirectory + "/" + Generator.expectedDirectory
        try ChunkedOutput.write(totals(), to: directory + "/totals.csv")
        try ChunkedOutput.write(Array(("record_number,byte_offset,reason,field\n" + expected.rejects.map { $0 + "\n" }.joined()).utf8),
                                to: directory + "/rejects.csv")
        try ChunkedOutput.write(Array(("scope,group,name\n" + expected.failedChecks.map { $0 + "\n" }.joined()).utf8),
                                to: directory + "/failed_checks.csv")
        try ChunkedOutput.write(GroundTruthFiles.ledgerFaults(truth), to: directory + "/ledger_faults.csv")
        try ChunkedOutput.write(summary(reconciliation, fileBytes: fileBytes), to: directory + "/summary.json")
        try reconciliation.write(to: directory)
        return VisaGenerationReport(transactions: options.transactions, records: recordNumber, batches: batches,
                                    rejected: expected.rejects.count, fileBytes: fileBytes, ledgerRows: truth.ledgerRows,
                                    mismatches: reconciliation.truth.mismatchCount)
    }

    /// `totals.csv` as the engine writes it: bytewise by merchant, then currency; amounts in millionths.
    func totals() -> [UInt8] {
        var bytes = Array(GroundTruthFiles.totalsHeader.utf8)
        for merchant in merchants.order {
            for currency in currencies.sortedOrder {
                guard let sums = truth.totals(merchant: merchant, currency: currency) else { continue }
                let net = sums.debitAmount - sums.creditAmount - sums.feeAmount
                bytes += merchants.csvField(merchant)
                bytes += Array(",\(currencies.currencies[currency].key),\(sums.debitCount),\(sums.debitAmount),".utf8)
                bytes += Array("\(sums.creditCount),\(sums.creditAmount),\(sums.feeAmount),\(net)\n".utf8)
            }
        }
        return bytes
    }

    func summary(_ reconciliation: ReconciliationFiles, fileBytes: Int) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("layout", "visa-ctf")
        json.string("file", VisaGenerator.fileName)
        json.string("encoding", options.codePage.rawValue)
        json.string("line_end", options.lineEnd.rawValue)
        json.number("seed", Int(options.seed))
        json.number("transactions", options.transactions)
        json.number("drafts", drafts)
        json.number("records", recordNumber)
        json.number("batches", batches)
        json.number("file_bytes", fileBytes)
        json.number("rejected", expected.rejects.count)
        json.number("checks_failed", expected.failedChecks.count)
        json.number("totals_rows", truth.keyCount)
        json.number("amount_scale", 6)
        GroundTruthFiles.ledgerSummary(truth, style: options.ledgerStyle, files: options.ledgerFiles, into: &json)
        reconciliation.summary(into: &json)
        json.endObject()
        return json.bytes
    }
}
