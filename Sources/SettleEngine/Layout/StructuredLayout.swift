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
    /// The tables above as plain buffers for the map loop, built once with the layout.
    let tables: StructuredTables
    /// The code page the file is written in (the layout's `encoding`, resolved per file): recognition
    /// codes are compiled into it, and the map stage translates each record through it.
    package let codePage: CodePage
    /// Some detail's currency is an ISO 4217 numeric code (`codes: iso4217-numeric`).
    public let usesNumericCurrency: Bool
    /// How the file's records are read (see `Form`).
    public let form: Form

    init(_ spec: LayoutSpec, structure: StructuredSpec, form: Form = .tolerant) {
        let specs = structure.records
        self.form = form
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
        let slots = ContextSlots(specs)
        slotNames = slots.names
        slotOffsets = slots.offsets
        slotCapacities = slots.capacities
        groupSlotCount = slots.groupCount
        contextBytes = slots.totalBytes
        let measures = Self.measures(specs)
        self.measures = measures
        let scale = specs.filter { $0.kind == .detail }
            .flatMap { $0.resolvedRoles(in: specs).roles.filter { $0.role == .amount || $0.role == .fee } }
            .map { $0.field.scaleFromCurrency ? ISO4217.maxMinorUnits : ($0.field.scale ?? 2) }.max() ?? 2
        self.scale = scale
        if case .value(let code)? = structure.currency {
            constantCurrency = CurrencyCode(code).raw
        } else {
            constantCurrency = nil
        }
        let context = CompileContext(spec: spec, structure: structure, slots: slots, measures: measures, scale: scale, codePage: codePage)
        let compiled = specs.indices.map { Self.compileRecord($0, context) }
        records = compiled
        usesNumericCurrency = compiled.contains { $0.currencyNumeric }
        maxAssembledLength = compiled.map(\.assembledLength).max() ?? recordLength
        let recognizers = compiled.map(Self.recognizer)
        self.recognizers = recognizers
        let firstCandidate = Self.candidates(recognizers)
        self.firstCandidate = firstCandidate
        tables = StructuredTables(records: compiled, recognizers: recognizers, firstCandidate: firstCandidate, measures: measures)
    }
}
