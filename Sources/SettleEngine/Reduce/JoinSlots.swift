/// Where the join of one bucket puts what it finds when `--match` is given: the mismatch kinds
/// first (slot = `MismatchKind.rawValue`), then one slot per pass (`kinds + pass index`) for the
/// pairs that pass matched. Without `--match` there are only the kinds, as always.
struct JoinSlots {
    static let kinds = MismatchKind.allCases.count

    let match: MatchSpec?
    /// The passes keyed on reference, which the join runs.
    let referencePasses: [MatchSpec.Pass]
    let rules: [PairRule]

    /// With `--open-items`, the partition index of carried occurrences.
    let carriedPartition: Int?

    init(match: MatchSpec?, carriedPartition: Int? = nil) {
        self.match = match
        self.carriedPartition = carriedPartition
        referencePasses = match.map { Array($0.referencePasses) } ?? []
        rules = referencePasses.map(\.rule)
    }

    /// Buckets of the mismatch run: the kinds, then each pass's match rows.
    var count: Int { Self.kinds + (match?.passes.count ?? 0) }
    /// Entries of `counts`: rows per bucket of the run, then per pass the pairs matched without a row.
    var countsSize: Int { Self.kinds + 2 * (match?.passes.count ?? 0) }

    func unwritten(pass: Int) -> Int { Self.kinds + (match?.passes.count ?? 0) + pass }

    /// Whether an occurrence is an open item carried in from an earlier night.
    @inline(__always)
    func isCarried(_ key: ReferenceKey) -> Bool { carriedPartition.map { key.partition >= $0 } ?? false }

    /// Missing rows may still be matched by a later pass: their per-merchant counts are left to
    /// `LeftoverPasses`, which counts what stays unmatched.
    var defersMissing: Bool { carriedPartition != nil || (match.map { !$0.leftoverPasses.isEmpty } ?? false) }

    /// No pass is keyed on reference: the join pairs nothing, every occurrence is a leftover.
    var leavesAllToLeftovers: Bool { match != nil && referencePasses.isEmpty }

    func slot(pass: Int) -> Int { Self.kinds + pass }

    /// Pairs matched by `exact` are only counted (unless late); other passes' pairs are rows of matches.csv.
    func writesRows(_ pass: Int) -> Bool { referencePasses[pass].name != "exact" }

    /// The first pass keyed on reference that pairs `s` with `l`, or nil (and nil without `--match`).
    @inline(__always)
    func pass(matching s: Occurrence, _ l: Occurrence) -> Int? {
        guard match != nil else { return nil }
        for index in rules.indices where rules[index].pairs(s, l) { return index }
        return nil
    }
}
