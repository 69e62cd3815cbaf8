/// How `StructuredLayout.init` compiles a spec: context slots, measures, each record's fields,
/// roles (own or external), merchant and currency sources, measure updates, recognizer.
extension StructuredLayout {
    /// Context slots: one per field name of the group headers, then of the file headers, each as
    /// long as the name's longest variant; offsets into one flat buffer.
    struct ContextSlots {
        var names: [String] = []
        var capacities: [Int] = []
        var offsets: [Int] = []
        var group: [String: Int] = [:]
        var file: [String: Int] = [:]
        var groupCount = 0
        var totalBytes = 0

        init(_ specs: [StructuredRecordSpec]) {
            group = slots(of: .groupHeader, specs)
            groupCount = names.count
            file = slots(of: .fileHeader, specs)
            for capacity in capacities {
                offsets.append(totalBytes)
                totalBytes += capacity
            }
        }

        private mutating func slots(of kind: StructuredKind, _ specs: [StructuredRecordSpec]) -> [String: Int] {
            var slots: [String: Int] = [:]
            for record in specs where record.kind == kind {
                for field in record.fields {
                    if let slot = slots[field.name] {
                        capacities[slot] = max(capacities[slot], field.position.length)
                    } else {
                        slots[field.name] = names.count
                        names.append(field.name)
                        capacities.append(field.position.length)
                    }
                }
            }
            return slots
        }

        func slot(_ name: String) -> Int? { group[name] ?? file[name] }
    }

    /// Measures, deduplicated over every control.
    static func measures(_ specs: [StructuredRecordSpec]) -> [Measure] {
        var measures: [Measure] = []
        for record in specs {
            for control in record.controls {
                guard let measure = measure(control), !measures.contains(measure) else { continue }
                measures.append(measure)
            }
        }
        return measures
    }

    /// What every record's compilation shares.
    struct CompileContext {
        var spec: LayoutSpec
        var structure: StructuredSpec
        var slots: ContextSlots
        var measures: [Measure]
        var scale: Int
    }

    static func compiledField(_ field: FieldSpec, offset: Int, length: Int, index: Int) -> CompiledLayout.Field {
        CompiledLayout.Field(offset: offset, length: length, type: field.type, optional: field.optional,
                             codes: field.acceptedCodes.map { FieldDecoder.pack(Array($0.utf8)) }, index: index)
    }

    static func compileRecord(_ index: Int, _ context: CompileContext) -> Record {
        let spec = context.spec, specs = context.structure.records, slots = context.slots
        let record = specs[index]
        let fields = record.fields.enumerated().map { fieldIndex, field in
            compiledField(field, offset: field.position.offset, length: field.position.length, index: fieldIndex)
        }
        let when = record.when
        var compiled = Record(
            index: index, kind: record.kind, name: record.name, codeAt: (record.codeAt ?? spec.recordType).map { ($0.offset, $0.length) },
            code: record.code.map { FieldDecoder.pack(Array($0.utf8)) } ?? 0, hasCode: record.code != nil,
            matches: record.match.map { ($0.start - 1, $0.value.utf8.count, FieldDecoder.pack(Array($0.value.utf8))) },
            whenSlot: when.flatMap { slots.slot($0.field) } ?? -1,
            whenValues: when?.values.map { Array($0.utf8) } ?? [],
            length: record.length ?? spec.recordLength,
            fill: record.fill?.utf8.first,
            fields: fields, spec: record,
            sensitiveRanges: record.fields.filter(\.sensitive).map { $0.position.offset..<($0.position.offset + $0.position.length) },
            contextWrites: [])
        if record.kind == .groupHeader || record.kind == .fileHeader {
            compiled.contextWrites = record.fields.map { field in
                let slotIndex = record.kind == .groupHeader ? slots.group[field.name]! : slots.file[field.name]!
                return (slotIndex, field.position.offset, field.position.length)
            }
        }
        let roleFields = record.kind == .detail ? placeRoles(of: &compiled, context) : [:]
        var needed: [Int] = []
        for external in compiled.externals where external.continuation >= 0 && !needed.contains(external.continuation) {
            needed.append(external.continuation)
        }
        compiled.continuations = needed
        if record.kind == .detail { applyRoles(roleFields, to: &compiled, context) }
        compiled.updates = updates(of: compiled, context)
        return compiled
    }

    /// Each role's field of a detail: its own, or one placed after its bytes in the assembled
    /// record (`externals`, `assembledLength`).
    private static func placeRoles(of compiled: inout Record, _ context: CompileContext)
        -> [FieldRole: (CompiledLayout.Field, FieldSpec)] {
        let record = compiled.spec, slots = context.slots
        var roleFields: [FieldRole: (CompiledLayout.Field, FieldSpec)] = [:]
        var externals: [External] = []
        var assembled = compiled.length
        for role in record.resolvedRoles(in: context.structure.records).roles {
            if role.origin == .own, let index = record.fields.firstIndex(of: role.field) {
                roleFields[role.role] = (compiled.fields[index], role.field)
                continue
            }
            var external = External(continuation: -1, slot: -1, sourceOffset: role.field.position.offset,
                                    length: role.field.position.length, targetOffset: assembled,
                                    field: CompiledLayout.Field(offset: 0, length: 0, type: .text, optional: true, codes: [], index: -1),
                                    spec: role.field, label: role.label)
            if case .continuation(let spec) = role.origin {
                external.continuation = spec
            } else {
                external.slot = slots.slot(role.field.name) ?? -1
                external.length = external.slot >= 0 ? slots.capacities[external.slot] : role.field.position.length
            }
            external.field = compiledField(role.field, offset: assembled, length: external.length,
                                           index: record.fields.count + externals.count)
            roleFields[role.role] = (external.field, role.field)
            externals.append(external)
            assembled += external.length
        }
        compiled.externals = externals
        compiled.assembledLength = assembled
        return roleFields
    }

    /// A detail's amount, direction, fee, reference, date, merchant parts and currency source.
    private static func applyRoles(_ roleFields: [FieldRole: (CompiledLayout.Field, FieldSpec)], to compiled: inout Record,
                                   _ context: CompileContext) {
        func power(_ exponent: Int) -> Int64 { (0..<max(0, exponent)).reduce(1) { value, _ in value * 10 } }
        let structure = context.structure
        if let (amount, amountSpec) = roleFields[.amount] {
            compiled.amount = amount
            compiled.amountSigned = amountSpec.type == .signedAmount
            compiled.amountMultiplier = power(context.scale - (amountSpec.scale ?? 2))
        }
        if let (direction, directionSpec) = roleFields[.direction] {
            compiled.direction = direction
            let debits = directionSpec.debitValues.isEmpty ? [directionSpec.debit].compactMap { $0 } : directionSpec.debitValues
            let credits = directionSpec.creditValues.isEmpty ? [directionSpec.credit].compactMap { $0 } : directionSpec.creditValues
            compiled.debitCodes = debits.map { FieldDecoder.pack(Array($0.utf8)) }
            compiled.creditCodes = credits.map { FieldDecoder.pack(Array($0.utf8)) }
        }
        if let (fee, feeSpec) = roleFields[.fee] {
            compiled.fee = fee
            compiled.feeSigned = feeSpec.type == .signedAmount
            compiled.feeMultiplier = power(context.scale - (feeSpec.scale ?? 2))
        }
        compiled.reference = roleFields[.reference]?.0
        compiled.date = roleFields[.date]?.0
        let record = compiled.spec, fields = compiled.fields
        func source(_ name: String) -> Source {
            if let own = record.fields.firstIndex(where: { $0.name == name }).map({ fields[$0] }) {
                return .own(offset: own.offset, length: own.length)
            }
            return context.slots.slot(name).map { .context($0) } ?? .missing
        }
        if let (merchant, _) = roleFields[.merchant], merchant.offset >= compiled.length {
            compiled.merchantParts = [.own(offset: merchant.offset, length: merchant.length)]
        } else if structure.merchant.isEmpty {
            if let (merchant, _) = roleFields[.merchant] {
                compiled.merchantParts = [.own(offset: merchant.offset, length: merchant.length)]
            }
        } else {
            compiled.merchantParts = structure.merchant.map(source)
        }
        compiled.merchantFromContext = compiled.merchantParts.allSatisfy {
            if case .own = $0 { return false } else { return true }
        }
        switch structure.currency {
        case _ where (roleFields[.currency]?.0.offset ?? 0) >= compiled.length:
            let currency = roleFields[.currency]!.0
            compiled.currency = .own(offset: currency.offset, length: currency.length)
        case .field(let name)?: compiled.currency = source(name)
        case .value?: compiled.currency = .missing
        case nil:
            if let (currency, _) = roleFields[.currency] {
                compiled.currency = .own(offset: currency.offset, length: currency.length)
            }
        }
    }

    /// The measures a record feeds.
    private static func updates(of compiled: Record, _ context: CompileContext) -> [Update] {
        let record = compiled.spec
        func field(named name: String) -> CompiledLayout.Field? {
            record.fields.firstIndex { $0.name == name }.map { compiled.fields[$0] }
        }
        var updates: [Update] = []
        for (measureIndex, measure) in context.measures.enumerated() {
            var update = Update(measure: measureIndex, operation: .count)
            if let kinds = measure.kinds {
                guard kinds.contains(record.kind) else { continue }
            } else if let sum = measure.sum {
                guard record.kind == .detail else { continue }
                switch sum {
                case .debit: update.operation = .debit
                case .credit: update.operation = .credit
                case .amount: update.operation = .amount
                case .net: update.operation = .net
                case .fee: update.operation = .fee
                case .field(let name):
                    guard let source = field(named: name) else { continue }
                    update.operation = .field(offset: source.offset, length: source.length)
                }
            }
            // Otherwise `count: all`.
            if let whereField = measure.whereField {
                guard record.kind == .detail, let source = field(named: whereField) else { continue }
                update.whereOffset = source.offset
                update.whereLength = min(source.length, 8)
                update.whereValues = measure.whereValues.map { value in
                    var bytes = Array(value.utf8.prefix(source.length))
                    while bytes.count < min(source.length, 8) { bytes.append(0x20) }
                    return FieldDecoder.pack(bytes)
                }
            }
            updates.append(update)
        }
        return updates
    }

    /// What recognising a record needs, as plain values.
    static func recognizer(_ record: Record) -> Recognizer {
        var recognizer = Recognizer()
        recognizer.length = record.length
        if let fill = record.fill {
            recognizer.hasFill = true
            recognizer.fill = fill
        }
        recognizer.hasCode = record.hasCode
        recognizer.code = record.code
        recognizer.codeCount = record.hasCode ? record.codeAt.count : 0
        for (index, position) in record.codeAt.prefix(3).enumerated() {
            switch index {
            case 0: recognizer.code0 = position
            case 1: recognizer.code1 = position
            default: recognizer.code2 = position
            }
        }
        recognizer.matchCount = record.matches.count
        for (index, match) in record.matches.prefix(3).enumerated() {
            switch index {
            case 0: recognizer.match0 = match
            case 1: recognizer.match1 = match
            default: recognizer.match2 = match
            }
        }
        recognizer.hasWhen = record.whenSlot >= 0
        return recognizer
    }
}
