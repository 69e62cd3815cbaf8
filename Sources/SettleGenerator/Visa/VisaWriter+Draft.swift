import SettleEngine

/// A draft of `VisaWriter`: its TCRs (twice for a duplicate), its ground truth and its ledger rows.
extension VisaWriter {
    mutating func draft(fault: Fault?, isLast: Bool) throws(SettleError) {
        let isCredit = draws.index(100) < 12
        let codes = isCredit ? VisaGenerator.creditCodes : VisaGenerator.debitCodes
        let code = fault == .unknownCode ? "99" : draws.index(4) == 0 ? codes[draws.index(codes.count)] : codes[0]
        let merchant = min(draws.index(options.merchants), draws.index(options.merchants))
        let home = merchants.homeCurrency[merchant]
        let currency = draws.index(10) == 0 ? draws.index(currencies.count) : home
        let ladder = currencies.currencies[currency].ladder
        let amountMinor = ladder[draws.index(ladder.count)]
        var factor: Int64 = 1
        for _ in 0..<(6 - minorUnits[currency]) { factor *= 10 }
        let amountMicro = amountMinor * factor
        let hasTCR5 = draws.index(10) < 6
        var feeMicro: Int64?
        if hasTCR5 && draws.index(10) != 0 {
            let fee = 1 + Int64(draws.below(UInt64(max(1, amountMicro / 40))))
            feeMicro = isCredit ? -fee : fee
        }
        let hasTCR7 = draws.index(5) == 0
        let pan = 4_000_000_000_000_000 + draws.below(1_000_000_000_000_000)
        drafts += 1
        var arn = [UInt8](repeating: 0x30, count: ARNWriter.length)
        arns.write(sequence: UInt64(drafts), into: &arn, at: 0, length: ARNWriter.length)
        let transaction = Transaction(sequence: UInt64(drafts), merchant: merchant, currency: currency, isHomeCurrency: currency == home,
                                      amountMinor: amountMicro, feeMinor: feeMicro ?? 0, isCredit: isCredit, daysBeforeFileDate: 0)
        let reject: (reason: String, field: String)? = switch fault {
        case .badAmount?: ("bad_amount", "source_amount")
        case .unknownCode?: ("bad_code", "transaction_code")
        case .noTCR1?: ("missing_continuation", "")
        case .overlong?: ("overlong_record", "")
        default: nil
        }
        var written: [ReconciliationTruth.SettledRecord] = []
        for copy in 0..<(fault == .duplicate ? 2 : 1) {
            records.tcr0(code: code, pan: pan, arn: arn, amountMinor: UInt64(amountMinor), currency: numeric[currency],
                         name: "MERCHANT \(merchant)", purchase: 101, processing: processingDate % 10_000)
            if fault == .badAmount { records.put("X", at: 80) }
            let at = try emit(extra: fault == .overlong ? Array("XX".utf8) : [])
            count(monetary: code != "99", destination: UInt64(amountMinor), source: fault == .badAmount ? nil : UInt64(amountMinor))
            if let reject { expected.rejects.append("\(at.recordNumber),\(at.byteOffset),\(reject.reason),\(reject.field)") }
            written.append(.init(recordNumber: at.recordNumber, byteOffset: at.byteOffset, isValid: reject == nil))
            if fault != .noTCR1 {
                records.tcr1(code: code, cardAcceptor: String(decoding: ids[merchant], as: UTF8.self), terminal: UInt64(merchant % 100_000_000))
                _ = try emit()
            }
            if hasTCR5 {
                records.tcr5(code: code, feeMicro: feeMicro, authorized: UInt64(amountMinor))
                _ = try emit()
            }
            if hasTCR7 {
                records.tcr7(code: code, cryptogram: pan)
                _ = try emit()
            }
            truth.countWritten(transaction, isDuplicate: copy > 0)
            if reject == nil { truth.addValid(transaction) }
        }
        try ledger!.startTransaction(recordsWritten: drafts - 1)
        let recordFault: RecordFault? = reject != nil ? .badAmount : fault == .duplicate ? .duplicate : nil
        try ledger!.add(transaction, recordFault: recordFault, record: written[0], duplicate: written.count > 1 ? written[1] : nil,
                       isLast: isLast, faults: &faults, truth: &truth)
        if faults.neverSettledRow() {
            let unsettled = Transaction(sequence: 90_000_000_000 + neverSettled, merchant: draws.index(options.merchants),
                                        currency: 0, isHomeCurrency: true, amountMinor: 1_000_000 + Int64(draws.below(500_000_000)),
                                        feeMinor: 0, isCredit: draws.index(2) == 0, daysBeforeFileDate: 0)
            neverSettled += 1
            try ledger!.addNeverSettled(unsettled, truth: &truth)
        }
        try ledger!.writeDueCopies(truth: &truth)
    }
}
