import SettleEngine

/// Writes records into one reusable byte array: the header once, each transaction's detail record
/// (and the fault it may carry), the trailer from the control totals at the end.
struct RecordFormatter {
    let layout: GeneratorLayout
    let content: FieldContent
    let merchants: MerchantPopulation
    let currencies: CurrencyTable
    /// Random content of role-less fields (digits, texts, codes).
    private var random: GeneratorRandom
    /// The last record formatted, terminator included. Bytes outside fields never change after the
    /// template is copied, so each detail record only overwrites its fields.
    private(set) var record: [UInt8]

    init(layout: GeneratorLayout, content: FieldContent, merchants: MerchantPopulation, currencies: CurrencyTable, seed: UInt64) {
        self.layout = layout
        self.content = content
        self.merchants = merchants
        self.currencies = currencies
        random = GeneratorRandom(seed: seed, stream: .fields)
        record = layout.detail.template
    }

    /// Formats `transaction` as a valid detail record into `record`.
    mutating func formatDetail(_ transaction: Transaction) {
        for field in layout.detail.fields {
            switch field.fill {
            case .reference:
                content.arns.write(of: transaction, into: &record, at: field.offset, length: field.length)
            case .merchant:
                FieldContent.copy(merchants.idBytes, from: transaction.merchant * field.length, count: field.length,
                                  into: &record, at: field.offset)
            case .currency:
                FieldContent.copy(currencies.currencies[transaction.currency].fieldBytes, from: 0, count: field.length,
                                  into: &record, at: field.offset)
            case .amount:
                DecimalDigits.write(UInt64(transaction.amountMinor), into: &record, at: field.offset, width: field.length)
            case .direction:
                FieldContent.copy(transaction.isCredit ? layout.creditCode : layout.debitCode, from: 0, count: field.length,
                                  into: &record, at: field.offset)
            case .fee:
                DecimalDigits.write(UInt64(transaction.feeMinor), into: &record, at: field.offset, width: field.length)
            case .transactionDate:
                FieldContent.copy(content.transactionDates, from: transaction.daysBeforeFileDate * 8, count: 8,
                                  into: &record, at: field.offset)
            default:
                if field.optional && random.next() >> 61 == 0 {
                    // One optional field in eight is left blank.
                    for index in field.offset..<(field.offset + field.length) { record[index] = 0x20 }
                } else {
                    content.fill(field, into: &record, random: &random)
                }
            }
        }
    }

    /// Puts `fault` into the detail record just formatted; returns the name of the field it broke.
    mutating func corrupt(_ fault: RecordFault, plan: inout FaultPlan) -> String {
        switch fault {
        case .badAmount:
            let field = layout.amountField
            let letter = plan.letter(length: field.length)
            record[field.offset + letter.index] = letter.byte
            return layout.amountName
        case .badCode:
            let field = layout.directionField
            FieldContent.copy(layout.invalidDirectionCode, from: 0, count: field.length, into: &record, at: field.offset)
            return layout.directionName
        case .badDate:
            // The plan only draws this fault for layouts with a date field.
            let field = layout.firstDateField!
            let choice = plan.impossibleDate(count: content.impossibleDates.count / 8)
            FieldContent.copy(content.impossibleDates, from: choice * 8, count: 8, into: &record, at: field.offset)
            return layout.firstDateName!
        case .duplicate:
            return ""
        }
    }

    /// The header record, terminator included.
    mutating func header(_ header: GeneratorLayout.Record) -> [UInt8] {
        var bytes = header.template
        for field in header.fields {
            content.fill(field, into: &bytes, random: &random)
        }
        return bytes
    }

    /// The trailer record with the control totals, terminator included.
    mutating func trailer(_ trailer: GeneratorLayout.Record, count: Int, debit: Int64, credit: Int64,
                          fee: Int64) throws(SettleError) -> [UInt8] {
        var bytes = trailer.template
        for (index, field) in trailer.fields.enumerated() {
            let value: Int64
            switch field.fill {
            case .controlCount: value = Int64(count)
            case .controlDebit: value = debit
            case .controlCredit: value = credit
            case .controlFee: value = fee
            default:
                content.fill(field, into: &bytes, random: &random)
                continue
            }
            guard DecimalDigits.fits(UInt64(value), width: field.length) else {
                throw SettleError(.overflow, "the control total \(value) does not fit the \(field.length)-digit trailer field '\(trailer.names[index])'; generate fewer records")
            }
            DecimalDigits.write(UInt64(value), into: &bytes, at: field.offset, width: field.length)
        }
        return bytes
    }
}
