/// A structured layout compiled once into flat tables of 0-based offsets, for the map loop: record
/// recognition, context slots, the merchant key's parts, and the control measures each record
/// kind feeds. Built by `CompiledLayout` when the spec is structured.
public struct StructuredLayout: Sendable {
    /// Where a merchant or currency part comes from.
    public enum Source: Sendable, Equatable {
        /// A field of the record itself.
        case own(offset: Int, length: Int)
        /// A context slot (a field of the group or file header in force).
        case context(Int)
        /// Not defined for this record.
        case missing
    }

    /// What one record adds to a scope's measures.
    public struct Update: Sendable {
        public enum Operation: Sendable, Equatable {
            case count, debit, credit, amount, net, fee
            /// The digits field at this offset and length.
            case field(offset: Int, length: Int)
        }
        public var measure: Int
        public var operation: Operation
        /// Only when this field (offset, length) holds one of `whereValues` (packed, blank-padded).
        public var whereOffset = -1
        public var whereLength = 0
        public var whereValues: [UInt64] = []
    }

    /// One measure accumulated per scope (deduplicated across controls).
    public struct Measure: Sendable, Hashable {
        public var kinds: [StructuredKind]?
        public var sum: ControlSpec.Sum?
        public var whereField: String?
        public var whereValues: [String]
    }

    /// What recognising a record needs, as plain values (no arrays): up to three code positions and
    /// three match entries inline, so the per-record loop copies nothing that is reference counted.
    public struct Recognizer: Sendable {
        public var hasFill = false
        public var fill: UInt8 = 0
        public var length = 0
        public var hasCode = false
        public var code: UInt64 = 0
        public var codeCount = 0
        public var code0 = (offset: 0, length: 0), code1 = (offset: 0, length: 0), code2 = (offset: 0, length: 0)
        public var matchCount = 0
        public var match0 = (offset: 0, length: 0, value: UInt64(0)), match1 = (offset: 0, length: 0, value: UInt64(0)),
                   match2 = (offset: 0, length: 0, value: UInt64(0))
        public var hasWhen = false

        @inline(__always)
        func codeMatches(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
            var value: UInt64 = 0
            for index in 0..<codeCount {
                let position = index == 0 ? code0 : index == 1 ? code1 : code2
                if position.offset + position.length > length { return false }
                value = value << (8 * UInt64(position.length)) | FieldDecoder.pack(base, offset: offset + position.offset, length: position.length)
            }
            return value == code
        }

        @inline(__always)
        func matchesHold(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
            for index in 0..<matchCount {
                let match = index == 0 ? match0 : index == 1 ? match1 : match2
                if match.offset + match.length > length
                    || FieldDecoder.pack(base, offset: offset + match.offset, length: match.length) != match.value { return false }
            }
            return true
        }
    }

    /// Plain values of a detail's roles, for the per-record loop.
    public struct Roles: Sendable {
        public var amountOffset = 0, amountLength = 0, hasAmount = false, amountSigned = false, amountMultiplier: Int64 = 1
        public var directionOffset = 0, directionLength = 0, hasDirection = false
        public var feeOffset = 0, feeLength = 0, hasFee = false, feeSigned = false, feeMultiplier: Int64 = 1
        public var referenceOffset = 0, referenceLength = 0, hasReference = false
    }

    public struct Record: Sendable {
        public var index: Int
        public var kind: StructuredKind
        public var name: String
        public var codeAt: [(offset: Int, length: Int)]
        public var code: UInt64
        public var hasCode: Bool
        public var matches: [(offset: Int, length: Int, value: UInt64)]
        /// Context slot whose trimmed value must be in `whenValues`, or -1.
        public var whenSlot: Int
        public var whenValues: [[UInt8]]
        public var length: Int
        public var fill: UInt8?
        public var fields: [CompiledLayout.Field]
        public var spec: StructuredRecordSpec
        public var sensitiveRanges: [Range<Int>]
        /// Header fields copied into context slots: (slot, offset, length).
        public var contextWrites: [(slot: Int, offset: Int, length: Int)]
        public var amount: CompiledLayout.Field?
        public var amountSigned = false
        public var amountMultiplier: Int64 = 1
        public var direction: CompiledLayout.Field?
        public var debitCodes: [UInt64] = []
        public var creditCodes: [UInt64] = []
        public var fee: CompiledLayout.Field?
        public var feeSigned = false
        public var feeMultiplier: Int64 = 1
        public var merchantParts: [Source] = []
        /// Every part comes from context: the key is computed once per context change.
        public var merchantFromContext = false
        public var currency: Source = .missing
        public var reference: CompiledLayout.Field?
        public var date: CompiledLayout.Field?
        public var updates: [Update] = []
        /// Role fields read from another record of the entry, copied after the detail's own bytes
        /// (`targetOffset`): the detail is then read from that assembled record.
        public var externals: [External] = []
        /// The continuation specs the detail needs (deferred until they are read), in order.
        public var continuations: [Int] = []
        /// The detail's bytes followed by its external role fields.
        public var assembledLength = 0
    }

    /// One role field of a detail read from a continuation (`slot` -1) or a context slot.
    public struct External: Sendable {
        public var continuation: Int
        public var slot: Int
        public var sourceOffset: Int
        public var length: Int
        public var targetOffset: Int
        /// As validated in the assembled record.
        public var field: CompiledLayout.Field
        public var spec: FieldSpec
        /// `segment_u.amount_paid`, for rejects.
        public var label: String
    }

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
            .map { $0.field.scale ?? 2 }.max() ?? 2
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
                code: record.code.map { FieldDecoder.pack(Array($0.utf8)) } ?? 0, hasCode: record.code != nil,
                matches: record.match.map { ($0.start - 1, $0.value.utf8.count, FieldDecoder.pack(Array($0.value.utf8))) },
                whenSlot: when.flatMap { slot($0.field) } ?? -1,
                whenValues: when?.values.map { Array($0.utf8) } ?? [],
                length: record.length ?? spec.recordLength,
                fill: record.fill?.utf8.first,
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
            if record.kind == .detail {
                if let (amount, amountSpec) = field(role: .amount) {
                    compiledRecord.amount = amount
                    compiledRecord.amountSigned = amountSpec.type == .signedAmount
                    compiledRecord.amountMultiplier = power(scale - (amountSpec.scale ?? 2))
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
            }
            // The measures this record feeds.
            for (measureIndex, measure) in measures.enumerated() {
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
                } else if record.kind == .filler {
                    // count: all
                }
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
                compiledRecord.updates.append(update)
            }
            compiled.append(compiledRecord)
        }
        records = compiled
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

    static func candidates(_ recognizers: [Recognizer]) -> [UInt8]? {
        let coded = recognizers.filter { !$0.hasFill }
        guard recognizers.count < 255, !coded.isEmpty, coded.allSatisfy({ $0.hasCode && $0.codeCount > 0 }) else { return nil }
        let first = coded[0].code0
        guard coded.allSatisfy({ $0.code0 == first }) else { return nil }
        // Fill specs must all come before the coded ones (they are checked first).
        guard let firstCoded = recognizers.firstIndex(where: { !$0.hasFill }),
              recognizers[firstCoded...].allSatisfy({ !$0.hasFill }) else { return nil }
        var table = [UInt8](repeating: 255, count: 256)
        for (index, recognizer) in recognizers.enumerated() where !recognizer.hasFill {
            let totalLength = (0..<recognizer.codeCount).reduce(0) { sum, at in
                sum + (at == 0 ? recognizer.code0.length : at == 1 ? recognizer.code1.length : recognizer.code2.length)
            }
            let byte = Int(UInt8(truncatingIfNeeded: recognizer.code >> UInt64(8 * (totalLength - 1))))
            if table[byte] == 255 { table[byte] = UInt8(index) }
        }
        return table
    }

    /// A line longer than a record whose UTF-8 characters number a record's length: read with each
    /// multi-byte character as one byte. Returns that character count, or nil.
    func multibyteLength(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int? {
        var characters = 0
        for index in 0..<length where base.load(fromByteOffset: offset + index, as: UInt8.self) & 0xC0 != 0x80 { characters += 1 }
        guard characters != length, characters <= maxLength,
              characters == recordLength || records.contains(where: { $0.length == characters }) else { return nil }
        return characters
    }

    /// Copies a line into `scratch`, each multi-byte character as one `?`.
    static func transcode(_ base: UnsafeRawPointer, offset: Int, length: Int, into scratch: UnsafeMutableRawPointer) {
        var out = 0
        for index in 0..<length {
            let byte = base.load(fromByteOffset: offset + index, as: UInt8.self)
            if byte & 0xC0 == 0x80 { continue }
            scratch.storeBytes(of: byte >= 0x80 ? UInt8(ascii: "?") : byte, toByteOffset: out, as: UInt8.self)
            out += 1
        }
    }

    /// The plain role values of a record.
    public func roles(_ index: Int) -> Roles {
        let record = records[index]
        var roles = Roles()
        if let amount = record.amount {
            roles.hasAmount = true
            roles.amountOffset = amount.offset
            roles.amountLength = amount.length
            roles.amountSigned = record.amountSigned
            roles.amountMultiplier = record.amountMultiplier
        }
        if let direction = record.direction {
            roles.hasDirection = true
            roles.directionOffset = direction.offset
            roles.directionLength = direction.length
        }
        if let fee = record.fee {
            roles.hasFee = true
            roles.feeOffset = fee.offset
            roles.feeLength = fee.length
            roles.feeSigned = record.feeSigned
            roles.feeMultiplier = record.feeMultiplier
        }
        if let reference = record.reference {
            roles.hasReference = true
            roles.referenceOffset = reference.offset
            roles.referenceLength = reference.length
        }
        return roles
    }

    static func measure(_ control: ControlSpec) -> Measure? {
        switch control.measure {
        case .count(let kinds): return Measure(kinds: kinds, sum: nil, whereField: control.whereField, whereValues: control.whereValues)
        case .sum(let sum): return Measure(kinds: nil, sum: sum, whereField: control.whereField, whereValues: control.whereValues)
        case .equals: return nil
        }
    }

    /// The index of a control's measure.
    public func measureIndex(_ control: ControlSpec) -> Int? {
        Self.measure(control).flatMap { measures.firstIndex(of: $0) }
    }

    /// Which record a physical record is, given whether each `when` holds now (`whenHolds`, by record
    /// index; nil ignores conditions, as the planner does when it only needs the kind).
    @inline(__always)
    public func classify(_ base: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        recognizers.withUnsafeBufferPointer { Self.classify($0, base, offset: offset, length: length, whenHolds: whenHolds) }
    }

    /// `classify`, starting at the first spec whose code can match the record's first code byte
    /// (after the filler specs, which are tried first).
    @inline(__always)
    static func classify(_ recognizers: UnsafeBufferPointer<Recognizer>, firstCandidate: UnsafeMutablePointer<UInt8>?,
                         _ base: UnsafeRawPointer, offset: Int, length: Int, whenHolds: UnsafePointer<Bool>?) -> Int? {
        guard let firstCandidate else { return classify(recognizers, base, offset: offset, length: length, whenHolds: whenHolds) }
        var index = 0
        while index < recognizers.count && recognizers[index].hasFill {
            let recognizer = recognizers[index]
            if length == recognizer.length && length > 0 && base.load(fromByteOffset: offset, as: UInt8.self) == recognizer.fill {
                var all = true
                for position in 1..<length where base.load(fromByteOffset: offset + position, as: UInt8.self) != recognizer.fill {
                    all = false
                    break
                }
                if all { return index }
            }
            index += 1
        }
        let position = recognizers[index].code0
        guard position.offset < length else { return nil }
        let start = Int(firstCandidate[Int(base.load(fromByteOffset: offset + position.offset, as: UInt8.self))])
        guard start != 255 else { return nil }
        for index in start..<recognizers.count {
            let recognizer = recognizers[index]
            if !recognizer.codeMatches(base, offset: offset, length: length) { continue }
            if recognizer.matchCount > 0 && !recognizer.matchesHold(base, offset: offset, length: length) { continue }
            if recognizer.hasWhen, let whenHolds, !whenHolds[index] { continue }
            return index
        }
        return nil
    }

    /// The recognition loop over plain values: fill, code, matches, condition, in order.
    @inline(__always)
    static func classify(_ recognizers: UnsafeBufferPointer<Recognizer>, _ base: UnsafeRawPointer, offset: Int, length: Int,
                         whenHolds: UnsafePointer<Bool>?) -> Int? {
        for index in 0..<recognizers.count {
            let recognizer = recognizers[index]
            if recognizer.hasFill {
                guard length == recognizer.length else { continue }
                var all = true
                for position in 0..<length where base.load(fromByteOffset: offset + position, as: UInt8.self) != recognizer.fill {
                    all = false
                    break
                }
                if all { return index }
                continue
            }
            if recognizer.hasCode && !recognizer.codeMatches(base, offset: offset, length: length) { continue }
            if recognizer.matchCount > 0 && !recognizer.matchesHold(base, offset: offset, length: length) { continue }
            if recognizer.hasWhen, let whenHolds, !whenHolds[index] { continue }
            return index
        }
        return nil
    }

}
