import SettleEngine

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
    /// The settlement side's ground truth: the settled figures of every merchant and currency.
    let settled: GroundTruth
    /// The settlement file's name, as `mismatches.csv` names it (the engine's command line names it so).
    let settlementFile: String
    let ledgerFiles: [LedgerOutput.FileFacts]
    let ledgerRejects: [LedgerReject]
    let merchants: MerchantIDs
    let currencies: CurrencyTable

    func write(to directory: String) throws(SettleError) {
        try ChunkedOutput.write(mismatches(), to: directory + "/mismatches.csv")
        try ChunkedOutput.write(reconciliation(), to: directory + "/reconciliation.csv")
        try ChunkedOutput.write(rejects(), to: directory + "/ledger_rejects.csv")
    }

    /// One row per mismatch, sorted as the engine sorts them. Written straight into bytes: merchant
    /// ids are CSV fields already and references digits (never quoted); currencies are quoted once.
    func mismatches() -> [UInt8] {
        var bytes = Array(Self.mismatchesHeader.utf8)
        let currencyFields = currencies.currencies.map { Array(Self.csvField($0.key).utf8) }
        let kinds = MismatchKind.allCases.map { Array($0.code.utf8) }
        let ledgerFiles = self.ledgerFiles.map { Array(Self.csvField($0.name).utf8) }
        let settlementFile = Array(Self.csvField(self.settlementFile).utf8)
        let credit = Array(",credit,".utf8)
        let debit = Array(",debit,".utf8)
        func side(_ values: LedgerValues?) {
            guard let values else {
                bytes += [0x2C, 0x2C, 0x2C, 0x2C]
                return
            }
            bytes.append(0x2C)
            bytes += merchants.csvField(values.merchant)
            bytes.append(0x2C)
            bytes += currencyFields[values.currency]
            bytes += values.isCredit ? credit : debit
            DecimalDigits.append(values.amountMinor, to: &bytes)
        }
        for row in truth.sortedRows() {
            bytes += kinds[row.kind.rawValue]
            bytes.append(0x2C)
            bytes += row.arn.utf8
            side(row.settled)
            side(row.ledger?.values)
            bytes.append(0x2C)
            let difference = (row.settled?.signedAmountMinor ?? 0) - (row.ledger?.values.signedAmountMinor ?? 0)
            if difference < 0 { bytes.append(0x2D) }
            DecimalDigits.append(difference.magnitude, to: &bytes)
            bytes.append(0x2C)
            if let record = row.record {
                bytes += settlementFile
                bytes.append(0x2C)
                DecimalDigits.append(UInt64(record.recordNumber), to: &bytes)
            } else {
                bytes.append(0x2C)
            }
            bytes.append(0x2C)
            if let ledger = row.ledger {
                bytes += ledgerFiles[ledger.position.file]
                bytes.append(0x2C)
                DecimalDigits.append(UInt64(ledger.position.line), to: &bytes)
            } else {
                bytes.append(0x2C)
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    /// One row per merchant and currency with a settled record, a ledger row or a mismatch, bytewise by
    /// merchant id then currency.
    func reconciliation() -> [UInt8] {
        var bytes = Array(Self.reconciliationHeader.utf8)
        for merchant in merchants.order {
            for currency in currencies.sortedOrder {
                let figures = self.figures(merchant: merchant, currency: currency)
                guard !figures.isEmpty else { continue }
                let fields = [currencies.currencies[currency].key]
                    + [figures.settledCount, figures.settledGross, figures.ledgerCount, figures.ledgerGross,
                       figures.matchedCount, figures.matchedGross, figures.mismatchCount,
                       figures.settledGross - figures.ledgerGross].map { String($0) }
                bytes += merchants.csvField(merchant)
                bytes.append(0x2C)
                bytes += fields.map(Self.csvField).joined(separator: ",").utf8
                bytes.append(0x0A)
            }
        }
        return bytes
    }

    private func figures(merchant: Int, currency: Int) -> ReconciliationTruth.KeyFigures {
        var sum = ReconciliationTruth.Sum()
        if let totals = settled.totals(merchant: merchant, currency: currency) {
            sum = .init(count: Int(totals.debitCount + totals.creditCount), grossMinor: totals.debitAmount - totals.creditAmount)
        }
        return truth.figures(merchant: merchant, currency: currency, settled: sum)
    }

    /// Rows of `reconciliation.csv`.
    private var rowCount: Int {
        var count = 0
        for merchant in 0..<merchants.count {
            for currency in 0..<currencies.count where !figures(merchant: merchant, currency: currency).isEmpty {
                count += 1
            }
        }
        return count
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
        let totals = truth.totals(settled: .init(count: settled.validRecords, grossMinor: settled.validDebit - settled.validCredit))
        for (name, sum) in [("settled", totals.settled), ("ledger", totals.ledger), ("matched", totals.matched)] {
            json.beginObject(name)
            json.number("count", sum.count)
            json.money("gross", Int128(sum.grossMinor))
            json.endObject()
        }
        json.number("mismatches", truth.mismatchCount)
        json.beginObject("mismatches_by_kind")
        for kind in MismatchKind.allCases {
            json.number(kind.code, truth.countsByKind[kind.rawValue])
        }
        json.endObject()
        // Rows of reconciliation.csv, as the engine's summary gives them (like `result.totals.rows`).
        json.number("rows", rowCount)
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
        var bytes: [UInt8] = []
        appendCSVField(value.utf8, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 4180, the generator's own writer (the ground truth does not use the engine's): quoted when
    /// it holds a comma, a quote, CR or LF; quotes doubled.
    static func appendCSVField(_ field: some Collection<UInt8>, to bytes: inout [UInt8]) {
        guard field.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else {
            bytes += field
            return
        }
        bytes.append(0x22)
        for byte in field {
            if byte == 0x22 { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(0x22)
    }
}
