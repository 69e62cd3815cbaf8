import SettleEngine

/// The control figures of one batch or of the whole file, summed as entries are written: entry and
/// addenda count, entry hash (the receiving DFIs' 8-digit identifications, modulo 10^10) and the
/// debit and credit totals split by transaction code. What the batch and file controls declare.
struct NachaControlTotals {
    static let hashModulus: UInt64 = 10_000_000_000

    var entries = 0
    var addenda = 0
    /// Kept below `hashModulus` after every entry.
    private(set) var entryHash: UInt64 = 0
    private(set) var totalDebit: Int64 = 0
    private(set) var totalCredit: Int64 = 0

    var entryAddendaCount: Int { entries + addenda }

    /// Counts an entry; amounts are at most 12 digits and a file has at most 8.5M entries, so the
    /// sums stay far below `Int64.max` (the generator checks them against the 12-digit fields).
    mutating func addEntry(_ plan: NachaEntryPlan, receiverIdentification: UInt64) {
        entries += 1
        entryHash = (entryHash + receiverIdentification) % Self.hashModulus
        if plan.isCredit {
            totalCredit += plan.amountMinor
        } else {
            totalDebit += plan.amountMinor
        }
    }

    mutating func addAddenda(_ count: Int) {
        addenda += count
    }

    /// Folds a finished batch into the file's figures.
    mutating func add(_ batch: NachaControlTotals) {
        entries += batch.entries
        addenda += batch.addenda
        entryHash = (entryHash + batch.entryHash) % Self.hashModulus
        totalDebit += batch.totalDebit
        totalCredit += batch.totalCredit
    }
}
