/// `settle generate`: writes a deterministic settlement file in a layout, the matching ledger, and
/// the ground truth the engine must reproduce (`expected/`), all from one seed.
///
/// The ground truth comes from the transactions held in memory, never from reading the file back, and
/// the records are written from the `LayoutSpec` without the engine's decoding code: generator and
/// engine check each other.
public enum Generator {
    /// The settlement file, ledger and ground-truth files, relative to the output directory.
    public static let settlementFile = "settlement.dat"
    public static let ledgerFile = "ledger.csv"
    public static let expectedDirectory = "expected"

    /// Bytes of a detail record kept in the partial record written after the trailer.
    static let partialRecordBytes = 40

    public static func run(_ options: GeneratorOptions) throws(SettleError) -> GenerationReport {
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
        var truth = GroundTruth(merchants: merchants, currencyCount: currencies.count)
        var ledgerRow = LedgerRow(content: content, merchants: merchants, currencies: currencies)

        let directory = options.outputDirectory
        try ChunkedOutput.makeDirectories(directory + "/" + expectedDirectory)
        var settlement = ChunkedOutput(path: directory + "/" + settlementFile)
        var ledger = ChunkedOutput(path: directory + "/" + ledgerFile)
        try ledger.append(Array(LedgerRow.header.utf8))

        var recordNumber = 0
        if let header = layout.header {
            try settlement.append(formatter.header(header))
            recordNumber += 1
        }
        var transactionIndex: UInt64 = 0
        var neverSettledIndex: UInt64 = 0
        while truth.records < options.records {
            let transaction = source.next(sequence: arnBase + transactionIndex)
            transactionIndex += 1
            formatter.formatDetail(transaction)
            var fault = faults.recordFault()
            if fault == .duplicate && truth.records + 2 > options.records { fault = nil }

            recordNumber += 1
            let rejected = fault?.rejectReason != nil
            if let fault, let reason = fault.rejectReason {
                let field = formatter.corrupt(fault, plan: &faults)
                truth.addReject(.init(recordNumber: recordNumber, byteOffset: settlement.sizeBytes, reason: reason, field: field))
            } else {
                truth.addValid(transaction)
            }
            truth.countWritten(transaction, isDuplicate: false)
            try settlement.append(formatter.record)
            if fault == .duplicate {
                recordNumber += 1
                truth.addValid(transaction)
                truth.countWritten(transaction, isDuplicate: true)
                try settlement.append(formatter.record)
            }

            // The ledger: one row per transaction, unless a fault removes it or changes its amount.
            var ledgerAmount = transaction.amountMinor
            switch fault == nil ? faults.ledgerFault() : nil {
            case .amountDifference?:
                ledgerAmount = faults.differentAmount(transaction.amountMinor)
                ledgerRow.format(transaction, amountMinor: ledgerAmount)
                truth.addLedgerDifference(.init(arn: ledgerRow.arn, fault: .amountDifference,
                                                settledAmountMinor: transaction.amountMinor, ledgerAmountMinor: ledgerAmount))
            case .missingInLedger?:
                ledgerRow.format(transaction, amountMinor: ledgerAmount)
                truth.addLedgerDifference(.init(arn: ledgerRow.arn, fault: .missingInLedger,
                                                settledAmountMinor: transaction.amountMinor, ledgerAmountMinor: nil))
                ledgerAmount = -1
            default:
                break
            }
            if ledgerAmount >= 0 {
                ledgerRow.format(transaction, amountMinor: ledgerAmount)
                try ledger.append(ledgerRow.bytes)
                truth.countLedgerRow(recordRejected: rejected)
            }
            if faults.neverSettledRow() {
                let unsettled = neverSettledSource.next(sequence: arnBase + UInt64(options.records) + neverSettledIndex)
                neverSettledIndex += 1
                ledgerRow.format(unsettled, amountMinor: unsettled.amountMinor)
                try ledger.append(ledgerRow.bytes)
                truth.countLedgerRow(recordRejected: false)
                truth.addLedgerDifference(.init(arn: ledgerRow.arn, fault: .neverSettled,
                                                settledAmountMinor: nil, ledgerAmountMinor: unsettled.amountMinor))
            }
        }

        if let trailer = layout.trailer {
            try settlement.append(formatter.trailer(trailer, count: truth.records, debit: truth.controlDebit,
                                                    credit: truth.controlCredit, fee: truth.controlFee))
            recordNumber += 1
        }
        if faults.isActive {
            // A partial record: the start of the last detail record, then the terminator (if any).
            let kept = max(1, min(partialRecordBytes, layout.recordLength - 1))
            recordNumber += 1
            truth.addReject(.init(recordNumber: recordNumber, byteOffset: settlement.sizeBytes, reason: .shortRecord, field: ""))
            try settlement.append(Array(formatter.record[0..<kept]) + layout.terminator)
        }
        let settlementBytes = settlement.sizeBytes
        try settlement.commit()
        try ledger.commit()

        let expected = GroundTruthFiles(truth: truth, merchants: merchants, currencies: currencies,
                                        options: options, layoutName: layout.name)
        try expected.write(to: directory + "/" + expectedDirectory)
        return GenerationReport(records: truth.records, transactions: truth.transactions, valid: truth.validRecords,
                                rejected: truth.rejects.count, duplicates: truth.duplicates,
                                ledgerRows: truth.ledgerRows, settlementBytes: settlementBytes,
                                outputDirectory: directory)
    }
}

/// What a generator run wrote, for the CLI's summary line.
public struct GenerationReport: Sendable, Equatable {
    /// Detail records written, duplicates and rejected ones included.
    public var records: Int
    /// Distinct transactions among them.
    public var transactions: Int
    public var valid: Int
    /// Rows of `expected/rejects.csv` (the partial record after the trailer included).
    public var rejected: Int
    public var duplicates: Int
    public var ledgerRows: Int
    public var settlementBytes: Int
    public var outputDirectory: String
}
