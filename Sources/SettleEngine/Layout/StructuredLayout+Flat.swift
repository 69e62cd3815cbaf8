/// A flat layout (`records: {header, detail, trailer}`) compiled into the same program as a list
/// layout: its header a file header, its detail the one detail, its trailer a file trailer, one
/// scope. What the flat language means beyond that structure is the program's `form: .exact`.
extension StructuredLayout {
    /// How a program reads the lines of a file.
    public enum Form: Sendable, Equatable {
        /// Structured layouts: physical forms are read with a warning (trimmed, multi-byte,
        /// unseparated, blank lines), scopes and their controls are reported per partition.
        case tolerant
        /// Flat layouts: every record is exactly `record_length` bytes (`short_record`,
        /// `overlong_record` otherwise); the file header and trailer are the ones the planner found,
        /// another is `unexpected_header` / `unexpected_trailer` and a record after the trailer
        /// `after_trailer`; a rejected detail's readable amount explains the totals; the trailer's
        /// control roles are checked per file, no scope partials.
        case exact
    }

    /// The program of a flat layout the validator accepted.
    init(flat spec: LayoutSpec) {
        self.init(spec, structure: .flat(spec), form: .exact)
    }

    /// The detail spec's index when the map stage can read every detail at fixed offsets with the
    /// plain loop: an exact form whose one detail takes each role from its own record (unsigned
    /// amounts at the layout's scale, one debit and one credit code; the header's context is never read).
    public var plainDetail: Int? {
        guard form == .exact else { return nil }
        let details = records.indices.filter { records[$0].kind == .detail }
        guard details.count == 1, let index = details.first else { return nil }
        let detail = records[index]
        guard detail.externals.isEmpty, detail.amount != nil, detail.direction != nil, detail.debitCodes.count == 1,
              detail.creditCodes.count == 1, detail.amountMultiplier == 1, !detail.amountSigned, !detail.amountByCurrency,
              detail.fee.map({ _ in detail.feeMultiplier == 1 && !detail.feeSigned && !detail.feeTrailing }) ?? true,
              detail.merchantParts.count == 1, case .own = detail.merchantParts[0], case .own = detail.currency,
              !usesWhen, measures.isEmpty, codePage == .ascii
        else { return nil }
        return index
    }

    /// The first record spec of a kind, if the program has one.
    public func firstRecord(_ kind: StructuredKind) -> Int? {
        records.firstIndex { $0.kind == kind }
    }

    /// The record spec whose type code (read at the positions of the layout's `record_type`) is `code`.
    public func record(code: UInt64) -> Int? {
        records.firstIndex { $0.hasCode && $0.code == code }
    }
}

extension StructuredSpec {
    /// A flat layout's records as a structure: header, detail and trailer become a file header, a
    /// detail and a file trailer (in that order, as `CompiledLayout.records`), one scope.
    static func flat(_ spec: LayoutSpec) -> StructuredSpec {
        let order: [(RecordKind, StructuredKind)] = [(.header, .fileHeader), (.detail, .detail), (.trailer, .fileTrailer)]
        let records = order.compactMap { kind, structured -> StructuredRecordSpec? in
            guard let record = spec.record(kind) else { return nil }
            return StructuredRecordSpec(kind: structured, name: kind.rawValue, code: record.code, codeAt: nil, match: [], when: nil,
                                        length: nil, fill: nil, fields: record.fields, controls: [], line: nil)
        }
        return StructuredSpec(currency: nil, merchant: [], afterTrailer: .reject, records: records)
    }
}

extension StructuredKind {
    /// The flat record kind a program's record stands for (the kind rejects.csv names).
    public var flatKind: RecordKind? {
        switch self {
        case .fileHeader: return .header
        case .detail: return .detail
        case .fileTrailer: return .trailer
        default: return nil
        }
    }
}
