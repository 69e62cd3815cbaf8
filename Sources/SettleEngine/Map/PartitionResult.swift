/// What mapping one partition produced: counts, control sums, its spill runs and its rejects file.
/// A `Sendable` value that travels from the worker to the job.
public struct PartitionResult: Sendable {
    public var partition: Partition
    /// Physical records in the partition (header and trailer included).
    public var records = 0
    public var validDetails = 0
    public var rejected = 0
    /// Reject counts indexed by `RejectReason.rawValue`.
    public var rejectsByReason = [Int](repeating: 0, count: 32)
    public var rejectsPath: String?
    public var runs: [SpillRunInfo] = []
    /// Runs of occurrences by reference (only when the job reconciles).
    public var referenceRuns: [SpillRunInfo] = []
    /// Sums over valid detail records, for the control-total check.
    public var validDebitCount = 0
    public var validCreditCount = 0
    public var validDebit: Int128 = 0
    public var validCredit: Int128 = 0
    public var validFee: Int128 = 0
    /// What the rejected detail records account for.
    public var explanation = RejectExplanation()
    public var worker = 0
    /// Structured layouts: scopes, declared control values and warnings, stitched at finalize.
    public var structured: StructuredPartial?
    /// How many attempts the partition took (1 unless an I/O error was retried).
    public var attempts = 1
    public var startNanoseconds: UInt64 = 0
    public var endNanoseconds: UInt64 = 0

    public init(partition: Partition) { self.partition = partition }
}

/// The part of a control-total difference the rejects explain: rejected records between header and
/// trailer, and the amounts of those whose amount field could still be read.
public struct RejectExplanation: Sendable, Equatable {
    public var rejectedDetails = 0
    public var readableDebitCount = 0
    public var readableCreditCount = 0
    public var readableDebit: Int128 = 0
    public var readableCredit: Int128 = 0
    public var readableFee: Int128 = 0
    /// Rejected details whose amount or direction cannot be read.
    public var unreadableAmounts = 0
    public var unreadableFees = 0

    public mutating func add(_ other: RejectExplanation) {
        rejectedDetails += other.rejectedDetails
        readableDebitCount += other.readableDebitCount
        readableCreditCount += other.readableCreditCount
        readableDebit += other.readableDebit
        readableCredit += other.readableCredit
        readableFee += other.readableFee
        unreadableAmounts += other.unreadableAmounts
        unreadableFees += other.unreadableFees
    }
}
