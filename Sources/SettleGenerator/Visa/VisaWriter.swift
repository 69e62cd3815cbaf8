import SettleEngine

/// The state of one `VisaGenerator` run: the file being streamed, the trailers' running figures, the
/// ledger and the ground truth. Figures are counted as the engine measures them (`visa-ctf.yaml`):
/// TCRs are every physical record of the scope, the trailer included; transactions every TCR 0;
/// monetary transactions and amounts the TCR 0s of monetary TCs whose amount field holds digits.
struct VisaWriter: ~Copyable {
    enum Fault: CaseIterable { case badAmount, unknownCode, noTCR1, overlong, orphan, duplicate }

    let options: VisaGeneratorOptions
    let currencies: CurrencyTable
    let merchants: MerchantIDs
    let arns: ARNWriter
    let ids: [[UInt8]]
    /// ISO 4217 numeric code and minor units of each currency of `currencies`.
    let numeric: [Int]
    let minorUnits: [Int]
    let processingDate: UInt64
    var records: VisaRecords
    /// Optional so `finish` can take them (each is consumed by its publication).
    var output: ChunkedOutput?
    var ledger: LedgerGenerator?
    var faults: FaultPlan
    var truth: GroundTruth
    var expected = VisaTruth()
    var draws: GeneratorRandom
    var faultDraws: GeneratorRandom
    let faultThreshold: UInt64
    var batch = VisaRecords.TrailerFigures()
    var file = VisaRecords.TrailerFigures()
    var batches = 0
    var recordNumber = 0
    var bytesWritten = 0
    var drafts = 0
    var neverSettled: UInt64 = 0

    init(options: VisaGeneratorOptions, currencies: CurrencyTable, merchants: MerchantIDs, arns: ARNWriter, fileDate: CalendarDate,
         ids: [[UInt8]]) throws(SettleError) {
        self.options = options
        self.currencies = currencies
        self.merchants = merchants
        self.arns = arns
        self.ids = ids
        numeric = currencies.currencies.map { ISO4217.byAlpha($0.key)?.numeric ?? 840 }
        minorUnits = currencies.currencies.map(\.minorUnits)
        processingDate = UInt64(fileDate.year % 100 * 1000 + fileDate.dayOfYear)
        records = VisaRecords(codePage: options.codePage, lineEnd: options.lineEnd.bytes)
        output = ChunkedOutput(path: options.outputDirectory + "/" + VisaGenerator.fileName)
        ledger = try LedgerGenerator(options.ledgerSettings, content: LedgerContent(arns: arns, fileDate: fileDate),
                                     merchants: merchants, currencies: currencies)
        faults = FaultPlan(seed: options.seed, rate: options.faultRate, layoutHasDate: false)
        truth = GroundTruth(merchants: merchants, currencyCount: currencies.count)
        draws = GeneratorRandom(seed: options.seed, stream: .transactions)
        faultDraws = GeneratorRandom(seed: options.seed, stream: .faults)
        faultThreshold = GeneratorRandom.threshold(probability: options.faultRate)
    }

    /// Appends the record in `records` (plus `extra` bytes before its line end) and counts it.
    mutating func emit(extra: [UInt8] = []) throws(SettleError) -> (recordNumber: Int, byteOffset: Int) {
        let at = bytesWritten
        var line = records.encoded()
        if !extra.isEmpty { line.insert(contentsOf: options.codePage.encode(extra), at: VisaRecords.recordLength) }
        try output!.append(line)
        bytesWritten += line.count
        recordNumber += 1
        batch.tcrs += 1
        file.tcrs += 1
        return (recordNumber, at)
    }

    mutating func writeFile() throws(SettleError) {
        records.header(bin: VisaGenerator.bin, date: processingDate)
        _ = try emit()
        batch = VisaRecords.TrailerFigures()   // the header is the file's, not the first batch's
        var remaining = options.transactions
        while remaining > 0 {
            let size = min(remaining, 1 + draws.index(400))
            for _ in 0..<size { try transaction(isLast: remaining == 1) ; remaining -= 1 }
            try closeBatch(last: remaining == 0)
        }
        file.tcrs += 1
        var figures = file
        if options.faultRate > 0 {
            figures.sourceAmount += 1
            expected.failedChecks.append("file,,source_amount")
        }
        records.trailer(code: "92", bin: VisaGenerator.bin, date: processingDate, figures: figures, batchNumber: batches)
        _ = try emit()
    }

    mutating func closeBatch(last: Bool) throws(SettleError) {
        batches += 1
        batch.tcrs += 1
        var figures = batch
        var number = batches
        // A broken trailer now and then: one wrong figure.
        if options.faultRate > 0 && (faultDraws.chance(faultThreshold) || batches == 2) {
            switch faultDraws.index(3) {
            case 0:
                figures.monetary += 1
                expected.failedChecks.append("group,\(batches),monetary_transactions")
            case 1:
                figures.tcrs += 1
                expected.failedChecks.append("group,\(batches),tcr_count")
            default:
                number += 1
                expected.failedChecks.append("group,\(batches),batch_number")
            }
        }
        records.trailer(code: "91", bin: VisaGenerator.bin, date: processingDate, figures: figures, batchNumber: number)
        _ = try emit()
        batch = VisaRecords.TrailerFigures()
    }

    /// One transaction: a draft with its continuations, or (2%) a TCR 0 outside the totals.
    mutating func transaction(isLast: Bool) throws(SettleError) {
        if draws.index(50) == 0 {
            records.other(code: draws.index(2) == 0 ? "46" : "50", pan: draws.next())
            _ = try emit()
            count(monetary: false, destination: nil, source: nil)
            return
        }
        var fault: Fault?
        if options.faultRate > 0 && faultDraws.chance(faultThreshold) {
            fault = Fault.allCases[faultDraws.index(Fault.allCases.count)]
            if fault == .overlong && options.lineEnd == .none { fault = .badAmount }
        }
        if fault == .orphan {
            records.other(code: "50", pan: draws.next())
            _ = try emit()
            count(monetary: false, destination: nil, source: nil)
            records.tcr1(code: "50", cardAcceptor: "ORPHAN", terminal: 1)
            let at = try emit()
            expected.rejects.append("\(at.recordNumber),\(at.byteOffset),orphan_continuation,")
            fault = nil
        }
        try draft(fault: fault, isLast: isLast)
    }

    /// Counts a TCR 0: a transaction, and when monetary its amounts that hold digits.
    mutating func count(monetary: Bool, destination: UInt64?, source: UInt64?) {
        batch.transactions += 1
        file.transactions += 1
        guard monetary else { return }
        batch.monetary += 1
        file.monetary += 1
        batch.destinationAmount += destination ?? 0
        file.destinationAmount += destination ?? 0
        batch.sourceAmount += source ?? 0
        file.sourceAmount += source ?? 0
    }
}
