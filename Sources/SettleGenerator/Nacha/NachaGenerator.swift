import SettleEngine

/// `settle generate --layout nacha`: writes a large, valid NACHA ACH file (`settlement.ach`), the
/// company's ledger of its entries (`ledger.csv`, see `NachaLedger`) and the ground truth
/// (`expected/totals.csv`, `expected/summary.json`, `expected/mismatches.csv`, ...), deterministically
/// from the seed.
///
/// The file: a file header; batches of one to a few thousand entries (PPD, CCD, WEB and TEL mostly,
/// with IAT, ADV and COR batches), each a batch header, its entries and their addenda, and a batch
/// control; the file control; lines of `9`s padding the file to a multiple of 10 lines. Every record
/// is 94 bytes and ends with LF. Every control is exact: counts include addenda, the entry hash is the
/// receiving DFIs' sum modulo 10^10, totals are split by transaction code, the batch control repeats
/// the header's company identification (blank for IAT), the block count covers the filler.
///
/// The file control's layout follows the last batch's SEC code (`nacha.yaml`: an ADV file control,
/// with 20-digit totals, only when the last batch is ADV). The generator never ends a file with an ADV
/// batch (a last batch drawn as ADV becomes PPD), so every file has the standard file control with
/// 12-digit totals, the form of mixed files in practice.
///
/// The file is streamed through `ChunkedOutput` (written on a thread of its own); only per-merchant
/// sums are held in memory.
package enum NachaGenerator {
    package static let fileName = "settlement.ach"

    /// The largest amount of a 12-digit total field (batch controls but ADV's, the file control).
    static let maxTwelveDigits: Int64 = 999_999_999_999

    package static func run(_ options: NachaGeneratorOptions) throws(SettleError) -> NachaGenerationReport {
        var setup = GeneratorRandom(seed: options.seed, stream: .setup)
        let companies = NachaCompanies(count: options.merchants, random: &setup)
        let routing = NachaRouting(random: &setup)
        // A file date within 2024-2025, chosen by the seed; entries settle the next day.
        let firstDay = CalendarDate(year: 2024, month: 1, day: 1).daysSinceEpoch
        let fileDay = firstDay + Int(options.seed % 731)
        let fileDate = CalendarDate(daysSinceEpoch: fileDay)
        let effectiveDate = CalendarDate(daysSinceEpoch: fileDay + 1)
        var descriptiveDate = [UInt8](repeating: 0x30, count: 6)
        DecimalDigits.write(UInt64(yymmdd(fileDate)), into: &descriptiveDate, at: 0, width: 6)

        let directory = options.outputDirectory
        try ChunkedOutput.makeDirectories(directory + "/" + Generator.expectedDirectory)
        var output = ChunkedOutput(path: directory + "/" + fileName)
        var records = NachaRecords(seed: options.seed, routing: routing)
        var draws = GeneratorRandom(seed: options.seed, stream: .transactions)
        let mix = NachaMix()
        var ledger = try NachaLedger(options: options, companies: companies, fileDate: fileDate)
        var truth = NachaGroundTruth(merchants: ledger.merchants, currencyCount: ledger.currencies.count)
        var file = NachaControlTotals()
        var lines = 0
        var batches = 0

        records.fileHeader(destination: NachaRouting.routingNumber(routing.operatorRouting),
                           origin: NachaRouting.routingNumber(routing.originators[0]), date: yymmdd(fileDate),
                           time: Int(options.seed % 24) * 100 + Int(options.seed / 24 % 60),
                           destinationName: "FEDERAL RESERVE BANK", originName: "SETTLE TEST BANK", reference: "SETTLE")
        try output.append(records.line.bytes)
        lines += 1

        var traces = NachaTraces(routing: routing, fileDay: fileDay)
        var remaining = options.entries
        while remaining > 0 {
            var sec = mix.sec(&draws, hasIAT: companies.hasIAT)
            let size = min(remaining, mix.batchSize(sec, &draws))
            if size == remaining && sec == .adv { sec = .ppd }   // the last batch is never ADV (see above)
            let serviceClass = mix.serviceClass(sec, &draws)
            let merchant = sec == .iat ? companies.drawIAT(&draws) : companies.drawDomestic(&draws)
            let company = companies.companies[merchant]
            // The batch's ODFI: drawn, or the next one whose 7-digit trace sequences have room.
            let odfi = traces.odfi(drawn: draws.index(routing.originators.count), entries: size)
            let odfiRouting = routing.originators[odfi]
            batches += 1
            truth.addBatch(sec)

            if sec == .iat {
                records.iatBatchHeader(company, serviceClass: serviceClass, destinationCanada: draws.index(3) == 0,
                                       effectiveDate: yymmdd(effectiveDate), odfi: odfiRouting, batchNumber: batches)
            } else {
                records.batchHeader(company, sec: sec, serviceClass: serviceClass,
                                    descriptiveDate: draws.index(2) == 0 ? descriptiveDate : [],
                                    effectiveDate: yymmdd(effectiveDate), odfi: odfiRouting, batchNumber: batches)
            }
            try output.append(records.line.bytes)

            var batch = NachaControlTotals()
            for _ in 0..<size {
                let plan = mix.entry(sec, serviceClass, &draws)
                let receiver = draws.index(routing.receivers.count)
                batch.addEntry(plan, receiverIdentification: routing.receivers[receiver])
                // Every line is 94 bytes and LF: the record number follows from the offset.
                let record = ReconciliationTruth.SettledRecord(recordNumber: output.sizeBytes / (NachaLine.recordLength + 1) + 1,
                                                               byteOffset: output.sizeBytes, isValid: true)
                let trace = try writeEntry(plan, receiver: receiver, sec: sec, odfi: odfi, traces: &traces, records: &records,
                                           output: &output)
                batch.addAddenda(plan.addenda.count)   // ADV entries have none
                let transaction = truth.addEntry(plan, merchant: merchant, trace: trace.number)
                try ledger.add(transaction, record: record, companies: companies, truth: &truth.settled)
            }
            lines += 2 + batch.entryAddendaCount

            try writeBatchControl(batch, sec: sec, serviceClass: serviceClass, company: company, odfi: odfiRouting,
                                  batchNumber: batches, records: &records)
            try output.append(records.line.bytes)
            file.add(batch)
            remaining -= size
            // The file control and at most 9 filler lines are still to come.
            if lines + 1 > NachaGeneratorOptions.maxLines {
                throw SettleError(.usage, "\(options.entries) entries with seed \(options.seed) need more than "
                    + "\(NachaGeneratorOptions.maxLines) lines, the most a NACHA file's 6-digit block count allows; use fewer --records")
            }
        }

        try checkTwelveDigits(file, what: "the file control")
        lines += 1
        let fillerLines = (10 - lines % 10) % 10
        records.fileControl(batchCount: batches, blockCount: (lines + fillerLines) / 10,
                            entryAddendaCount: file.entryAddendaCount, entryHash: file.entryHash,
                            totalDebit: file.totalDebit, totalCredit: file.totalCredit)
        try output.append(records.line.bytes)
        records.filler()
        for _ in 0..<fillerLines { try output.append(records.line.bytes) }
        lines += fillerLines
        let fileBytes = output.sizeBytes
        try output.commit()
        let reconciliation = try ledger.finish(truth: &truth.settled)

        let figures = NachaGroundTruth.FileFigures(options: options, control: file, batches: batches, lines: lines,
                                                   fillerLines: fillerLines, fileBytes: fileBytes)
        try truth.write(to: directory + "/" + Generator.expectedDirectory, figures: figures, companies: companies,
                        reconciliation: reconciliation)
        return NachaGenerationReport(entries: file.entries, addenda: file.addenda, batches: batches,
                                     iatBatches: truth.batchesBySEC[NachaSEC.iat.rawValue],
                                     advBatches: truth.batchesBySEC[NachaSEC.adv.rawValue], lines: lines,
                                     fileBytes: fileBytes, totalsRows: truth.totalsRows, ledgerRows: truth.settled.ledgerRows,
                                     ledgerRejected: reconciliation.ledgerRejects.count,
                                     mismatches: reconciliation.truth.mismatchCount, outputDirectory: directory)
    }

    /// Writes an entry of a batch of `sec` (and its addenda, but for ADV: ADV entries have none) and
    /// returns its trace number.
    private static func writeEntry(_ plan: NachaEntryPlan, receiver: Int, sec: NachaSEC, odfi: Int, traces: inout NachaTraces,
                                   records: inout NachaRecords, output: inout ChunkedOutput) throws(SettleError) -> NachaRecords.Trace {
        if sec == .adv {
            let (trace, julianDay, sequence) = traces.nextADV()
            records.advEntry(plan, receiver: receiver, julianDay: julianDay, sequence: sequence)
            try output.append(records.line.bytes)
            return trace
        }
        let trace = traces.next(odfi: odfi)
        if sec == .iat {
            records.iatEntry(plan, receiver: receiver, trace: trace)
        } else {
            records.entry(plan, receiver: receiver, trace: trace)
        }
        try output.append(records.line.bytes)
        try writeAddenda(plan, trace: trace, records: &records, output: &output)
        return trace
    }

    /// The batch control: ADV's with 20-digit totals, the others' with 12 (checked), IAT's with 45-54 blank.
    private static func writeBatchControl(_ batch: NachaControlTotals, sec: NachaSEC, serviceClass: NachaServiceClass,
                                          company: NachaCompanies.Company, odfi: UInt64, batchNumber: Int,
                                          records: inout NachaRecords) throws(SettleError) {
        if sec == .adv {
            records.advBatchControl(entryAddendaCount: batch.entryAddendaCount, entryHash: batch.entryHash,
                                    totalDebit: batch.totalDebit, totalCredit: batch.totalCredit, odfi: odfi,
                                    batchNumber: batchNumber)
        } else {
            try checkTwelveDigits(batch, what: "batch \(batchNumber)")
            records.batchControl(serviceClass: serviceClass, entryAddendaCount: batch.entryAddendaCount,
                                 entryHash: batch.entryHash, totalDebit: batch.totalDebit, totalCredit: batch.totalCredit,
                                 companyId: sec == .iat ? nil : company.id, odfi: odfi, batchNumber: batchNumber)
        }
    }

    /// The addenda that follow an entry, each naming the entry by its sequence (the trace's last 7 digits).
    private static func writeAddenda(_ plan: NachaEntryPlan, trace: NachaRecords.Trace, records: inout NachaRecords,
                                     output: inout ChunkedOutput) throws(SettleError) {
        switch plan.addenda {
        case .none:
            return
        case .payment:
            records.paymentAddenda(entrySequence: trace.sequence)
            try output.append(records.line.bytes)
        case .returned:
            records.returnOrChangeAddenda(change: false, trace: trace)
            try output.append(records.line.bytes)
        case .change:
            records.returnOrChangeAddenda(change: true, trace: trace)
            try output.append(records.line.bytes)
        case .iat(let remittance, let correspondents):
            for type in 10...16 {
                records.iatAddenda(type: type, sequence: 0, amountMinor: plan.amountMinor, entrySequence: trace.sequence)
                try output.append(records.line.bytes)
            }
            for sequence in stride(from: 1, through: remittance, by: 1) {
                records.iatAddenda(type: 17, sequence: sequence, amountMinor: 0, entrySequence: trace.sequence)
                try output.append(records.line.bytes)
            }
            for sequence in stride(from: 1, through: correspondents, by: 1) {
                records.iatAddenda(type: 18, sequence: sequence, amountMinor: 0, entrySequence: trace.sequence)
                try output.append(records.line.bytes)
            }
        }
    }

    /// Batch and file totals must fit their 12-digit fields; with the generator's amounts a file of
    /// `maxEntries` stays several times below, so this only guards against a change to the mix.
    private static func checkTwelveDigits(_ totals: NachaControlTotals, what: String) throws(SettleError) {
        if totals.totalDebit > maxTwelveDigits || totals.totalCredit > maxTwelveDigits {
            throw SettleError(.usage, "the debit or credit total of \(what) does not fit its 12 digits; use fewer --records")
        }
    }

    /// YYMMDD as a number.
    static func yymmdd(_ date: CalendarDate) -> Int {
        (date.year % 100) * 10_000 + date.month * 100 + date.day
    }
}
