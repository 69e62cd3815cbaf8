/// Parses records for people (`settle inspect`): every field of every record with its value and,
/// when invalid, the reason. Not the hot path: it allocates freely.
public struct InspectedRecord: Sendable {
    public struct Field: Sendable {
        public var name: String
        /// The value as shown: text right-trimmed, escaped, and masked when sensitive.
        public var value: String
        public var problem: RejectReason?
    }

    public var recordNumber: Int
    public var byteOffset: Int
    /// nil when the record type is unknown or the record is too short to tell.
    public var kind: RecordKind?
    public var fields: [Field]
    /// Why the record as a whole is invalid (first failing check), if it is.
    public var reason: RejectReason?
    public var detail: String?
    public var lengthBytes: Int
    /// Structured layouts: the record spec's name and kind, the context in force (for details:
    /// the group and file header fields, by name), the merchant key, and for a continuation the
    /// record number of the detail it belongs to.
    public var specName: String?
    public var structuredKind: StructuredKind?
    public var context: [(name: String, value: String)] = []
    public var merchant: String?
    public var attachedTo: Int?
    /// A physical-form warning the record was read with (trimmed, multibyte).
    public var warning: String?
}

public enum RecordInspector {
    /// Records `from` (1-based) onwards, at most `limit`.
    public static func inspect(path: String, layout: CompiledLayout, from: Int, limit: Int) throws -> [InspectedRecord] {
        if let structured = layout.structured {
            return try inspectStructured(path: path, layout: structured, from: from, limit: limit)
        }
        let mapped = try MappedFile(path: path)
        return mapped.withBytes { bytes in
            let framing = PartitionPlanner.framing(for: layout.spec.terminator, recordLength: layout.recordLength, bytes: bytes)
            var cursor = RecordCursor(bytes: bytes, range: 0..<bytes.count, recordLength: layout.recordLength, framing: framing)
            var number = 0
            var out: [InspectedRecord] = []
            while out.count < limit, let (offset, length) = cursor.next() {
                number += 1
                if number < from { continue }
                out.append(inspectRecord(bytes, offset: offset, length: length, number: number, layout: layout))
            }
            return out
        }
    }

    static func inspectRecord(_ bytes: UnsafeRawBufferPointer, offset: Int, length: Int, number: Int,
                              layout: CompiledLayout) -> InspectedRecord {
        let base = bytes.baseAddress!
        var record = InspectedRecord(recordNumber: number, byteOffset: offset, kind: nil, fields: [], reason: nil,
                                     detail: nil, lengthBytes: length)
        let code = RecordCursor.typeCode(base, offset: offset, length: length, positions: layout.typePositions)
        guard let code, let kind = layout.record(code: code) else {
            record.reason = length < layout.recordLength ? .shortRecord : .unknownRecordType
            record.detail = RecordValidator.sentence(record.reason!)
            return record
        }
        record.kind = kind.kind
        if length < layout.recordLength {
            record.reason = .shortRecord
            record.detail = "record is \(length) bytes, the layout's record_length is \(layout.recordLength)"
        } else if length > layout.recordLength {
            record.reason = .overlongRecord
            record.detail = "line is \(length) bytes, the layout's record_length is \(layout.recordLength)"
        }
        // A record of the wrong length: its values are read from a copy masked as rejects.csv shows it.
        let shown = length == layout.recordLength ? nil
            : RecordMask.masked(Array(UnsafeRawBufferPointer(start: base + offset, count: length)), layout: layout)
        for (index, spec) in kind.spec.fields.enumerated() {
            let field = kind.fields[index]
            guard field.offset + field.length <= length else {
                record.fields.append(.init(name: spec.name, value: "", problem: .shortRecord))
                continue
            }
            let problem = [field].withUnsafeBufferPointer {
                RecordValidator.firstFailure(base, offset: offset, fields: $0)?.reason
            }
            var raw = shown.map { Array($0[field.offset..<(field.offset + field.length)]) }
                ?? Array(UnsafeRawBufferPointer(start: base + offset + field.offset, count: field.length))
            if spec.type == .text || spec.type == .code {
                while raw.last == 0x20 { raw.removeLast() }
            }
            if spec.sensitive { RecordText.mask(&raw, range: 0..<raw.count) }
            record.fields.append(.init(name: spec.name, value: RecordText.escape(raw), problem: problem))
            if let problem, record.reason == nil {
                record.reason = problem
                record.detail = RecordValidator.explain(problem, field: spec, value: spec.sensitive ? nil : raw)
            }
        }
        return record
    }

    /// A structured file read from its start, in order, keeping the context as the map stage does.
    static func inspectStructured(path: String, layout: StructuredLayout, from: Int, limit: Int) throws -> [InspectedRecord] {
        let mapped = try MappedFile(path: path)
        return mapped.withBytes { bytes in
            guard let base = bytes.baseAddress else { return [] }
            let framing = PartitionPlanner.structuredFraming(bytes)
            let start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
            var cursor = RecordCursor(bytes: bytes, range: start..<bytes.count, recordLength: layout.recordLength, framing: framing)
            var groupContext: [(String, String)] = [], fileContext: [(String, String)] = []
            var lastDetail: Int?
            var number = 0
            var out: [InspectedRecord] = []
            var whenHolds = [Bool](repeating: false, count: layout.records.count)
            func value(_ name: String) -> String? {
                groupContext.first { $0.0 == name }?.1 ?? fileContext.first { $0.0 == name }?.1
            }
            func updateWhen() {
                for (index, record) in layout.records.enumerated() {
                    guard let when = record.spec.when else { continue }
                    whenHolds[index] = value(when.field).map { when.values.contains($0) } ?? false
                }
            }
            func trimmed(_ raw: [UInt8]) -> String {
                var slice = raw[...]
                while slice.first == 0x20 { slice = slice.dropFirst() }
                while slice.last == 0x20 { slice = slice.dropLast() }
                return RecordText.escape(slice)
            }
            while out.count < limit, let (offset, rawLength) = cursor.next() {
                number += 1
                var line = Array(UnsafeRawBufferPointer(start: base + offset, count: rawLength))
                var warning: String?
                if line.count > layout.recordLength && line.contains(where: { $0 >= 0x80 }) {
                    let characters = line.filter { $0 & 0xC0 != 0x80 }.map { $0 >= 0x80 ? UInt8(ascii: "?") : $0 }
                    if characters.count == layout.recordLength {
                        line = characters
                        warning = "multibyte"
                    }
                }
                var index = line.withUnsafeBytes { raw in
                    whenHolds.withUnsafeBufferPointer { layout.classify(raw.baseAddress ?? base, offset: 0, length: raw.count, whenHolds: $0.baseAddress) }
                }
                let wanted = index.map { layout.records[$0].length } ?? layout.recordLength
                if line.count < wanted {
                    line += [UInt8](repeating: 0x20, count: wanted - line.count)
                    warning = "trimmed"
                    index = line.withUnsafeBytes { raw in
                        whenHolds.withUnsafeBufferPointer { layout.classify(raw.baseAddress!, offset: 0, length: raw.count, whenHolds: $0.baseAddress) }
                    }
                }
                var record = InspectedRecord(recordNumber: number, byteOffset: offset, kind: nil, fields: [], reason: nil, detail: nil,
                                             lengthBytes: rawLength)
                record.warning = warning
                guard let index else {
                    record.reason = .unknownRecordType
                    record.detail = RecordValidator.sentence(.unknownRecordType)
                    if number >= from { out.append(record) }
                    continue
                }
                let compiled = layout.records[index]
                record.specName = compiled.name
                record.structuredKind = compiled.kind
                if line.count > compiled.length {
                    record.reason = .overlongRecord
                    record.detail = "line is \(line.count) bytes, its kind allows \(compiled.length)"
                }
                var values: [(String, String)] = []
                // A line of another length than its kind's: its values are shown from a masked copy.
                var shown: [UInt8]?
                if rawLength != compiled.length {
                    shown = line
                    RecordMask.maskDigitRuns(&shown!, within: RecordMask.spans(RecordMask.candidates(layout), length: rawLength))
                }
                line.withUnsafeBytes { raw in
                    let pointer = raw.baseAddress!
                    for (fieldIndex, spec) in compiled.spec.fields.enumerated() {
                        let field = compiled.fields[fieldIndex]
                        guard field.offset + field.length <= raw.count else { continue }
                        let problem = [field].withUnsafeBufferPointer { RecordValidator.firstFailure(pointer, offset: 0, fields: $0)?.reason }
                        var bytes = Array(raw[field.offset..<(field.offset + field.length)])
                        values.append((spec.name, trimmed(bytes)))
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
                if number >= from { out.append(record) }
            }
            return out
        }
    }
}
