extension RecordInspector {
    /// A structured file read from its start, in order, line by line as the map stage reads it
    /// (`StructuredLine`: blank lines, several records on a line, multi-byte and trimmed records),
    /// keeping the context as the map stage does; record numbers are the map stage's.
    static func inspectStructured(path: String, layout: StructuredLayout, from: Int, limit: Int) throws -> [InspectedRecord] {
        let mapped = try MappedFile(path: path)
        return mapped.withBytes { bytes in
            guard let base = bytes.baseAddress else { return [] }
            let framing = PartitionPlanner.structuredFraming(bytes)
            let start = PartitionPlanner.firstRecordOffset(bytes, strict: false)
            var cursor = RecordCursor(bytes: bytes, range: start..<bytes.count, recordLength: layout.recordLength, framing: framing)
            var reader = StructuredInspection(layout: layout)
            var out: [InspectedRecord] = []
            while out.count < limit, let (offset, rawLength) = cursor.next() {
                for piece in reader.pieces(base, offset: offset, length: rawLength, framing: framing) where out.count < limit {
                    let record = reader.read(piece.bytes, byteOffset: piece.byteOffset, rawLength: piece.rawLength, warning: piece.warning)
                    if record.recordNumber >= from { out.append(record) }
                }
            }
            return out
        }
    }
}

/// The state `settle inspect` keeps while reading a structured file: the context of the headers in
/// force, the conditions that hold, the last detail (for continuations) and the record number.
struct StructuredInspection {
    let layout: StructuredLayout
    var groupContext: [(String, String)] = [], fileContext: [(String, String)] = []
    var lastDetail: Int?
    var number = 0
    var whenHolds: [Bool]

    init(layout: StructuredLayout) {
        self.layout = layout
        whenHolds = [Bool](repeating: false, count: layout.records.count)
    }

    /// The records of one line, as the map stage cuts it.
    func pieces(_ base: UnsafeRawPointer, offset: Int, length: Int,
                framing: Framing) -> [(bytes: [UInt8], byteOffset: Int, rawLength: Int, warning: String?)] {
        let spec = length > 0 ? classify(base, offset: offset, length: length) : nil
        let recordLength = layout.recordLength
        switch StructuredLine.form(base, offset: offset, length: length, spec: spec, layout: layout, framing: framing, strict: false) {
        case .lineEnds:
            return []
        case .blank:
            return [([], offset, 0, StructuredWarning.blankLine.rawValue)]
        case .multibyte(let characters):
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
            defer { scratch.deallocate() }
            StructuredLayout.transcode(base, offset: offset, length: length, into: scratch)
            return [(Array(UnsafeRawBufferPointer(start: scratch, count: characters)), offset, length, StructuredWarning.multibyte.rawValue)]
        case .unseparated(let count):
            return (0..<count).map { piece in
                let at = offset + piece * recordLength
                return (Array(UnsafeRawBufferPointer(start: base + at, count: recordLength)), at, recordLength,
                        StructuredWarning.unseparated.rawValue)
            }
        case .record:
            return [(Array(UnsafeRawBufferPointer(start: base + offset, count: length)), offset, length, nil)]
        }
    }

    func classify(_ pointer: UnsafeRawPointer, offset: Int, length: Int) -> Int? {
        whenHolds.withUnsafeBufferPointer { layout.classify(pointer, offset: offset, length: length, whenHolds: $0.baseAddress) }
    }

    func value(_ name: String) -> String? {
        groupContext.first { $0.0 == name }?.1 ?? fileContext.first { $0.0 == name }?.1
    }

    mutating func updateWhen() {
        for (index, record) in layout.records.enumerated() {
            guard let when = record.spec.when else { continue }
            whenHolds[index] = value(when.field).map { when.values.contains($0) } ?? false
        }
    }

    static func trimmed(_ raw: [UInt8]) -> String {
        var slice = raw[...]
        while slice.first == 0x20 { slice = slice.dropFirst() }
        while slice.last == 0x20 { slice = slice.dropLast() }
        return RecordText.escape(slice)
    }

    /// One record: recognised (padded back when trimmed, as the map stage does), its fields, and its place in the structure.
    mutating func read(_ bytes: [UInt8], byteOffset: Int, rawLength: Int, warning: String?) -> InspectedRecord {
        number += 1
        var line = bytes
        var record = InspectedRecord(recordNumber: number, byteOffset: byteOffset, kind: nil, fields: [], reason: nil, detail: nil,
                                     lengthBytes: rawLength)
        record.warning = warning
        if line.isEmpty { return record }  // a blank line: a warning, no record kind
        var index = line.withUnsafeBytes { classify($0.baseAddress!, offset: 0, length: $0.count) }
        let target = StructuredLine.padTarget(spec: index, length: line.count, kindLength: index.map { layout.records[$0].length } ?? 0,
                                              recordLength: layout.recordLength)
        if target > 0 {
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: layout.maxLength + 16, alignment: 8)
            defer { scratch.deallocate() }
            let repaired = line.withUnsafeBytes { raw in
                whenHolds.withUnsafeBufferPointer {
                    StructuredLine.repaired(raw.baseAddress!, offset: 0, length: raw.count, target: target, layout: layout,
                                            whenHolds: $0.baseAddress, scratch: scratch, capacity: layout.maxLength + 16)
                }
            }
            if let repaired {
                line = Array(UnsafeRawBufferPointer(start: scratch, count: target))
                index = repaired
                record.warning = StructuredWarning.trimmed.rawValue
            }
        }
        guard let index else {
            record.reason = line.count < layout.recordLength ? .shortRecord : .unknownRecordType
            record.detail = RecordValidator.sentence(record.reason!)
            return record
        }
        let compiled = layout.records[index]
        record.specName = compiled.name
        record.structuredKind = compiled.kind
        if line.count > compiled.length {
            record.reason = .overlongRecord
            record.detail = "line is \(line.count) bytes, its kind allows \(compiled.length)"
        }
        let values = readFields(line, compiled, rawLength: rawLength, into: &record)
        place(compiled, values: values, record: &record)
        return record
    }

    /// Every field's value, masked when sensitive; the first invalid one is the record's reason.
    /// A line of another length than its kind's shows its values from a copy masked by `RecordMask`
    /// (every run of 5+ digits where a sensitive field could have slid to).
    func readFields(_ line: [UInt8], _ compiled: StructuredLayout.Record, rawLength: Int,
                    into record: inout InspectedRecord) -> [(String, String)] {
        var values: [(String, String)] = []
        var shown: [UInt8]?
        if rawLength != compiled.length {
            var copy = line
            RecordMask.maskDigitRuns(&copy, within: RecordMask.spans(RecordMask.candidates(layout), length: rawLength))
            shown = copy
        }
        line.withUnsafeBytes { raw in
            let pointer = raw.baseAddress!
            for (fieldIndex, spec) in compiled.spec.fields.enumerated() {
                let field = compiled.fields[fieldIndex]
                guard field.offset + field.length <= raw.count else { continue }
                let problem = [field].withUnsafeBufferPointer { RecordValidator.firstFailure(pointer, offset: 0, fields: $0)?.reason }
                var bytes = Array(raw[field.offset..<(field.offset + field.length)])
                values.append((spec.name, Self.trimmed(bytes)))
                if let shown { bytes = Array(shown[field.offset..<(field.offset + field.length)]) }
                if spec.type == .text || spec.type == .code { while bytes.last == 0x20 { bytes.removeLast() } }
                if spec.sensitive { RecordText.mask(&bytes, range: 0..<bytes.count) }
                record.fields.append(.init(name: spec.name, value: RecordText.escape(bytes), problem: problem))
                if let problem, record.reason == nil {
                    record.reason = problem
                    record.detail = RecordValidator.explain(problem, field: spec, value: spec.sensitive ? nil : bytes)
                }
            }
        }
        return values
    }

    /// The record's place in the structure: headers set the context, details get it and their merchant, continuations their detail.
    mutating func place(_ compiled: StructuredLayout.Record, values: [(String, String)], record: inout InspectedRecord) {
        switch compiled.kind {
        case .fileHeader:
            fileContext = values
            groupContext = []
            updateWhen()
            lastDetail = nil
        case .groupHeader:
            groupContext = values
            updateWhen()
            lastDetail = nil
        case .detail:
            record.context = groupContext + fileContext
            let parts = compiled.merchantParts.compactMap { part -> String? in
                switch part {
                case .own(let at, _): return values.first { name, _ in compiled.spec.fields.first { $0.name == name }?.position.offset == at }?.1
                case .context(let slot): return value(layout.slotNames[slot])
                case .missing: return nil
                }
            }.filter { !$0.isEmpty }
            record.merchant = parts.joined(separator: "|")
            lastDetail = number
        case .continuation:
            record.attachedTo = lastDetail
            if lastDetail == nil && record.reason == nil {
                record.reason = .orphanContinuation
                record.detail = RecordValidator.sentence(.orphanContinuation)
            }
        case .groupTrailer, .fileTrailer:
            lastDetail = nil
        case .other, .filler:
            break
        }
    }
}
