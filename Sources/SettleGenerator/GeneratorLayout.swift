import SettleEngine

/// The layout as the generator sees it: for each record kind a template (spaces, the record-type code,
/// the terminator) and what to put in each field, decided from the field's role and type.
///
/// Built from `LayoutSpec` directly, not from the engine's `CompiledLayout`, so that a mistake in one
/// reading of the layout shows up as a disagreement with the other.
struct GeneratorLayout {
    /// What the generator writes into a field.
    enum Fill: Equatable {
        // Detail roles, from the transaction.
        case reference, merchant, currency, amount, direction, fee
        /// The first date field of a detail record: the transaction date.
        case transactionDate
        /// Any other date field: the file (settlement) date.
        case fileDate
        /// Trailer roles, from the running control totals.
        case controlCount, controlDebit, controlCredit, controlFee
        /// Fields without a role, by type.
        case digits, smallAmount
        /// A text field: a variant from its pool of printable texts.
        case text(pool: Int)
        /// A code field: one of `count` values, stored from `start` in `codeBytes`.
        case code(start: Int, count: Int)
    }

    /// One field: plain integers only, so the hot loop copies no references.
    struct Field {
        /// 0-based offset within the record.
        var offset: Int
        var length: Int
        var fill: Fill
        /// Blank is allowed (only fields without a role are ever left blank).
        var optional: Bool
    }

    /// One record kind.
    struct Record {
        var kind: RecordKind
        /// The record's bytes before any field is filled, terminator included.
        var template: [UInt8]
        var fields: [Field]
        /// Field names, parallel to `fields` (kept apart so `fields` holds no strings).
        var names: [String]
    }

    /// A text field's pool: its length and whether blank variants are allowed.
    struct TextPool {
        var length: Int
        var optional: Bool
    }

    let name: String
    let recordLength: Int
    let terminator: [UInt8]
    let header: Record?
    let detail: Record
    let trailer: Record?
    /// Every code field's values back to back, each value `field.length` bytes.
    let codeBytes: [UInt8]
    let textPools: [TextPool]

    // The detail fields faults are injected into.
    let amountField: Field
    let amountName: String
    let directionField: Field
    let directionName: String
    let firstDateField: Field?
    let firstDateName: String?
    let debitCode: [UInt8]
    let creditCode: [UInt8]
    /// A value of the direction field's length that is neither debit nor credit nor any listed value.
    let invalidDirectionCode: [UInt8]

    // What the merchant, currency, amount, fee and reference fields can hold.
    let merchantSpec: FieldSpec
    let currencySpec: FieldSpec
    let feeLength: Int?
    let referenceLength: Int?
    /// The detail record's reference field, if the layout has one.
    let referenceField: Field?
    /// Bytes a record needs to show its whole record type.
    let recordTypeEnd: Int

    /// Bytes from the start of one record to the start of the next.
    var recordStride: Int { recordLength + terminator.count }

    init(_ spec: LayoutSpec) throws(SettleError) {
        name = spec.name
        recordLength = spec.recordLength
        let terminator: [UInt8]
        switch spec.terminator {
        case .lf, .auto: terminator = [0x0A]
        case .crlf: terminator = [0x0D, 0x0A]
        case .none: terminator = []
        }
        self.terminator = terminator
        guard let detailSpec = spec.record(.detail) else {
            throw SettleError(.invalidLayout, "layout \(spec.source) has no detail record")
        }
        var codes: [UInt8] = []
        var pools: [TextPool] = []
        func plan(_ record: RecordSpec) throws(SettleError) -> Record {
            var template = [UInt8](repeating: 0x20, count: spec.recordLength)
            let code = Array(record.code.utf8)
            var codeIndex = 0
            for position in spec.recordType {
                for offset in position.offset..<(position.offset + position.length) where codeIndex < code.count {
                    template[offset] = code[codeIndex]
                    codeIndex += 1
                }
            }
            template.append(contentsOf: terminator)
            var fields: [Field] = []
            var sawDate = false
            for field in record.fields {
                let fill: Fill
                switch (field.role, field.type) {
                case (.reference?, _): fill = .reference
                case (.merchant?, _): fill = .merchant
                case (.currency?, _): fill = .currency
                case (.amount?, _): fill = .amount
                case (.direction?, _): fill = .direction
                case (.fee?, _): fill = .fee
                case (.controlCount?, _): fill = .controlCount
                case (.controlDebit?, _): fill = .controlDebit
                case (.controlCredit?, _): fill = .controlCredit
                case (.controlFee?, _): fill = .controlFee
                case (nil, .date), (.date?, _):  // a `date` role is written as any date field
                    guard field.position.length == 8 else {
                        throw SettleError(.usage, "the generator writes YYYYMMDD dates; field '\(field.name)' has \(field.position.length) bytes")
                    }
                    fill = record.kind == .detail && !sawDate ? .transactionDate : .fileDate
                    sawDate = true
                case (nil, .digits): fill = .digits
                case (nil, .amount): fill = .smallAmount
                case (nil, .signedAmount), (nil, .signedTrailing):
                    throw SettleError(.usage, "the generator does not write signed_amount fields ('\(field.name)')")
                case (nil, .text):
                    fill = .text(pool: pools.count)
                    pools.append(TextPool(length: field.position.length, optional: field.optional))
                case (nil, .code):
                    let values = field.acceptedCodes
                    fill = .code(start: codes.count, count: values.count)
                    for value in values { codes.append(contentsOf: value.utf8) }
                }
                fields.append(Field(offset: field.position.offset, length: field.position.length, fill: fill,
                                    optional: field.optional && field.role == nil))
            }
            return Record(kind: record.kind, template: template, fields: fields, names: record.fields.map(\.name))
        }
        let header = try spec.record(.header).map(plan)
        let detail = try plan(detailSpec)
        let trailer = try spec.record(.trailer).map(plan)
        self.header = header
        self.detail = detail
        self.trailer = trailer
        codeBytes = codes
        textPools = pools

        func roleField(_ role: FieldRole) throws(SettleError) -> (Field, FieldSpec) {
            guard let index = detailSpec.fields.firstIndex(where: { $0.role == role }) else {
                throw SettleError(.invalidLayout, "layout \(spec.source) has no detail field with role '\(role.rawValue)'")
            }
            return (detail.fields[index], detailSpec.fields[index])
        }
        let (amount, amountSpec) = try roleField(.amount)
        amountField = amount
        amountName = amountSpec.name
        let (direction, directionSpec) = try roleField(.direction)
        directionField = direction
        directionName = directionSpec.name
        debitCode = Array((directionSpec.debit ?? "").utf8)
        creditCode = Array((directionSpec.credit ?? "").utf8)
        let accepted = Set(directionSpec.acceptedCodes.map { Array($0.utf8) })
        let candidates = Array("XZQYW".utf8).map { [UInt8](repeating: $0, count: direction.length) }
        invalidDirectionCode = candidates.first { !accepted.contains($0) }!
        if let index = detail.fields.firstIndex(where: { $0.fill == .transactionDate }) {
            firstDateField = detail.fields[index]
            firstDateName = detail.names[index]
        } else {
            firstDateField = nil
            firstDateName = nil
        }
        merchantSpec = try roleField(.merchant).1
        currencySpec = try roleField(.currency).1
        feeLength = detailSpec.fields.first { $0.role == .fee }?.position.length
        referenceLength = detailSpec.fields.first { $0.role == .reference }?.position.length
        referenceField = detailSpec.fields.firstIndex { $0.role == .reference }.map { detail.fields[$0] }
        recordTypeEnd = spec.recordType.map { $0.offset + $0.length }.max() ?? 0
    }
}
