import SettleEngine

/// `settle generate --layout mastercard-ipm`: writes a valid IPM clearing file (`settlement.ipm`,
/// 1014-blocked or not, EBCDIC or ASCII), its ledger (`IPMLedger`) and the ground truth
/// (`expected/totals.csv`, `expected/summary.json`, `expected/mismatches.csv`, ...),
/// deterministically from the seed.
///
/// The file: a 1644/697 file header; detail messages (first and second presentments, reversals,
/// chargebacks) with now and then an administrative 1644 or a 1740 fee collection between them; a
/// 1644/695 trailer whose PDS 0306 counts every message, PDS 0301 sums DE 4 over every message
/// modulo 10^16 and PDS 0105 repeats the header's file id. DE 71 numbers the messages 1, 2, 3, ...
/// Details carry PDS the layout does not read (0023, 0158), so readers step over them.
package enum IPMGenerator {
    package static let fileName = "settlement.ipm"

    package static func run(_ options: IPMGeneratorOptions) throws(SettleError) -> IPMGenerationReport {
        let spec = try layoutSpec()
        var setup = GeneratorRandom(seed: options.seed, stream: .setup)
        let currencies = try CurrencyTable(fieldType: .text, length: 3, values: [], fieldName: "DE49")
        let merchants = try MerchantPopulation(count: options.merchants, fieldType: .text, fieldLength: 15, fieldName: "DE42",
                                               currencies: currencies, random: &setup)
        let fileDay = CalendarDate(year: 2024, month: 1, day: 1).daysSinceEpoch + Int(options.seed % 731)
        let fileDate = CalendarDate(daysSinceEpoch: fileDay)
        let yymmdd = Array(String(fileDate.digits.dropFirst(2).map { Character(UnicodeScalar($0)) }).utf8)
        let fileID = Array("002".utf8) + yymmdd + Array("00000012345".utf8) + IPMMessage.digits(Int(options.seed % 100_000), width: 5)

        let directory = options.outputDirectory
        try ChunkedOutput.makeDirectories(directory + "/" + Generator.expectedDirectory)
        var writer = IPMFileWriter(path: directory + "/" + fileName, blocked: options.blocked, codePage: options.codePage)
        var ledger = try IPMLedger(options: options, merchants: merchants, currencies: currencies, fileDate: fileDate)
        var truth = GroundTruth(merchants: ledger.merchantIDs, currencyCount: currencies.count)
        var draws = GeneratorRandom(seed: options.seed, stream: .transactions)
        let mix = IPMMix()
        var report = IPMGenerationReport(messages: 0, details: 0, chargebacks: 0, reversals: 0, others: 0, fileBytes: 0,
                                         totalsRows: 0, ledgerRows: 0, mismatches: 0)
        var amountTotal: Int128 = 0
        func number() -> [UInt8] { IPMMessage.digits(report.messages + 1, width: 8) }

        try writer.append(IPMMessage(mti: "1644", elements: [(24, Array("697".utf8)), (71, number())],
                                     pds: [(105, fileID)], spec: spec))
        report.messages += 1
        for sequence in 1...UInt64(options.details) {
            let detail = mix.detail(&draws)
            let (type, typeIsCredit) = mix.transactionType(&draws)
            let merchant = merchants.draw(&draws)
            let currency = merchants.homeCurrency[merchant]
            let ladder = currencies.currencies[currency].ladder
            let amount = ladder[draws.index(ladder.count)]
            let transaction = Transaction(sequence: sequence, merchant: merchant, currency: currency, isHomeCurrency: true,
                                          amountMinor: amount, feeMinor: 0, isCredit: typeIsCredit != detail.reversesDirection,
                                          daysBeforeFileDate: 0)
            let record = ReconciliationTruth.SettledRecord(recordNumber: report.messages + 1, byteOffset: writer.sizeBytes, isValid: true)
            try writer.append(detailMessage(detail, type: type, amount: amount, sequence: sequence, merchant: merchants, index: merchant,
                                            currency: currencies.currencies[currency].key, number: number(), random: &draws, spec: spec))
            report.messages += 1
            report.details += 1
            if case .chargeback = detail { report.chargebacks += 1 }
            if case .reversal = detail { report.reversals += 1 }
            amountTotal += Int128(amount)
            truth.countWritten(transaction, isDuplicate: false)
            truth.addValid(transaction)
            try ledger.add(transaction, record: record, truth: &truth)
            if let other = mix.other(&draws) {
                let fee = Int64(100 + draws.index(5_000))
                try writer.append(IPMMessage(mti: other.mti, elements: [(4, IPMMessage.digits(Int(fee), width: 12)),
                                                                        (24, Array(other.functionCode.utf8)), (71, number())],
                                             pds: [], spec: spec))
                amountTotal += Int128(fee)
                report.messages += 1
                report.others += 1
            }
        }
        let count = report.messages + 1
        let modulus: Int128 = 10_000_000_000_000_000
        try writer.append(IPMMessage(mti: "1644", elements: [(24, Array("695".utf8)), (71, number())],
                                     pds: [(105, fileID), (301, Array(String(amountTotal % modulus).leftPadded(16).utf8)),
                                           (306, IPMMessage.digits(count, width: 8))], spec: spec))
        report.messages += 1
        report.fileBytes = try writer.finish()
        let reconciliation = try ledger.finish(truth: &truth)
        report.totalsRows = truth.keyCount
        report.ledgerRows = truth.ledgerRows
        report.mismatches = reconciliation.truth.mismatchCount
        let expected = directory + "/" + Generator.expectedDirectory
        try ChunkedOutput.write(totals(truth, merchants: merchants, currencies: currencies), to: expected + "/totals.csv")
        try ChunkedOutput.write(Array(GroundTruthFiles.rejectsHeader.utf8), to: expected + "/rejects.csv")
        try ChunkedOutput.write(GroundTruthFiles.ledgerFaults(truth), to: expected + "/ledger_faults.csv")
        try ChunkedOutput.write(summary(options, report: report, amountTotal: amountTotal % modulus, truth: truth,
                                        reconciliation: reconciliation), to: expected + "/summary.json")
        try reconciliation.write(to: expected)
        return report
    }

    /// A presentment or chargeback: DE 2, 3, 4, 12, 24, 26, 31, 42, 43, 49, 71 and PDS 0023 and 0158
    /// (and 0025 for a reversal).
    private static func detailMessage(_ detail: IPMMix.Detail, type: String, amount: Int64, sequence: UInt64, merchant merchants: MerchantPopulation,
                                      index: Int, currency: String, number: [UInt8], random: inout GeneratorRandom,
                                      spec: MessageSpec) -> IPMMessage {
        var pan = [UInt8](repeating: 0x35, count: 16)
        DecimalDigits.writeRandom(into: &pan, at: 1, length: 15, random: &random)
        var reference = [UInt8](repeating: 0x30, count: IPMLedger.referenceLength)
        DecimalDigits.write(sequence, into: &reference, at: 0, width: IPMLedger.referenceLength)
        let numeric = ISO4217.byAlpha(currency).map { $0.numericText } ?? "999"
        var pds: [(Int, [UInt8])] = [(23, Array("POI".utf8)), (158, Array("MCC   B".utf8))]
        if case .reversal = detail { pds.append((25, Array("R240101".utf8))) }
        let id = Array(merchants.id(index).utf8)
        return IPMMessage(mti: detail.mti, elements: [
            (2, pan), (3, Array((type + "0000").utf8)), (4, IPMMessage.digits(Int(amount), width: 12)),
            (12, Array("240101120000".utf8)), (24, Array(detail.functionCode.utf8)), (26, Array("5411".utf8)), (31, reference),
            (42, id), (43, Array("SETTLE TEST SHOP\\CITY\\US".utf8)), (49, Array(numeric.utf8)), (71, number),
        ], pds: pds, spec: spec)
    }

    /// The built-in layout's message section (its element table gives each element's length type).
    static func layoutSpec() throws(SettleError) -> MessageSpec {
        do {
            guard let spec = try LayoutLoader.load("mastercard-ipm").message else {
                throw SettleError(.invalidLayout, "builtin:mastercard-ipm has no message section")
            }
            return spec
        } catch let error as SettleError {
            throw error
        } catch {
            throw SettleError(.invalidLayout, "builtin:mastercard-ipm: \(error)")
        }
    }

    /// `totals.csv` as the engine writes it: bytewise by merchant id, then currency.
    static func totals(_ truth: GroundTruth, merchants: MerchantPopulation, currencies: CurrencyTable) -> [UInt8] {
        var bytes = Array(GroundTruthFiles.totalsHeader.utf8)
        for merchant in merchants.idOrder {
            for currency in currencies.sortedOrder {
                guard let sums = truth.totals(merchant: merchant, currency: currency) else { continue }
                bytes += "\(merchants.id(merchant)),\(currencies.currencies[currency].key),\(sums.debitCount),\(sums.debitAmount),".utf8
                bytes += "\(sums.creditCount),\(sums.creditAmount),0,\(sums.debitAmount - sums.creditAmount)\n".utf8
            }
        }
        return bytes
    }

    static func summary(_ options: IPMGeneratorOptions, report: IPMGenerationReport, amountTotal: Int128, truth: GroundTruth,
                        reconciliation: ReconciliationFiles) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("layout", "mastercard-ipm")
        json.string("file", fileName)
        json.number("seed", Int(options.seed))
        json.string("framing", options.blocked ? "rdw-1014" : "rdw")
        json.string("encoding", options.codePage.rawValue)
        json.number("messages", report.messages)
        json.number("details", report.details)
        json.number("chargebacks", report.chargebacks)
        json.number("reversals", report.reversals)
        json.number("other_messages", report.others)
        json.money("amount_total_pds0301", amountTotal)
        json.number("file_bytes", report.fileBytes)
        json.number("valid", report.details)
        json.number("rejected", 0)
        json.number("totals_rows", report.totalsRows)
        json.number("exit_status", 0)
        GroundTruthFiles.ledgerSummary(truth, style: options.ledgerStyle, files: options.ledgerFiles, into: &json)
        reconciliation.summary(into: &json)
        json.endObject()
        return json.bytes
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
