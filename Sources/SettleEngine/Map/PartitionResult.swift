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
    /// CRC-32C of the rejects file, as written.
    public var rejectsChecksum: UInt32?
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
    /// When the partition was folded into a worker's table with others: the checkpoint that spilled
    /// them together (its runs are listed by the owner's result only).
    public var checkpoint: CheckpointGroup?
    /// SHA-256 digests (32 bytes each, concatenated) of the file's `ContentDigest` blocks that start in
    /// this partition (set by `MapWorker.map`); nil when unknown, as in a marker of a Settle that did
    /// not record them.
    public var contentDigests: [UInt8]?
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

/// The sums of a partition's valid detail records, kept in locals by the map loops and added to the
/// partition's result at the end. Amounts are below 10^18 and a partition holds far fewer than 2^60
/// records, so the wrapping adds cannot wrap.
struct ValidSums {
    var details = 0, debitCount = 0, creditCount = 0
    var debit: Int128 = 0, credit: Int128 = 0, fee: Int128 = 0

    @inline(__always)
    mutating func add(isDebit: Bool, amount: Int64, fee: Int64) {
        details &+= 1
        if isDebit {
            debitCount &+= 1
            debit &+= Int128(amount)
        } else {
            creditCount &+= 1
            credit &+= Int128(amount)
        }
        self.fee &+= Int128(fee)
    }

    func add(to result: inout PartitionResult) {
        result.validDetails += details
        result.validDebitCount += debitCount
        result.validCreditCount += creditCount
        result.validDebit += debit
        result.validCredit += credit
        result.validFee += fee
    }
}
