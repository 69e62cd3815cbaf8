import SettleEngine

/// The ledger side of a generator run: for each transaction, the ledger rows it gets (one, none, a
/// different one, two, an unreadable one) in the chosen style and over the ledger files, and the
/// reconciliation ground truth of its reference. Used for flat layouts (`Generator`) and NACHA files
/// (`NachaLedger`) alike: only the references (`LedgerContent`) and merchant ids (`MerchantIDs`) differ.
///
/// A transaction with a valid record and one correct row (nearly all of them) costs one formatted row
/// and one table update; the others are collected as a `ReferenceCase` and resolved once all their
/// occurrences are written: at once, when a delayed ledger copy is written, or (the last transaction,
/// whose reference the partial record after the trailer may repeat) at the end.
struct LedgerGenerator: ~Copyable {
    /// A ledger row's copy waiting to be written a few transactions later.
    private struct PendingCopy {
        /// Written once this many transactions have been added.
        var due: Int
        /// Order of creation, so copies due together are written in the order they were made.
        var sequence: Int
        var transaction: Transaction
        var values: LedgerValues
        var reference: ReconciliationTruth.ReferenceCase
    }

    /// What the run asks of its ledger.
    struct Settings {
        var style: LedgerStyle
        /// Ledger files the rows are dealt over.
        var fileCount: Int
        /// Detail records (or NACHA entries) the settlement file gets.
        var records: Int
        var seed: UInt64
        var directory: String
    }

    let style: LedgerStyle
    private let content: LedgerContent
    private let records: Int
    private let currencyCount: Int
    private let merchantCount: Int
    /// Furthest a ledger copy is delayed, in transactions.
    private let farDelay: Int
    private var output: LedgerOutput
    private var plainRow: LedgerRow
    private var messyRow: MessyLedgerRow?
    private var reconciliation: ReconciliationTruth
    private var rejects: [ReconciliationFiles.LedgerReject] = []
    private var pendingCopies: [PendingCopy] = []
    private var copiesMade = 0
    private var transactionsAdded = 0
    private var rowsWritten = 0
    private var lastCase: ReconciliationTruth.ReferenceCase?

    /// Starts the ledger files; writes `ledger-spec.yaml` for a messy or signed ledger (and removes
    /// one left by an earlier run of the plain style), and removes the ledger files of an earlier run
    /// into the same directory that had more of them (they would be taken for ours).
    init(_ settings: Settings, content: LedgerContent, merchants: MerchantIDs, currencies: CurrencyTable) throws(SettleError) {
        style = settings.style
        self.content = content
        records = settings.records
        currencyCount = currencies.count
        merchantCount = merchants.count
        // Independent of the number of ledger files, so that they only deal the same rows differently.
        farDelay = min(max(settings.records / 4, 8), 10_000)
        plainRow = LedgerRow(content: content, merchants: merchants, currencies: currencies)
        let header: [UInt8]
        if style == .plain {
            header = Array(LedgerRow.header.utf8)
        } else {
            let row = MessyLedgerRow(signed: style == .signed, content: content, merchants: merchants,
                                     currencies: currencies, seed: settings.seed)
            header = MessyLedgerRow.byteOrderMark + row.header
            messyRow = row
        }
        reconciliation = ReconciliationTruth(merchants: merchants, currencyCount: currencies.count)

        let specPath = settings.directory + "/" + LedgerSpecFile.fileName
        if style.needsSpec {
            try ChunkedOutput.write(Array(LedgerSpecFile.text(style: style).utf8), to: specPath)
        } else {
            FileIO.unlink(specPath)
        }
        var staleIndex = settings.fileCount
        while FileIO.exists(settings.directory + "/" + LedgerOutput.fileName(staleIndex)) {
            FileIO.unlink(settings.directory + "/" + LedgerOutput.fileName(staleIndex))
            staleIndex += 1
        }
        output = try LedgerOutput(directory: settings.directory, fileCount: settings.fileCount, header: header)
    }

    /// Moves to the ledger file of the transaction after `recordsWritten` detail records: file `k`
    /// takes the transactions that start in the `k`-th of `fileCount` equal shares of the records.
    mutating func startTransaction(recordsWritten: Int) throws(SettleError) {
        try output.advance(to: recordsWritten * output.fileCount / records)
    }

    /// Writes the ledger rows of `transaction`, whose settlement record is `record` (and its copy
    /// `duplicate`), and notes what the engine must find for its reference.
    mutating func add(_ transaction: Transaction, recordFault: RecordFault?, record: ReconciliationTruth.SettledRecord,
                      duplicate: ReconciliationTruth.SettledRecord?, isLast: Bool, faults: inout FaultPlan,
                      truth: inout GroundTruth) throws(SettleError) {
        transactionsAdded += 1
        let correct = LedgerValues(transaction)
        var fault: LedgerFault?
        var unreadable: LedgerRejectReason?
        if recordFault == nil {
            fault = faults.ledgerFault()
            if fault == .unreadableRow { unreadable = faults.unreadableReason(hasDirection: style != .signed) }
            fault = possible(fault)
        } else if recordFault == .duplicate {
            fault = faults.duplicatedRecordLedgerFault()
        }
        if fault == nil && recordFault == nil && !isLast {
            _ = try write(transaction, correct)
            truth.countLedgerRow(recordRejected: false)
            return
        }

        var reference = ReconciliationTruth.ReferenceCase(reference: content.reference(of: transaction), settledValues: correct)
        reference.records.append(record)
        if let duplicate { reference.records.append(duplicate) }
        var shown = correct
        var copy: LedgerValues?
        switch fault {
        case nil, .neverSettled?:
            break
        case .amountDifference?:
            shown.amountMinor = faults.differentAmount(correct.amountMinor)
        case .currencyDifference?:
            shown.currency = faults.other(correct.currency, count: currencyCount)
            if faults.coin() { shown.amountMinor = faults.differentAmount(correct.amountMinor) }
        case .merchantDifference?:
            shown.merchant = faults.other(correct.merchant, count: merchantCount)
            if faults.coin() { shown.isCredit.toggle() }
        case .directionDifference?:
            shown.isCredit.toggle()
        case .duplicateRow?:
            copy = correct
        case .duplicateWithDifference?:
            shown.amountMinor = faults.differentAmount(correct.amountMinor)
            copy = correct
        case .missingInLedger?, .unreadableRow?:
            break
        }
        if let fault {
            let ledgerAmount: Int64? = fault == .missingInLedger || fault == .unreadableRow ? nil : shown.amountMinor
            truth.addLedgerDifference(.init(arn: reference.reference, fault: fault, settledAmountMinor: correct.amountMinor,
                                            ledgerAmountMinor: ledgerAmount))
        }
        switch fault {
        case .missingInLedger?:
            break
        case .unreadableRow?:
            _ = try write(transaction, shown, reject: unreadable)
            truth.countLedgerRow(recordRejected: false)
        default:
            try addRow(transaction, shown, to: &reference, recordRejected: !record.isValid, truth: &truth)
        }
        if let copy {
            let delay = isLast ? 0 : faults.copyDelay(far: farDelay)
            if delay > 0 {
                let pending = PendingCopy(due: transactionsAdded + delay, sequence: copiesMade, transaction: transaction,
                                          values: copy, reference: reference)
                copiesMade += 1
                // Kept in descending (due, sequence) order: the next copy to write is the last.
                let index = pendingCopies.firstIndex { ($0.due, $0.sequence) < (pending.due, pending.sequence) } ?? pendingCopies.count
                pendingCopies.insert(pending, at: index)
                return
            }
            try addRow(transaction, copy, to: &reference, recordRejected: false, truth: &truth)
        }
        if isLast {
            lastCase = reference
        } else {
            reconciliation.resolve(reference)
        }
    }

    /// A ledger row for a transaction that was never settled (`missing_in_settlement`).
    mutating func addNeverSettled(_ unsettled: Transaction, truth: inout GroundTruth) throws(SettleError) {
        let values = LedgerValues(unsettled)
        var reference = ReconciliationTruth.ReferenceCase(reference: content.reference(of: unsettled), settledValues: values)
        try addRow(unsettled, values, to: &reference, recordRejected: false, truth: &truth)
        truth.addLedgerDifference(.init(arn: reference.reference, fault: .neverSettled, settledAmountMinor: nil,
                                        ledgerAmountMinor: values.amountMinor))
        reconciliation.resolve(reference)
    }

    /// Writes the delayed copies that are due after the current transaction.
    mutating func writeDueCopies(truth: inout GroundTruth) throws(SettleError) {
        try writeCopies(through: transactionsAdded, truth: &truth)
    }

    /// Writes the copies still waiting, resolves the last transaction's reference (with the partial
    /// record after the trailer if that record still shows it), publishes the ledger files and returns
    /// the reconciliation ground truth of the settlement file named `settlementFile`.
    consuming func finish(tombstone: ReconciliationTruth.SettledRecord?, truth: inout GroundTruth, settlementFile: String,
                          merchants: MerchantIDs, currencies: CurrencyTable) throws(SettleError) -> ReconciliationFiles {
        try writeCopies(through: Int.max, truth: &truth)
        if var last = lastCase {
            if let tombstone { last.records.append(tombstone) }
            reconciliation.resolve(last)
        }
        let files = try output.finish()
        return ReconciliationFiles(truth: reconciliation, settled: truth, settlementFile: settlementFile, ledgerFiles: files,
                                   ledgerRejects: rejects, merchants: merchants, currencies: currencies)
    }

    private mutating func writeCopies(through transactions: Int, truth: inout GroundTruth) throws(SettleError) {
        while let next = pendingCopies.last, next.due <= transactions {
            var pending = pendingCopies.removeLast()
            try addRow(pending.transaction, pending.values, to: &pending.reference, recordRejected: false, truth: &truth)
            reconciliation.resolve(pending.reference)
        }
    }

    /// The fault, unless this run cannot show it: another currency or merchant needs two, an
    /// unreadable row a messy or signed ledger.
    private func possible(_ fault: LedgerFault?) -> LedgerFault? {
        switch fault {
        case .currencyDifference? where currencyCount < 2: nil
        case .merchantDifference? where merchantCount < 2: nil
        case .unreadableRow? where style == .plain: nil
        default: fault
        }
    }

    private mutating func addRow(_ transaction: Transaction, _ values: LedgerValues,
                                 to reference: inout ReconciliationTruth.ReferenceCase, recordRejected: Bool,
                                 truth: inout GroundTruth) throws(SettleError) {
        let position = try write(transaction, values)
        reference.ledgerRows.append(.init(values: values, position: position))
        truth.countLedgerRow(recordRejected: recordRejected)
    }

    /// Formats and appends one row in the ledger's style; an unreadable one (`reject`) is noted as a
    /// ledger reject.
    private mutating func write(_ transaction: Transaction, _ values: LedgerValues,
                                reject: LedgerRejectReason? = nil) throws(SettleError) -> LedgerOutput.Position {
        rowsWritten += 1
        guard messyRow != nil else {
            plainRow.format(transaction, values)
            return try output.append(plainRow.bytes, lineBreaks: 0, valid: true)
        }
        messyRow!.format(transaction, values, postingID: rowsWritten, reject: reject)
        let position = try output.append(messyRow!.bytes, lineBreaks: messyRow!.embeddedLineBreaks, valid: reject == nil)
        if let reject {
            rejects.append(.init(position: position, reason: reject, field: MessyLedgerRow.fieldName(reject)))
        }
        return position
    }
}
