import SettleEngine

/// `settle generate`: writes a deterministic settlement file in a layout, the matching ledger, and
/// the ground truth the engine must reproduce (`expected/`), all from one seed.
///
/// The ground truth comes from the transactions held in memory, never from reading the file back, and
/// the records are written from the `LayoutSpec` without the engine's decoding code: generator and
/// engine check each other.
package enum Generator {
    /// The settlement file, ledger and ground-truth files, relative to the output directory.
    package static let settlementFile = "settlement.dat"
    package static let ledgerFile = "ledger.csv"
    package static let expectedDirectory = "expected"

    /// Bytes of a detail record kept in the partial record written after the trailer.
    static let partialRecordBytes = 40

    package static func run(_ options: GeneratorOptions) throws(SettleError) -> GenerationReport {
        let layout = try GeneratorLayout(options.layout)
        var setup = GeneratorRandom(seed: options.seed, stream: .setup)
        let currencySpec = layout.currencySpec
        let currencies = try CurrencyTable(fieldType: currencySpec.type, length: currencySpec.position.length,
                                           values: currencySpec.acceptedCodes, fieldName: currencySpec.name)
        let merchantSpec = layout.merchantSpec
        let merchants = try MerchantPopulation(count: options.merchants, fieldType: merchantSpec.type,
                                               fieldLength: merchantSpec.position.length, fieldName: merchantSpec.name,
                                               currencies: currencies, random: &setup)
        // A file date within 2024-2025, chosen by the seed.
        let firstDay = CalendarDate(year: 2024, month: 1, day: 1).daysSinceEpoch
        let fileDate = CalendarDate(daysSinceEpoch: firstDay + Int(options.seed % 731))
        let content = FieldContent(layout: layout, fileDate: fileDate, random: &setup)
        // ARN sequences: one per transaction from a seed-chosen base; never-settled ledger rows take
        // sequences past `records`, so every ARN is unique.
        let arnBase = setup.below(10_000_000_000)

        var formatter = RecordFormatter(layout: layout, content: content, merchants: merchants,
                                        currencies: currencies, seed: options.seed)
        let amountDigits = layout.amountField.length
        // Without a fee field every fee is 0 (a 0-digit field holds nothing else).
        let feeDigits = layout.feeLength ?? 0
        var source = TransactionSource(seed: options.seed, stream: .transactions, merchants: merchants,
                                       currencies: currencies, amountDigits: amountDigits, feeDigits: feeDigits)
        var neverSettledSource = TransactionSource(seed: options.seed, stream: .neverSettled, merchants: merchants,
                                                   currencies: currencies, amountDigits: amountDigits, feeDigits: feeDigits)
        var faults = FaultPlan(seed: options.seed, rate: options.faultRate, layoutHasDate: layout.firstDateField != nil)
        let merchantIDs = MerchantIDs(merchants)
        var truth = GroundTruth(merchants: merchantIDs, currencyCount: currencies.count)
        // Messy ledgers lose the leading zeros of references: give a share of them some, in both files.
        var leadingZeros = options.ledgerStyle == .plain ? nil : GeneratorRandom(seed: options.seed, stream: .references)

        let directory = options.outputDirectory
        try ChunkedOutput.makeDirectories(directory + "/" + expectedDirectory)
        var settlement = ChunkedOutput(path: directory + "/" + settlementFile)
        var ledger = try LedgerGenerator(options.ledgerSettings, content: LedgerContent(content), merchants: merchantIDs,
                                         currencies: currencies)

        var recordNumber = 0
        if let header = layout.header {
            try settlement.append(formatter.header(header))
            recordNumber += 1
        }
        var transactionIndex: UInt64 = 0
        var neverSettledIndex: UInt64 = 0
        while truth.records < options.records {
            try ledger.startTransaction(recordsWritten: truth.records)
            var transaction = source.next(sequence: arnBase + transactionIndex)
            transactionIndex += 1
            if leadingZeros != nil { transaction.referenceLeadingZeros = Self.drawLeadingZeros(&leadingZeros!) }
            formatter.formatDetail(transaction)
            var fault = faults.recordFault()
            if fault == .duplicate && truth.records + 2 > options.records { fault = nil }

            recordNumber += 1
            let rejected = fault?.rejectReason != nil
            let record = ReconciliationTruth.SettledRecord(recordNumber: recordNumber, byteOffset: settlement.sizeBytes,
                                                           isValid: !rejected)
            if let fault, let reason = fault.rejectReason {
                let field = formatter.corrupt(fault, plan: &faults)
                truth.addReject(.init(recordNumber: recordNumber, byteOffset: record.byteOffset, reason: reason, field: field))
            } else {
                truth.addValid(transaction)
            }
            truth.countWritten(transaction, isDuplicate: false)
            try settlement.append(formatter.record)
            var duplicate: ReconciliationTruth.SettledRecord?
            if fault == .duplicate {
                recordNumber += 1
                duplicate = .init(recordNumber: recordNumber, byteOffset: settlement.sizeBytes, isValid: true)
                truth.addValid(transaction)
                truth.countWritten(transaction, isDuplicate: true)
                try settlement.append(formatter.record)
            }

            // The ledger: one row per transaction, unless a fault removes, changes, doubles or spoils it.
            try ledger.add(transaction, recordFault: fault, record: record, duplicate: duplicate,
                           isLast: truth.records >= options.records, faults: &faults, truth: &truth)
            if faults.neverSettledRow() {
                var unsettled = neverSettledSource.next(sequence: arnBase + UInt64(options.records) + neverSettledIndex)
                neverSettledIndex += 1
                if leadingZeros != nil { unsettled.referenceLeadingZeros = Self.drawLeadingZeros(&leadingZeros!) }
                try ledger.addNeverSettled(unsettled, truth: &truth)
            }
            try ledger.writeDueCopies(truth: &truth)
        }

        if let trailer = layout.trailer {
            try settlement.append(formatter.trailer(trailer, count: truth.records, debit: truth.controlDebit,
                                                    credit: truth.controlCredit, fee: truth.controlFee))
            recordNumber += 1
        }
        var tombstone: ReconciliationTruth.SettledRecord?
        if faults.isActive {
            // A partial record: the start of the last detail record, then the terminator (if any). If
            // it still holds the record type and the whole reference, the engine counts it as a
            // rejected record of the last transaction's reference.
            let kept = max(1, min(partialRecordBytes, layout.recordLength - 1))
            recordNumber += 1
            let byteOffset = settlement.sizeBytes
            truth.addReject(.init(recordNumber: recordNumber, byteOffset: byteOffset, reason: .shortRecord, field: ""))
            try settlement.append(Array(formatter.record[0..<kept]) + layout.terminator)
            if layout.recordTypeEnd <= kept, let reference = layout.referenceField, reference.offset + reference.length <= kept {
                tombstone = .init(recordNumber: recordNumber, byteOffset: byteOffset, isValid: false)
            }
        }
        let settlementBytes = settlement.sizeBytes
        try settlement.commit()
        let reconciliation = try ledger.finish(tombstone: tombstone, truth: &truth, settlementFile: settlementFile,
                                               merchants: merchantIDs, currencies: currencies)

        let expected = GroundTruthFiles(truth: truth, reconciliation: reconciliation, merchants: merchants,
                                        currencies: currencies, options: options, layoutName: layout.name)
        try expected.write(to: directory + "/" + expectedDirectory)
        try reconciliation.write(to: directory + "/" + expectedDirectory)
        return GenerationReport(records: truth.records, transactions: truth.transactions, valid: truth.validRecords,
                                rejected: truth.rejects.count, duplicates: truth.duplicates,
                                ledgerRows: truth.ledgerRows, ledgerRejected: reconciliation.ledgerRejects.count,
                                mismatches: reconciliation.truth.mismatchCount, settlementBytes: settlementBytes,
                                outputDirectory: directory)
    }

    /// In a messy ledger, one reference in eight starts with one to three zeros.
    private static func drawLeadingZeros(_ random: inout GeneratorRandom) -> Int {
        random.index(8) == 0 ? 1 + random.index(3) : 0
    }
}

/// What a generator run wrote, for the CLI's summary line.
package struct GenerationReport: Sendable, Equatable {
    /// Detail records written, duplicates and rejected ones included.
    package var records: Int
    /// Distinct transactions among them.
    package var transactions: Int
    package var valid: Int
    /// Rows of `expected/rejects.csv` (the partial record after the trailer included).
    package var rejected: Int
    package var duplicates: Int
    package var ledgerRows: Int
    /// Ledger rows the engine must reject.
    package var ledgerRejected: Int
    /// Rows of `expected/mismatches.csv`.
    package var mismatches: Int
    package var settlementBytes: Int
    package var outputDirectory: String
}
