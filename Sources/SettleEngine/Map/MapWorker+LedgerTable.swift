/// The map stage over a table ledger's partition: its key range read in keyset pages through the
/// worker's reader, each row's fields decoded by the same `LedgerValueDecoder` as a CSV row. A row's
/// position in the partition is `key - low - 1`, so occurrences sort by key and `RecordLocator` turns
/// them back into the key (the row's locator: `ledger_line`, and `record_number` in rejects.csv).
extension MapWorker {
    func scanTable(_ partition: Partition, file: FilePlan, table: TableLedger, result: inout PartitionResult, rejects: inout RejectLog,
                   onFull: () throws -> Void, onReferencesFull: () throws -> Void) throws {
        guard let buffer = references, let range = partition.keyRange else { return }
        let references = Unmanaged.passUnretained(buffer)
        let reader = try tableReader(file: file.index, table: table)
        let ledger = table.ledger
        let decoder = LedgerValueDecoder(spec: ledger.spec, referenceWidth: ledger.referenceWidth)
        let partitionPosition = ReferenceKey.position(partition: partition.index, local: 0)
        let pageRows = table.pageRows
        var page = LedgerPage(columnCount: ledger.header.count)
        var fold = LedgerFold()
        var rows = 0
        var last = range.low
        repeat {
            page.removeAll()
            do {
                try reader.readPage(after: last, through: range.high, limit: pageRows, into: &page)
            } catch let error as SettleError {
                throw error
            } catch {
                throw SettleError(.io, "ledger \(table.source.display): reading keys \(last + 1) to \(range.high): \(error)")
            }
            guard page.isComplete, page.count <= pageRows else {
                throw SettleError(.io, "ledger \(table.source.display): a page of rows after key \(last) came back incomplete")
            }
            try page.bytes.withUnsafeBytes { bytes in
                // An empty page of text still needs a base address for the decoder's (unused) loads.
                let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                try ledger.columns.withUnsafeBufferPointer { columns in
                try page.fields.withUnsafeBufferPointer { pageFields in
                try withUnsafeTemporaryAllocation(of: LedgerCSV.Field.self, capacity: columns.count) { fields in
                    for row in 0..<page.count {
                        let key = page.keys[row]
                        guard key > last && key <= range.high else {
                            throw SettleError(.io, "ledger \(table.source.display): key \(key) came after key \(last) in a page of keys up to \(range.high): is the key column unique?")
                        }
                        last = key
                        for role in 0..<columns.count {
                            fields[role] = columns[role] >= 0 ? pageFields[row * page.columnCount + columns[role]] : LedgerCSV.Field()
                        }
                        let local = Int(key - range.low - 1)
                        switch decoder.decode(base, fields: UnsafeBufferPointer(fields)) {
                        case .success(let value):
                            try foldLedgerRow(value, position: partitionPosition | UInt64(local), references: references, fold: &fold,
                                              onFull: onFull, onReferencesFull: onReferencesFull)
                        case .failure(let failure):
                            let raw = Self.rowText(base, pageFields[(row * page.columnCount)..<((row + 1) * page.columnCount)],
                                                   delimiter: ledger.spec.delimiter)
                            try rejectLedgerRow(failure, local: local, byteOffset: 0, raw: raw, result: &result, rejects: &rejects)
                        }
                    }
                }
                }
                }
            }
            rows += page.count
        } while page.count == pageRows
        result.records = rows
        fold.finish(into: &result)
    }

    /// The worker's reader of a table: made at its first partition of it, reused after.
    func tableReader(file: Int, table: TableLedger) throws -> any LedgerRowReader {
        if let reader = tableReaders[file] { return reader }
        let reader = try table.source.makeReader()
        tableReaders[file] = reader
        return reader
    }

    /// A rejected row as a CSV line of the columns read (for rejects.csv's raw and detail).
    static func rowText(_ base: UnsafeRawPointer, _ fields: Slice<UnsafeBufferPointer<LedgerCSV.Field>>, delimiter: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(delimiter) }
            let text = UnsafeRawBufferPointer(start: base + field.start, count: field.end - field.start)
            if text.contains(where: { $0 == delimiter || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                out.append(0x22)
                for byte in text {
                    out.append(byte)
                    if byte == 0x22 { out.append(0x22) }
                }
                out.append(0x22)
            } else {
                out.append(contentsOf: text)
            }
            if out.count >= RejectLog.maxRawBytes { break }
        }
        return Array(out.prefix(RejectLog.maxRawBytes))
    }
}
