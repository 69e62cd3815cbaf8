/// A layout compiled once into flat tables of 0-based offsets, for the hot loop.
///
/// Everything the map stage needs per record is a plain integer here: no strings, no dictionaries.
/// `start` (1-based, in the YAML) becomes `offset` (0-based) in this one place.
public struct CompiledLayout: Sendable {
    /// One field as the hot loop sees it.
    public struct Field: Sendable {
        public var offset: Int
        public var length: Int
        public var type: FieldType
        public var optional: Bool
        /// For code fields: the accepted values packed with `FieldDecoder.pack`.
        public var codes: [UInt64]
        /// Index into the record spec's `fields`, for names in messages.
        public var index: Int
    }

    /// One record kind as the hot loop sees it.
    public struct Record: Sendable {
        public var kind: RecordKind
        public var code: UInt64
        public var fields: [Field]
        public var spec: RecordSpec
        /// 0-based byte ranges masked when the record is shown.
        public var sensitiveRanges: [Range<Int>]

        public func field(role: FieldRole) -> Field? {
            guard let index = spec.fields.firstIndex(where: { $0.role == role }) else { return nil }
            return fields.first { $0.index == index }
        }
    }

    public let spec: LayoutSpec
    public let recordLength: Int
    /// 0-based offset and length of the record-type code (several positions are concatenated).
    public let typePositions: [(offset: Int, length: Int)]
    public let header: Record?
    public let detail: Record
    public let trailer: Record?

    // Detail roles, as plain offsets.
    public let merchant: Field
    public let currency: Field
    public let amount: Field
    public let direction: Field
    public let debitCode: UInt64
    public let creditCode: UInt64
    public let fee: Field?
    public let reference: Field?
    /// Set for a structured layout; the flat properties above are then placeholders, never read.
    public let structured: StructuredLayout?
    /// The program the map stage runs, for every layout: `structured`, or a flat layout compiled
    /// into a file header, a detail and a file trailer (`StructuredLayout(flat:)`).
    public let program: StructuredLayout

    /// Compiles a validated spec; throws the validator's issues if it is not valid.
    public init(_ spec: LayoutSpec) throws(LayoutError) {
        let issues = LayoutValidator.validate(spec)
        if !issues.isEmpty { throw LayoutError(source: spec.source, issues: issues) }
        self.spec = spec
        self.recordLength = spec.recordLength
        self.typePositions = spec.recordType.map { ($0.offset, $0.length) }
        if let structure = spec.structure {
            let structured = StructuredLayout(spec, structure: structure)
            self.structured = structured
            program = structured
            let placeholder = Field(offset: 0, length: 0, type: .text, optional: true, codes: [], index: -1)
            header = nil
            trailer = nil
            detail = Record(kind: .detail, code: UInt64.max, fields: [], spec: RecordSpec(kind: .detail, code: "", fields: []),
                            sensitiveRanges: [])
            merchant = placeholder
            currency = placeholder
            amount = placeholder
            direction = placeholder
            debitCode = UInt64.max
            creditCode = UInt64.max
            fee = nil
            reference = Self.widestReference(structured)
            return
        }
        structured = nil
        program = StructuredLayout(flat: spec)
        func compile(_ record: RecordSpec) -> Record {
            let fields = record.fields.enumerated().map { index, field in
                Field(offset: field.position.offset, length: field.position.length, type: field.type,
                      optional: field.optional, codes: field.acceptedCodes.map { FieldDecoder.pack(Array($0.utf8)) },
                      index: index)
            }
            let sensitive = record.fields.filter(\.sensitive).map { $0.position.offset..<($0.position.offset + $0.position.length) }
            return Record(kind: record.kind, code: FieldDecoder.pack(Array(record.code.utf8)), fields: fields,
                          spec: record, sensitiveRanges: sensitive)
        }
        header = spec.record(.header).map(compile)
        trailer = spec.record(.trailer).map(compile)
        // The validator guarantees a detail record and the required roles.
        let detail = compile(spec.record(.detail)!)
        self.detail = detail
        merchant = detail.field(role: .merchant)!
        currency = detail.field(role: .currency)!
        amount = detail.field(role: .amount)!
        direction = detail.field(role: .direction)!
        let directionSpec = detail.spec.fields[direction.index]
        debitCode = FieldDecoder.pack(Array(directionSpec.debit!.utf8))
        creditCode = FieldDecoder.pack(Array(directionSpec.credit!.utf8))
        fee = detail.field(role: .fee)
        reference = Self.widestReference(program)
    }

    /// The widest reference of any detail: digit-only references are padded to it, on both sides.
    private static func widestReference(_ program: StructuredLayout) -> Field? {
        program.records.filter { $0.kind == .detail }.compactMap(\.reference).max { $0.length < $1.length }
    }

    /// The most bytes a detail's currency can take (a code, a field or a context slot): reconciliation
    /// keeps a tag in the fourth byte, so it takes codes of at most 3.
    public var currencyWidth: Int {
        if let constant = program.constantCurrency { return CurrencyCode(raw: constant).bytes.count }
        return program.records.filter { $0.kind == .detail }.map { record in
            switch record.currency {
            case .own(_, let length): return length
            case .context(let slot): return program.slotCapacities[slot]
            case .missing: return 0
            }
        }.max() ?? 0
    }

    /// The record kind for a packed type code, if the layout declares it.
    public func record(code: UInt64) -> Record? {
        if code == detail.code { return detail }
        if let header, code == header.code { return header }
        if let trailer, code == trailer.code { return trailer }
        return nil
    }

    /// Every record kind, header first.
    public var records: [Record] { [header, detail, trailer].compactMap { $0 } }
}
