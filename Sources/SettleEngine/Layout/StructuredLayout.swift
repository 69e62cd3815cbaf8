/// A structured layout compiled once into flat tables of 0-based offsets, for the map loop: record
/// recognition, context slots, the merchant key's parts, and the control measures each record
/// kind feeds. Built by `CompiledLayout` when the spec is structured.
public struct StructuredLayout: Sendable {
    public let records: [Record]
    public let recognizers: [Recognizer]
    /// When every spec that is not filler reads its code from the same first position, the index of
    /// the first such spec whose code starts with each byte (255: none). Filler specs come first in
    /// any layout that has them and are checked apart. Nil when the layout does not allow it.
    public let firstCandidate: [UInt8]?
    /// Context slots: names, byte capacity and offset in one flat buffer; group slots first.
    public let slotNames: [String]
    public let slotOffsets: [Int]
    public let slotCapacities: [Int]
    public let groupSlotCount: Int
    public let contextBytes: Int
    public let measures: [Measure]
    public let hasGroupHeaders: Bool
    public let hasGroupTrailers: Bool
    public let hasFileHeaders: Bool
    public let hasFileTrailers: Bool
    public let afterTrailer: StructuredSpec.AfterTrailer
    /// The layout's `record_length`, and the longest record any kind allows.
    public let recordLength: Int
    public let maxLength: Int
    /// The longest detail with its external role fields (the scanner's assembled record).
    public let maxAssembledLength: Int
    /// Implied decimals of every amount in the totals.
    public let scale: Int
    public let constantCurrency: UInt32?
    public let usesWhen: Bool
    /// The code page the file is written in (the layout's `encoding`, resolved per file): recognition
    /// codes are compiled into it, and the map stage translates each record through it.
    package let codePage: CodePage
    /// Some detail's currency is an ISO 4217 numeric code (`codes: iso4217-numeric`).
    public let usesNumericCurrency: Bool

    init(_ spec: LayoutSpec, structure: StructuredSpec) {
        let specs = structure.records
        recordLength = spec.recordLength
        afterTrailer = structure.afterTrailer
        hasGroupHeaders = specs.contains { $0.kind == .groupHeader }
        hasGroupTrailers = specs.contains { $0.kind == .groupTrailer }
        hasFileHeaders = specs.contains { $0.kind == .fileHeader }
        hasFileTrailers = specs.contains { $0.kind == .fileTrailer }
        maxLength = specs.map { $0.length ?? spec.recordLength }.max() ?? spec.recordLength
        usesWhen = specs.contains { $0.when != nil }
        let codePage = spec.encoding.codePage
        self.codePage = codePage
        func encoded(_ text: String) -> [UInt8] { Self.encoded(text, codePage) }
        // Context slots: group header fields, then file header fields.
        var names: [String] = [], capacities: [Int] = []
        // One slot per field name of the headers of `kind`, as long as its longest variant.
        func slots(of kind: StructuredKind) -> [String: Int] {
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
        let groupSlot = slots(of: .groupHeader)
        groupSlotCount = names.count
        let fileSlot = slots(of: .fileHeader)
        var offsets: [Int] = []
        var total = 0
        for capacity in capacities {
            offsets.append(total)
            total += capacity
        }
        slotNames = names
        slotOffsets = offsets
        slotCapacities = capacities
        contextBytes = total
        func slot(_ name: String) -> Int? { groupSlot[name] ?? fileSlot[name] }

        // Measures, deduplicated over every control.
        var measures: [Measure] = []
        for record in specs {
            for control in record.controls {
                guard let measure = Self.measure(control), !measures.contains(measure) else { continue }
                measures.append(measure)
            }
        }
        self.measures = measures

        scale = specs.filter { $0.kind == .detail }
            .flatMap { $0.resolvedRoles(in: specs).roles.filter { $0.role == .amount || $0.role == .fee } }
            .map { $0.field.scaleFromCurrency ? ISO4217.maxMinorUnits : ($0.field.scale ?? 2) }.max() ?? 2
        if case .value(let code)? = structure.currency {
            constantCurrency = CurrencyCode(code).raw
        } else {
            constantCurrency = nil
        }
        let scale = self.scale
        func power(_ exponent: Int) -> Int64 { (0..<max(0, exponent)).reduce(1) { value, _ in value * 10 } }

        var compiled: [Record] = []
        for (index, record) in specs.enumerated() {
            let fields = record.fields.enumerated().map { fieldIndex, field in
                CompiledLayout.Field(offset: field.position.offset, length: field.position.length, type: field.type,
                                     optional: field.optional, codes: field.acceptedCodes.map { FieldDecoder.pack(Array($0.utf8)) },
                                     index: fieldIndex)
            }
            func field(named name: String) -> CompiledLayout.Field? {
                record.fields.firstIndex { $0.name == name }.map { fields[$0] }
            }
            // Each role's field: its own, or one placed after its bytes in the assembled record.
            var roleFields: [FieldRole: (CompiledLayout.Field, FieldSpec)] = [:]
            var externals: [External] = []
            var assembled = record.length ?? spec.recordLength
            if record.kind == .detail {
                for role in record.resolvedRoles(in: specs).roles {
                    if role.origin == .own, let index = record.fields.firstIndex(of: role.field) {
                        roleFields[role.role] = (fields[index], role.field)
                        continue
                    }
                    var external = External(continuation: -1, slot: -1, sourceOffset: role.field.position.offset,
                                            length: role.field.position.length, targetOffset: assembled,
                                            field: CompiledLayout.Field(offset: 0, length: 0, type: .text, optional: true, codes: [], index: -1),
                                            spec: role.field, label: role.label)
                    if case .continuation(let spec) = role.origin {
                        external.continuation = spec
                    } else {
                        external.slot = slot(role.field.name) ?? -1
                        external.length = external.slot >= 0 ? capacities[external.slot] : role.field.position.length
                    }
                    external.field = CompiledLayout.Field(offset: assembled, length: external.length, type: role.field.type,
                                                          optional: role.field.optional,
                                                          codes: role.field.acceptedCodes.map { FieldDecoder.pack(Array($0.utf8)) },
                                                          index: record.fields.count + externals.count)
                    roleFields[role.role] = (external.field, role.field)
                    externals.append(external)
                    assembled += external.length
                }
            }
            func field(role: FieldRole) -> (CompiledLayout.Field, FieldSpec)? { roleFields[role] }
            let codeAt = (record.codeAt ?? spec.recordType).map { ($0.offset, $0.length) }
            let when = record.when
            var compiledRecord = Record(
                index: index, kind: record.kind, name: record.name, codeAt: codeAt,
                code: record.code.map { FieldDecoder.pack(encoded($0)) } ?? 0, hasCode: record.code != nil,
                matches: record.match.map { ($0.start - 1, $0.value.utf8.count, FieldDecoder.pack(encoded($0.value))) },
                whenSlot: when.flatMap { slot($0.field) } ?? -1,
                whenValues: when?.values.map { Array($0.utf8) } ?? [],
                length: record.length ?? spec.recordLength,
                fill: record.fill.flatMap { encoded($0).first },
                fields: fields, spec: record,
                sensitiveRanges: record.fields.filter(\.sensitive).map { $0.position.offset..<($0.position.offset + $0.position.length) },
                contextWrites: [])
            if record.kind == .groupHeader || record.kind == .fileHeader {
                compiledRecord.contextWrites = record.fields.map { field in
                    let slotIndex = record.kind == .groupHeader ? groupSlot[field.name]! : fileSlot[field.name]!
                    return (slotIndex, field.position.offset, field.position.length)
                }
            }
            compiledRecord.externals = externals
            compiledRecord.assembledLength = assembled
            var needed: [Int] = []
            for external in externals where external.continuation >= 0 && !needed.contains(external.continuation) {
                needed.append(external.continuation)
            }
            compiledRecord.continuations = needed
            // A continuation whose role fields are all optional may be absent (Visa's TCR 5 fee): blanks.
            compiledRecord.optionalContinuations = needed.filter { spec in
                externals.filter { $0.continuation == spec }.allSatisfy(\.spec.optional)
            }
            if record.kind == .detail {
                if let (amount, amountSpec) = field(role: .amount) {
                    compiledRecord.amount = amount
                    compiledRecord.amountSigned = amountSpec.type == .signedAmount
                    compiledRecord.amountMultiplier = amountSpec.scaleFromCurrency ? 1 : power(scale - (amountSpec.scale ?? 2))
                    compiledRecord.amountByCurrency = amountSpec.scaleFromCurrency
                }
                if let (direction, directionSpec) = field(role: .direction) {
                    compiledRecord.direction = direction
                    let debits = directionSpec.debitValues.isEmpty ? [directionSpec.debit].compactMap { $0 } : directionSpec.debitValues
                    let credits = directionSpec.creditValues.isEmpty ? [directionSpec.credit].compactMap { $0 } : directionSpec.creditValues
                    compiledRecord.debitCodes = debits.map { FieldDecoder.pack(Array($0.utf8)) }
                    compiledRecord.creditCodes = credits.map { FieldDecoder.pack(Array($0.utf8)) }
                }
                if let (fee, feeSpec) = field(role: .fee) {
                    compiledRecord.fee = fee
                    compiledRecord.feeSigned = feeSpec.type == .signedAmount
                    compiledRecord.feeTrailing = feeSpec.type == .signedTrailing
                    compiledRecord.feeMultiplier = power(scale - (feeSpec.scale ?? 2))
                }
                compiledRecord.reference = field(role: .reference)?.0
                compiledRecord.date = field(role: .date)?.0
                func source(_ name: String) -> Source {
                    if let own = field(named: name) { return .own(offset: own.offset, length: own.length) }
                    return slot(name).map { .context($0) } ?? .missing
                }
                if let (merchant, _) = field(role: .merchant), merchant.offset >= compiledRecord.length {
                    compiledRecord.merchantParts = [.own(offset: merchant.offset, length: merchant.length)]
                } else if structure.merchant.isEmpty {
                    if let (merchant, _) = field(role: .merchant) {
                        compiledRecord.merchantParts = [.own(offset: merchant.offset, length: merchant.length)]
                    }
                } else {
                    compiledRecord.merchantParts = structure.merchant.map(source)
                }
                compiledRecord.merchantFromContext = compiledRecord.merchantParts.allSatisfy {
                    if case .own = $0 { return false } else { return true }
                }
                switch structure.currency {
                case _ where (field(role: .currency)?.0.offset ?? 0) >= compiledRecord.length:
                    let currency = field(role: .currency)!.0
                    compiledRecord.currency = .own(offset: currency.offset, length: currency.length)
                case .field(let name)?: compiledRecord.currency = source(name)
                case .value?: compiledRecord.currency = .missing
                case nil:
                    if let (currency, _) = field(role: .currency) {
                        compiledRecord.currency = .own(offset: currency.offset, length: currency.length)
                    }
                }
                compiledRecord.currencyNumeric = Self.currencyIsNumeric(record, structure: structure, in: specs,
                                                                        roleField: field(role: .currency)?.1)
            }
            // The measures this record feeds.
            for (measureIndex, measure) in measures.enumerated() {
                var update = Update(measure: measureIndex, operation: .count)
                if let kinds = measure.kinds {
                    guard kinds.contains(record.kind) else { continue }
                } else if let sum = measure.sum {
                    // A field sum also adds the records of kind `other` that have the field (Visa's fee collections).
                    guard record.kind == .detail || (record.kind == .other && Self.isFieldSum(sum)) else { continue }
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
                } else if record.kind == .filler {
                    // count: all
                }
                if let whereField = measure.whereField {
                    guard record.kind == .detail || record.kind == .other, let source = field(named: whereField) else { continue }
                    update.whereOffset = source.offset
                    update.whereLength = min(source.length, 8)
                    update.whereValues = measure.whereValues.map { value in
                        var bytes = Array(value.utf8.prefix(source.length))
                        while bytes.count < min(source.length, 8) { bytes.append(0x20) }
                        return FieldDecoder.pack(bytes)
                    }
                }
                compiledRecord.updates.append(update)
            }
            compiled.append(compiledRecord)
        }
        records = compiled
        usesNumericCurrency = compiled.contains { $0.currencyNumeric }
        maxAssembledLength = compiled.map(\.assembledLength).max() ?? recordLength
        recognizers = compiled.map { record in
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
        firstCandidate = Self.candidates(recognizers)
    }
}
