/// Where each role of a detail is read: its own field (`role:` on the field), a field of one of its
/// continuation records or a context field (`roles: {amount: segment_u.amount_paid, date: effective_date}`).
/// One resolution for the validator, the compiler and `layout show`.
public struct ResolvedRole: Sendable {
    public enum Origin: Sendable, Equatable {
        case own
        /// The first continuation record of this spec index after the detail.
        case continuation(Int)
        /// A field of the group header (or else the file header) in force.
        case context
    }

    public var role: FieldRole
    public var field: FieldSpec
    public var origin: Origin
    /// `segment_u.amount_paid`, or the field's name, for messages.
    public var label: String
}

extension StructuredRecordSpec {
    /// Every role of this detail, own fields first; `problems` for names that resolve to nothing.
    func resolvedRoles(in records: [StructuredRecordSpec]) -> (roles: [ResolvedRole], problems: [(message: String, line: Int?)]) {
        var roles = fields.filter { $0.role != nil }.map { ResolvedRole(role: $0.role!, field: $0, origin: .own, label: $0.name) }
        var problems: [(String, Int?)] = []
        for source in self.roles {
            if let other = roles.first(where: { $0.role == source.role }) {
                problems.append(("role '\(source.role.rawValue)' is already given to '\(other.label)'", source.line))
                continue
            }
            if let name = source.record {
                guard let spec = records.firstIndex(where: { $0.kind == .continuation && $0.name == name }) else {
                    problems.append(("'\(name)' is not the name of a continuation record", source.line))
                    continue
                }
                guard let field = records[spec].fields.first(where: { $0.name == source.field }) else {
                    problems.append(("'\(source.field)' is not a field of the continuation '\(name)'", source.line))
                    continue
                }
                roles.append(.init(role: source.role, field: field, origin: .continuation(spec), label: "\(name).\(source.field)"))
            } else {
                let headers = records.filter { $0.kind == .groupHeader } + records.filter { $0.kind == .fileHeader }
                guard let field = headers.lazy.compactMap({ $0.fields.first { $0.name == source.field } }).first else {
                    problems.append(("'\(source.field)' is not a field of a group or file header (RECORD.FIELD names a continuation's)",
                                     source.line))
                    continue
                }
                roles.append(.init(role: source.role, field: field, origin: .context, label: source.field))
            }
        }
        return (roles, problems)
    }
}
