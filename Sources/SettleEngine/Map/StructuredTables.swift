/// The read-only tables of one structured layout as plain buffers: built once per compiled layout
/// (not per partition) and owned, with their storage, for the layout's lifetime.
///
/// The scanner copies `buffers` (a struct of plain pointers and counts) into its own `let` when a
/// partition starts and holds this owner for as long as it runs, so its record loop reads no
/// reference-counted value (an earlier version read the tables through a class reference per
/// record: +16% instructions per NACHA line, retain/release and a call that was not inlined).
final class StructuredTables: @unchecked Sendable {
    // @unchecked Sendable: every buffer is written once in `init` and only read afterwards; the
    // pointers themselves are `let`s.
    /// The buffers as plain values (pointers and counts): what the scanner copies at partition start.
    struct Buffers {
        let recognizers: UnsafeMutableBufferPointer<StructuredLayout.Recognizer>
        /// By the first byte of the record-type code: the first spec that can match (see `StructuredLayout.firstCandidate`).
        let firstCandidate: UnsafeMutablePointer<UInt8>?
        let kinds: UnsafeMutablePointer<StructuredKind>
        let lengths: UnsafeMutablePointer<Int>
        let roles: UnsafeMutablePointer<StructuredLayout.Roles>
        let fieldBuffers: UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>
        let fieldStorage: UnsafeMutableBufferPointer<CompiledLayout.Field>
        let fieldCount: Int
        /// Direction codes: debit codes then credit codes of each record, `(start, debits, credits)`.
        let codes: UnsafeMutableBufferPointer<UInt64>
        let codeRanges: UnsafeMutablePointer<(start: Int, debits: Int, credits: Int)>
        /// Measure updates of each record, `(start, count)` into `updates`; `where` values in `whereValues`.
        let updates: UnsafeMutableBufferPointer<FlatUpdate>
        let updateRanges: UnsafeMutablePointer<(start: Int, count: Int)>
        let whereValues: UnsafeMutableBufferPointer<UInt64>
        /// Merchant key parts of each record, `(start, count, fromContext)` into `merchantParts`; currency source.
        let merchantParts: UnsafeMutableBufferPointer<StructuredLayout.Source>
        let merchantRanges: UnsafeMutablePointer<(start: Int, count: Int, fromContext: Bool)>
        let currencySources: UnsafeMutablePointer<StructuredLayout.Source>
        // Details whose roles come from other records of their entry (see StructuredScanner+Entry.swift).
        let hasExternals: UnsafeMutablePointer<Bool>
        let externalFieldStorage: UnsafeMutableBufferPointer<CompiledLayout.Field>
        let externalFieldCount: Int
        let externalFields: UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>
    }

    let buffers: Buffers
    /// Measures fed by every physical record (`count: [all]`), for records no spec recognises.
    let allMeasures: [Int]

    /// One measure update as plain values.
    struct FlatUpdate {
        enum Operation: UInt8 { case count, debit, credit, amount, net, fee, field }
        var measure: Int
        var operation: Operation
        var fieldOffset = 0, fieldLength = 0
        var whereOffset = -1, whereLength = 0, whereStart = 0, whereCount = 0
    }

    init(records: [StructuredLayout.Record], recognizers compiled: [StructuredLayout.Recognizer], firstCandidate table: [UInt8]?,
         measures: [StructuredLayout.Measure]) {
        let count = records.count
        let recognizers = UnsafeMutableBufferPointer<StructuredLayout.Recognizer>.allocate(capacity: max(1, count))
        _ = recognizers.initialize(from: compiled)
        var firstCandidate: UnsafeMutablePointer<UInt8>?
        if let table {
            firstCandidate = .allocate(capacity: 256)
            firstCandidate!.initialize(from: table, count: 256)
        }
        let kinds = Self.buffer(records.map(\.kind))
        let lengths = Self.buffer(records.map(\.length))
        let roles = Self.buffer(records.map(\.roles))
        let (fieldStorage, fieldBuffers) = Self.segments(records.map(\.fields))
        let fieldCount = records.reduce(0) { $0 + $1.fields.count }
        let allCodes = records.flatMap { $0.debitCodes + $0.creditCodes }
        let codes = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, allCodes.count))
        _ = codes.initialize(from: allCodes)
        var at = 0
        let codeRanges = Self.buffer(records.map { record in
            defer { at += record.debitCodes.count + record.creditCodes.count }
            return (at, record.debitCodes.count, record.creditCodes.count)
        })
        var flat: [FlatUpdate] = [], values: [UInt64] = [], ranges: [(start: Int, count: Int)] = []
        for record in records {
            ranges.append((flat.count, record.updates.count))
            for update in record.updates { flat.append(Self.flatten(update, values: &values)) }
        }
        let updates = UnsafeMutableBufferPointer<FlatUpdate>.allocate(capacity: max(1, flat.count))
        _ = updates.initialize(from: flat)
        let updateRanges = Self.buffer(ranges)
        let whereValues = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, values.count))
        _ = whereValues.initialize(from: values)
        let parts = records.flatMap(\.merchantParts)
        let merchantParts = UnsafeMutableBufferPointer<StructuredLayout.Source>.allocate(capacity: max(1, parts.count))
        _ = merchantParts.initialize(from: parts)
        at = 0
        let merchantRanges = Self.buffer(records.map { record in
            defer { at += record.merchantParts.count }
            return (at, record.merchantParts.count, record.merchantFromContext)
        })
        let currencySources = Self.buffer(records.map(\.currency))
        let hasExternals = Self.buffer(records.map { !$0.externals.isEmpty })
        let (externalFieldStorage, externalFields) = Self.segments(records.map { $0.externals.map(\.field) })
        let externalFieldCount = records.reduce(0) { $0 + $1.externals.count }
        buffers = Buffers(recognizers: recognizers, firstCandidate: firstCandidate, kinds: kinds, lengths: lengths,
                          roles: roles, fieldBuffers: fieldBuffers, fieldStorage: fieldStorage, fieldCount: fieldCount,
                          codes: codes, codeRanges: codeRanges, updates: updates, updateRanges: updateRanges,
                          whereValues: whereValues, merchantParts: merchantParts, merchantRanges: merchantRanges,
                          currencySources: currencySources, hasExternals: hasExternals,
                          externalFieldStorage: externalFieldStorage, externalFieldCount: externalFieldCount,
                          externalFields: externalFields)
        allMeasures = measures.indices.filter { measures[$0].kinds == nil && measures[$0].sum == nil }
    }

    deinit {
        buffers.recognizers.deallocate()
        buffers.firstCandidate?.deallocate()
        buffers.kinds.deallocate()
        buffers.lengths.deallocate()
        buffers.roles.deallocate()
        buffers.fieldBuffers.deallocate()
        _ = buffers.fieldStorage.baseAddress.map { $0.deinitialize(count: buffers.fieldCount) }
        buffers.fieldStorage.deallocate()
        buffers.codes.deallocate()
        buffers.codeRanges.deallocate()
        buffers.updates.deallocate()
        buffers.updateRanges.deallocate()
        buffers.whereValues.deallocate()
        buffers.merchantParts.deallocate()
        buffers.merchantRanges.deallocate()
        buffers.currencySources.deallocate()
        buffers.hasExternals.deallocate()
        buffers.externalFields.deallocate()
        // Only the fields initialised (the buffer has room for one when there are none).
        _ = buffers.externalFieldStorage.baseAddress.map { $0.deinitialize(count: buffers.externalFieldCount) }
        buffers.externalFieldStorage.deallocate()
    }

    /// A buffer of plain values, one per record (room for one when there are none).
    private static func buffer<Element>(_ values: [Element]) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, values.count))
        pointer.initialize(from: values, count: values.count)
        return pointer
    }

    /// The fields of every record in one buffer, and each record's slice of it.
    private static func segments(_ lists: [[CompiledLayout.Field]])
        -> (UnsafeMutableBufferPointer<CompiledLayout.Field>, UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>) {
        let all = lists.flatMap { $0 }
        let storage = UnsafeMutableBufferPointer<CompiledLayout.Field>.allocate(capacity: max(1, all.count))
        _ = storage.initialize(from: all)
        var at = 0
        let slices = buffer(lists.map { list in
            defer { at += list.count }
            return UnsafeBufferPointer(rebasing: storage[at..<(at + list.count)])
        })
        return (storage, slices)
    }

    private static func flatten(_ update: StructuredLayout.Update, values: inout [UInt64]) -> FlatUpdate {
        var item = FlatUpdate(measure: update.measure, operation: .count)
        switch update.operation {
        case .count: item.operation = .count
        case .debit: item.operation = .debit
        case .credit: item.operation = .credit
        case .amount: item.operation = .amount
        case .net: item.operation = .net
        case .fee: item.operation = .fee
        case .field(let offset, let length):
            item.operation = .field
            item.fieldOffset = offset
            item.fieldLength = length
        }
        if update.whereOffset >= 0 {
            item.whereOffset = update.whereOffset
            item.whereLength = update.whereLength
            item.whereStart = values.count
            item.whereCount = update.whereValues.count
            values += update.whereValues
        }
        return item
    }
}
