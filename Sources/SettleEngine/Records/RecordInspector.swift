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
        if layout.program.form == .tolerant {
            return try inspectStructured(path: path, layout: layout.program, from: from, limit: limit)
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

    /// A record of a program of the exact form (a flat layout): its kind by its type code, its
    /// length checked against the layout's, then each field.
    static func inspectRecord(_ bytes: UnsafeRawBufferPointer, offset: Int, length: Int, number: Int,
                              layout: CompiledLayout) -> InspectedRecord {
        let base = bytes.baseAddress!
        let program = layout.program
        var record = InspectedRecord(recordNumber: number, byteOffset: offset, kind: nil, fields: [], reason: nil,
                                     detail: nil, lengthBytes: length)
        let code = RecordCursor.typeCode(base, offset: offset, length: length, positions: program.records.first?.codeAt ?? [])
        guard let code, let index = program.record(code: code) else {
            record.reason = length < program.recordLength ? .shortRecord : .unknownRecordType
            record.detail = RecordValidator.sentence(record.reason!)
            return record
        }
        let kind = program.records[index]
        record.kind = kind.kind.flatKind
        if length < program.recordLength {
            record.reason = .shortRecord
            record.detail = "record is \(length) bytes, the layout's record_length is \(program.recordLength)"
        } else if length > program.recordLength {
            record.reason = .overlongRecord
            record.detail = "line is \(length) bytes, the layout's record_length is \(program.recordLength)"
        }
        // A record of the wrong length: its values are read from a copy masked as rejects.csv shows it.
        let shown = length == program.recordLength ? nil
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
}
