import Yams

/// The matching passes of a reconciliation (`--match FILE.yaml`), run in order after the
/// reference join: each pass sees only what the passes before it left unmatched.
///
///     passes:
///       - name: exact                     # reference, merchant, currency, direction, amount
///       - name: near_amount
///         on: [reference, merchant, currency, direction]
///         amount_tolerance: {minor_units: 2, basis_points: 5}
///       - name: daily_deposit
///         kind: one_to_many
///         on: [merchant, currency, date]          # the layout's `date` role, the ledger's date column
///       - name: no_reference
///         on: [merchant, currency, direction, amount]
///         date_window_days: 2                     # the two dates at most 2 days apart
///
/// Passes keyed on `reference` run inside the join of each reduce bucket (they come first); the
/// others re-bucket the leftovers by their own key (`LeftoverPasses`, a second shuffle).
public struct MatchSpec: Sendable, Equatable {
    public enum Key: String, CaseIterable, Sendable {
        case reference, merchant, currency, direction, amount, date
    }

    public enum Kind: String, Sendable {
        case oneToOne = "one_to_one", oneToMany = "one_to_many", manyToOne = "many_to_one"
    }

    /// One pass. Amounts always have to agree: exactly when `amount` is a key, else within the
    /// tolerance (the larger of `toleranceMinor` and `toleranceBasisPoints` of the larger amount,
    /// per pair). Without `direction` among the keys, signed amounts (debit positive) are compared.
    public struct Pass: Sendable, Equatable {
        public var name: String
        public var kind: Kind = .oneToOne
        public var keys: Set<Key>
        public var toleranceMinor: Int64 = 0
        public var toleranceBasisPoints: Int64 = 0
        public var dateWindowDays: Int?

        public var usesReference: Bool { keys.contains(.reference) }
        public var needsDate: Bool { keys.contains(.date) || dateWindowDays != nil }

        /// What a pair is compared on, for the loops that compare many pairs.
        public var rule: PairRule {
            PairRule(merchant: keys.contains(.merchant), currency: keys.contains(.currency), direction: keys.contains(.direction),
                     toleranceMinor: toleranceMinor, toleranceBasisPoints: toleranceBasisPoints,
                     date: keys.contains(.date), dateWindowDays: dateWindowDays.map { Int32(clamping: $0) } ?? -1)
        }

        static let exact = Pass(name: "exact", keys: [.reference, .merchant, .currency, .direction, .amount])
    }

    public var passes: [Pass]
    /// SHA-256 of the file's text ("" for the default), recorded in bucket markers.
    public var fingerprint: String
    /// The file's text and its path as given ("" for the default), kept in the job's manifest.
    public var text = ""
    public var source = ""

    /// The default: one exact pass, today's rule.
    public static let `default` = MatchSpec(passes: [.exact], fingerprint: "")

    /// Whether a pass compares dates: occurrences then carry them (`FilePlan.readsDates`).
    public var needsDate: Bool { passes.contains(where: \.needsDate) }

    /// Passes that run in the join (keyed on reference); they are a prefix of `passes`.
    public var referencePasses: ArraySlice<Pass> { passes.prefix { $0.usesReference } }
    /// Passes that run on the leftovers of the join, after a second shuffle.
    public var leftoverPasses: ArraySlice<Pass> { passes.drop { $0.usesReference } }

    public static func load(path: String) throws -> MatchSpec {
        let text: String
        do {
            text = try FileIO.readSmallText(path: path)
        } catch {
            throw SettleError(.unreadableInput, "cannot read match file \(PathText.display(path)): \(error)")
        }
        return try parse(text: text, source: path)
    }

    /// Reads a match file's text; every problem names the file and its line.
    public static func parse(text: String, source: String) throws -> MatchSpec {
        func fail(_ message: String, _ node: Node?) -> SettleError {
            let line = node?.mark.map { ":\($0.line)" } ?? ""
            return SettleError(.usage, "match file \(source)\(line): \(message)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw SettleError(.usage, "match file \(source): \(YAMLProblem.describe(error, text: text))")
        }
        guard let map = root?.mapping, let list = map["passes"]?.sequence, !list.isEmpty else {
            throw fail("expected `passes:`, a list of at least one pass", root)
        }
        for key in map.keys where key.string != "passes" { throw fail("unknown key '\(key.string ?? "?")' (allowed: passes)", key) }
        var passes: [Pass] = []
        for node in list {
            let pass = try parsePass(node, fail: fail)
            if passes.contains(where: { $0.name == pass.name }) { throw fail("two passes are named '\(pass.name)'", node) }
            if pass.usesReference, let earlier = passes.last, !earlier.usesReference {
                throw fail("pass '\(pass.name)' matches on reference after pass '\(earlier.name)', which does not: passes on reference come first", node)
            }
            passes.append(pass)
        }
        return MatchSpec(passes: passes, fingerprint: SHA256.hash(Array(text.utf8)), text: text, source: source)
    }

    private static func parsePass(_ node: Node, fail: (String, Node?) -> SettleError) throws -> Pass {
        guard let map = node.mapping, let name = map["name"]?.string, !name.isEmpty else {
            throw fail("each pass is a mapping with a `name`", node)
        }
        let allowed: Set = ["name", "kind", "on", "amount_tolerance", "date_window_days"]
        for key in map.keys where !allowed.contains(key.string ?? "") {
            throw fail("pass '\(name)': unknown key '\(key.string ?? "?")' (allowed: \(allowed.sorted().joined(separator: ", ")))", key)
        }
        var pass = name == "exact" && map["on"] == nil ? Pass.exact : Pass(name: name, keys: [])
        if let kind = map["kind"] {
            guard let value = kind.string.flatMap(Kind.init(rawValue:)) else {
                throw fail("pass '\(name)': kind must be one_to_one, one_to_many or many_to_one", kind)
            }
            pass.kind = value
        }
        if let on = map["on"] {
            guard let keys = on.sequence, !keys.isEmpty else { throw fail("pass '\(name)': `on` must list keys", on) }
            for key in keys {
                guard let value = key.string.flatMap(Key.init(rawValue:)) else {
                    throw fail("pass '\(name)': unknown key '\(key.string ?? "?")' in `on` (keys: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))", key)
                }
                pass.keys.insert(value)
            }
        } else if name != "exact" {
            throw fail("pass '\(name)' needs `on:`, the keys it matches on", node)
        }
        if let tolerance = map["amount_tolerance"] {
            guard let parts = tolerance.mapping else { throw fail("pass '\(name)': amount_tolerance is {minor_units: N, basis_points: N}", tolerance) }
            for (key, value) in parts {
                guard let number = value.int, number >= 0 else { throw fail("pass '\(name)': \(key.string ?? "?") must be a whole number of at least 0", value) }
                switch key.string {
                case "minor_units": pass.toleranceMinor = Int64(number)
                case "basis_points": pass.toleranceBasisPoints = Int64(number)
                default: throw fail("pass '\(name)': amount_tolerance has minor_units and basis_points only", key)
                }
            }
            if pass.keys.contains(.amount) { throw fail("pass '\(name)': amount is a key and has a tolerance: give one of them", tolerance) }
        }
        if let window = map["date_window_days"] {
            guard let days = window.int, days >= 0, days <= 3660 else {
                throw fail("pass '\(name)': date_window_days must be a whole number of days (0 to 3660)", window)
            }
            pass.dateWindowDays = days
            if pass.keys.contains(.date) { throw fail("pass '\(name)': date is a key and has a window: give one of them", window) }
            if pass.kind != .oneToOne { throw fail("pass '\(name)': date_window_days pairs one record with one row: use it on a one_to_one pass", window) }
        }
        if pass.kind != .oneToOne && pass.usesReference {
            throw fail("pass '\(name)': \(pass.kind.rawValue) passes group by keys other than reference; remove reference from `on`", node)
        }
        if pass.kind != .oneToOne && pass.keys.contains(.amount) {
            throw fail("pass '\(name)': a \(pass.kind.rawValue) pass compares a group's sum: amount cannot be a key", node)
        }
        return pass
    }

    /// Stops the run before any work when the ledger cannot serve a pass: a pass on reference
    /// (the default `exact` included) over a ledger spec without a reference column.
    /// A pass on dates over a ledger without a date column, or over settlement layouts without a
    /// `date` role (`layoutsWithoutDate`, by name), likewise.
    public func check(ledgerHasReference: Bool, ledgerHasDate: Bool = true, layoutsWithoutDate: [String] = []) throws {
        if !ledgerHasReference, let pass = passes.first(where: \.usesReference) {
            throw SettleError(.usage, "match pass '\(pass.name)' matches on reference, but the ledger spec has no reference column: map columns.reference or give --match passes without reference")
        }
        guard let pass = passes.first(where: \.needsDate) else { return }
        if !ledgerHasDate {
            throw SettleError(.usage, "match pass '\(pass.name)' matches on date, but the ledger has no date column: map columns.date in --ledger-spec (with date_format if it is not YYYY-MM-DD)")
        }
        if let layout = layoutsWithoutDate.first {
            throw SettleError(.usage, "match pass '\(pass.name)' matches on date, but layout '\(layout)' has no date role on its detail record (a fixed-width field of 8 bytes YYYYMMDD or 6 bytes YYMMDD with role: date)")
        }
    }
}

/// A pass's comparison of one settled and one ledger occurrence, flattened for the join's loop:
/// the keys other than reference, and amounts within tolerance (signed when direction is not a key).
public struct PairRule: Sendable, Equatable {
    public var merchant: Bool
    public var currency: Bool
    public var direction: Bool
    public var toleranceMinor: Int64
    public var toleranceBasisPoints: Int64
    /// `date` is a key: both dates known and equal.
    public var date = false
    /// `date_window_days`: both dates known and at most this many days apart; -1 when dates are not compared.
    public var dateWindowDays: Int32 = -1

    /// Whether two amounts in minor units agree: equal, or within the larger of the two
    /// tolerances (basis points of the larger magnitude, rounded down).
    @inline(__always)
    public func agrees(_ a: Int128, _ b: Int128) -> Bool {
        let difference = a > b ? a - b : b - a
        if difference == 0 { return true }
        let larger = Int128(max(a.magnitude, b.magnitude))
        return difference <= max(Int128(toleranceMinor), larger * Int128(toleranceBasisPoints) / 10_000)
    }

    /// Whether a settled and a ledger occurrence pair up.
    @inline(__always)
    public func pairs(_ s: Occurrence, _ l: Occurrence) -> Bool {
        if currency && s.currency != l.currency { return false }
        if date || dateWindowDays >= 0 {
            guard s.hasDate && l.hasDate else { return false }
            let apart = s.date > l.date ? s.date - l.date : l.date - s.date
            if apart > (date ? 0 : dateWindowDays) { return false }
        }
        if merchant && s.merchant != l.merchant { return false }
        if direction {
            if s.isCredit != l.isCredit { return false }
            return agrees(Int128(s.amount), Int128(l.amount))
        }
        return agrees(s.signedAmount, l.signedAmount)
    }
}
