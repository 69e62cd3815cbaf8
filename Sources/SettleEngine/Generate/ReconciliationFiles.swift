/// Writes the reconciliation ground truth into `expected/`: `mismatches.csv`, `reconciliation.csv`
/// and `ledger_rejects.csv` in exactly the engine's formats, and the `reconciliation` object of
/// `summary.json` (the shape of the engine's `result.reconciliation`).
struct ReconciliationFiles {
    static let mismatchesHeader = "kind,arn,merchant_id,currency,direction,settled_amount,ledger_merchant_id,"
        + "ledger_currency,ledger_direction,ledger_amount,difference,file,record_number,ledger_file,ledger_line\n"
    static let reconciliationHeader = "merchant_id,currency,settled_count,settled_gross,ledger_count,ledger_gross,"
        + "matched_count,matched_gross,mismatch_count,difference\n"
    static let ledgerRejectsHeader = "file,line,reason,field\n"

    /// A ledger row the engine must reject.
    struct LedgerReject {
        var position: LedgerOutput.Position
        var reason: LedgerRejectReason
        /// The ledger column's header name; empty for a row of too few columns.
        var field: String
    }

    let truth: ReconciliationTruth
    let ledgerFiles: [LedgerOutput.FileFacts]
    let ledgerRejects: [LedgerReject]
    let merchants: MerchantPopulation
    let currencies: CurrencyTable

    func write(to directory: String) throws(SettleError) {
        try ChunkedOutput.write(mismatches(), to: directory + "/mismatches.csv")
        try ChunkedOutput.write(reconciliation(), to: directory + "/reconciliation.csv")
        try ChunkedOutput.write(rejects(), to: directory + "/ledger_rejects.csv")
    }

    /// One row per mismatch, sorted as the engine sorts them.
    func mismatches() -> [UInt8] {
        var bytes = Array(Self.mismatchesHeader.utf8)
        for row in truth.sortedRows() {
            var fields: [String] = [row.kind.code, row.arn]
            fields += side(row.settled)
            fields += side(row.ledger?.values)
            let difference = (row.settled?.signedAmountMinor ?? 0) - (row.ledger?.values.signedAmountMinor ?? 0)
            fields.append(String(difference))
            fields.append(row.record == nil ? "" : Generator.settlementFile)
            fields.append(row.record.map { String($0.recordNumber) } ?? "")
            fields.append(row.ledger.map { LedgerOutput.fileName($0.position.file) } ?? "")
            fields.append(row.ledger.map { String($0.position.line) } ?? "")
            bytes += fields.map(Self.csvField).joined(separator: ",").utf8
            bytes.append(0x0A)
        }
        return bytes
    }

    /// merchant, currency, direction and amount of one side, or four empty fields.
    private func side(_ values: LedgerValues?) -> [String] {
        guard let values else { return ["", "", "", ""] }
        return [merchants.id(values.merchant), currencies.currencies[values.currency].key,
                values.isCredit ? "credit" : "debit", String(values.amountMinor)]
    }

    /// One row per merchant and currency with a settled record, a ledger row or a mismatch, bytewise by
    /// merchant id then currency.
    func reconciliation() -> [UInt8] {
        var bytes = Array(Self.reconciliationHeader.utf8)
        for merchant in merchants.idOrder {
            for currency in currencies.sortedOrder {
                let figures = truth.keyFigures[merchant: merchant, currency: currency]
                guard !figures.isEmpty else { continue }
                let fields = [merchants.id(merchant), currencies.currencies[currency].key]
                    + [figures.settledCount, figures.settledGross, figures.ledgerCount, figures.ledgerGross,
                       figures.matchedCount, figures.matchedGross, figures.mismatchCount,
                       figures.settledGross - figures.ledgerGross].map { String($0) }
                bytes += fields.map(Self.csvField).joined(separator: ",").utf8
                bytes.append(0x0A)
            }
        }
        return bytes
    }

    /// One row per unreadable ledger row, in file and line order.
    func rejects() -> [UInt8] {
        var bytes = Array(Self.ledgerRejectsHeader.utf8)
        for reject in ledgerRejects {
            let fields = [LedgerOutput.fileName(reject.position.file), String(reject.position.line), reject.reason.code,
                          reject.field]
            bytes += fields.map(Self.csvField).joined(separator: ",").utf8
            bytes.append(0x0A)
        }
        return bytes
    }

    /// The `reconciliation` object of `summary.json`.
    func summary(into json: inout JSONWriter) {
        json.beginObject("reconciliation")
        for (name, sum) in [("settled", truth.settled), ("ledger", truth.ledger), ("matched", truth.matched)] {
            json.beginObject(name)
            json.number("count", sum.count)
            json.money("gross", Int128(sum.grossMinor))
            json.endObject()
        }
        json.number("mismatches", truth.mismatchCount)
        json.beginObject("mismatches_by_kind")
        for kind in ReconciliationTruth.Kind.allCases {
            json.number(kind.code, truth.countsByKind[kind.rawValue])
        }
        json.endObject()
        // Rows of reconciliation.csv, as the engine's summary gives them (like `result.totals.rows`).
        json.number("rows", truth.keyFigures.count { !$0.isEmpty })
        json.beginArray("ledger_files")
        for file in ledgerFiles {
            json.beginObject()
            json.string("path", file.name)
            json.number("rows", file.rows)
            json.number("valid", file.valid)
            json.number("rejected", file.rejected)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    /// A CSV field, quoted only if it holds a comma, a quote, CR or LF (as the engine writes them).
    static func csvField(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" { quoted.append("\"") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
