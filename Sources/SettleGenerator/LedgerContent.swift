import SettleEngine

/// What a ledger row holds besides the values it shows: the transaction's reference, exactly as the
/// settlement file's reference field holds it, and its booking date. A flat layout's references are
/// ARNs drawn from the transaction's sequence (`ARNWriter`); a NACHA file's are trace numbers
/// (positions 80-94), and there the transaction's sequence is the trace number itself.
struct LedgerContent {
    /// Bytes of a reference as written.
    let referenceLength: Int
    /// `YYYYMMDD` of the file date and of each day before it, 8 bytes apiece: index `n` is `n` days
    /// before (`Transaction.daysBeforeFileDate`).
    let bookingDates: [UInt8]
    /// The flat layout's ARNs; nil for trace numbers.
    private let arns: ARNWriter?

    /// A flat layout's: its reference field's length (a full ARN without one) and transaction dates.
    init(_ content: FieldContent) {
        arns = content.arns
        referenceLength = content.layout.referenceLength ?? FieldContent.arnLength
        bookingDates = content.transactionDates
    }

    /// Trace numbers of `traceLength` digits, every transaction booked on `fileDate`.
    init(traceLength: Int, fileDate: CalendarDate) {
        arns = nil
        referenceLength = traceLength
        bookingDates = fileDate.digits
    }

    /// A Visa file's: full 23-digit ARNs, every transaction booked on `fileDate`.
    init(arns: ARNWriter, fileDate: CalendarDate) {
        self.arns = arns
        referenceLength = ARNWriter.length
        bookingDates = fileDate.digits
    }

    /// Writes the reference of `transaction` into `referenceLength` bytes at `offset`.
    func writeReference(of transaction: Transaction, into bytes: inout [UInt8], at offset: Int) {
        guard arns != nil else {
            DecimalDigits.write(transaction.sequence, into: &bytes, at: offset, width: referenceLength)
            return
        }
        arns!.write(of: transaction, into: &bytes, at: offset, length: referenceLength)
    }

    /// The reference of `transaction` as the settlement file holds it, for the ground truth.
    func reference(of transaction: Transaction) -> String {
        var bytes = [UInt8](repeating: 0x30, count: referenceLength)
        writeReference(of: transaction, into: &bytes, at: 0)
        return String(decoding: bytes, as: UTF8.self)
    }
}
