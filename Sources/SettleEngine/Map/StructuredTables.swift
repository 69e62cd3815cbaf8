/// A structured layout's per-record-spec values as plain buffers for the map loop, built once per
/// layout (`StructuredLayout.tables`) and shared, read-only, by every scanner of every partition:
/// recognisers, kinds and lengths, roles, fields, direction codes, measure updates, merchant
/// parts and currency sources, and the fields of roles read from other records of the entry.
///
/// `@unchecked Sendable`: every buffer is written once, in `init`, and only read afterwards; the
/// buffers live as long as the object (freed in `deinit`), which the layout keeps.
final class StructuredTables: @unchecked Sendable {
    /// One measure update as plain values.
    struct FlatUpdate {
        enum Operation: UInt8 { case count, debit, credit, amount, net, fee, field }
        var measure: Int
        var operation: Operation
        var fieldOffset = 0, fieldLength = 0
        var whereOffset = -1, whereLength = 0, whereStart = 0, whereCount = 0
    }

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
    /// Details whose roles come from other records of their entry, and those role fields as they
    /// are validated in the assembled record (see `StructuredScanner+Entry.swift`).
    let hasExternals: UnsafeMutablePointer<Bool>
    let externalFieldStorage: UnsafeMutableBufferPointer<CompiledLayout.Field>
    let externalFieldCount: Int
    let externalFields: UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>

    init(records: [StructuredLayout.Record], recognizers recognizerValues: [StructuredLayout.Recognizer], firstCandidate table: [UInt8]?,
         roles roleValues: [StructuredLayout.Roles]) {
        let count = records.count
        recognizers = .allocate(capacity: max(1, count))
        _ = recognizers.initialize(from: recognizerValues)
        if let table {
            firstCandidate = .allocate(capacity: 256)
            firstCandidate!.initialize(from: table, count: 256)
        } else {
            firstCandidate = nil
        }
        kinds = .allocate(capacity: count)
        kinds.initialize(from: records.map(\.kind), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(from: records.map(\.length), count: count)
        roles = .allocate(capacity: count)
        roles.initialize(from: roleValues, count: count)
        (fieldStorage, fieldBuffers, fieldCount) = Self.grouped(records.map(\.fields))
        (externalFieldStorage, externalFields, externalFieldCount) = Self.grouped(records.map { $0.externals.map(\.field) })
        hasExternals = .allocate(capacity: count)
        hasExternals.initialize(from: records.map { !$0.externals.isEmpty }, count: count)
        let allCodes = records.flatMap { $0.debitCodes + $0.creditCodes }
        codes = .allocate(capacity: max(1, allCodes.count))
        _ = codes.initialize(from: allCodes)
        codeRanges = .allocate(capacity: count)
        var at = 0
        for (index, record) in records.enumerated() {
            (codeRanges + index).initialize(to: (at, record.debitCodes.count, record.creditCodes.count))
            at += record.debitCodes.count + record.creditCodes.count
        }
        let (flat, values, ranges) = Self.flatUpdates(records)
        updates = .allocate(capacity: max(1, flat.count))
        _ = updates.initialize(from: flat)
        updateRanges = .allocate(capacity: count)
        updateRanges.initialize(from: ranges, count: count)
        whereValues = .allocate(capacity: max(1, values.count))
        _ = whereValues.initialize(from: values)
        let parts = records.flatMap(\.merchantParts)
        merchantParts = .allocate(capacity: max(1, parts.count))
        _ = merchantParts.initialize(from: parts)
        merchantRanges = .allocate(capacity: count)
        at = 0
        for (index, record) in records.enumerated() {
            (merchantRanges + index).initialize(to: (at, record.merchantParts.count, record.merchantFromContext))
            at += record.merchantParts.count
        }
        currencySources = .allocate(capacity: count)
        currencySources.initialize(from: records.map(\.currency), count: count)
    }

    deinit {
        recognizers.deallocate()
        firstCandidate?.deallocate()
        kinds.deallocate()
        lengths.deallocate()
        roles.deallocate()
        fieldBuffers.deallocate()
        // Only the fields initialised (the storage has room for one when there are none).
        _ = fieldStorage.baseAddress.map { $0.deinitialize(count: fieldCount) }
        fieldStorage.deallocate()
        externalFields.deallocate()
        _ = externalFieldStorage.baseAddress.map { $0.deinitialize(count: externalFieldCount) }
        externalFieldStorage.deallocate()
        hasExternals.deallocate()
        codes.deallocate()
        codeRanges.deallocate()
        updates.deallocate()
        updateRanges.deallocate()
        whereValues.deallocate()
        merchantParts.deallocate()
        merchantRanges.deallocate()
        currencySources.deallocate()
    }

    /// Every record's fields in one buffer, and each record's slice of it.
    private static func grouped(_ groups: [[CompiledLayout.Field]]) -> (UnsafeMutableBufferPointer<CompiledLayout.Field>,
                                                                       UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>, Int) {
        let all = groups.flatMap { $0 }
        let storage = UnsafeMutableBufferPointer<CompiledLayout.Field>.allocate(capacity: max(1, all.count))
        _ = storage.initialize(from: all)
        let slices = UnsafeMutablePointer<UnsafeBufferPointer<CompiledLayout.Field>>.allocate(capacity: max(1, groups.count))
        var at = 0
        for (index, group) in groups.enumerated() {
            (slices + index).initialize(to: UnsafeBufferPointer(rebasing: storage[at..<(at + group.count)]))
            at += group.count
        }
        return (storage, slices, all.count)
    }

    /// Each record's measure updates as plain values, the `where` values they test, and each record's range.
    private static func flatUpdates(_ records: [StructuredLayout.Record]) -> ([FlatUpdate], [UInt64], [(start: Int, count: Int)]) {
        var flat: [FlatUpdate] = [], values: [UInt64] = [], ranges: [(start: Int, count: Int)] = []
        for record in records {
            ranges.append((flat.count, record.updates.count))
            for update in record.updates {
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
                flat.append(item)
            }
        }
        return (flat, values, ranges)
    }
}
