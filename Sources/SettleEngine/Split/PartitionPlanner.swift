#if canImport(Glibc)
import Glibc
#endif

/// Cuts mapped input files into byte-range partitions on record boundaries, and locates and reads
/// each file's header and trailer once.
public enum PartitionPlanner {
    /// How many records at the end of a file are searched for the trailer.
    static let trailerSearchDepth = 8

    /// `fixedLedgers` trailing entries of `files` are ledger files in a layout (reconciliation), and
    /// `ledgers` are CSV ledger files, planned after them.
    package static func plan(files: [(path: String, layoutName: String, layout: CompiledLayout, mapped: MappedFile)],
                            fixedLedgers: Int = 0,
                            ledgers: [(path: String, ledger: LedgerFile, layout: CompiledLayout, mapped: MappedFile)] = [],
                            tables: [(table: TableLedger, layout: CompiledLayout)] = [],
                            partitionSizeBytes: Int, strict: Bool = false) -> PartitionPlan {
        let referenceWidth = files.first?.layout.reference?.length ?? 0
        var filePlans: [FilePlan] = []
        var partitions: [Partition] = []
        for (fileIndex, input) in files.enumerated() {
            // Length-prefixed messages: planned by walking their RDW chain (MessagePlanner.swift).
            let messagePlan = input.layout.spec.message.map { spec in
                input.mapped.withBytes { bytes in
                    MessagePlanner.plan(index: fileIndex, path: input.path, layoutName: input.layoutName, layout: input.layout,
                                        spec: spec, bytes: bytes, partitionSizeBytes: partitionSizeBytes)
                }
            }
            var plan = messagePlan?.plan ?? input.mapped.withBytes { bytes in
                planFile(index: fileIndex, path: input.path, layoutName: input.layoutName, layout: input.layout, bytes: bytes, strict: strict)
            }
            plan.isLedger = fileIndex >= files.count - fixedLedgers
            plan.referenceWidth = referenceWidth
            plan.strict = strict
            let ranges = messagePlan?.ranges ?? input.mapped.withBytes { bytes in
                cut(bytes: bytes, framing: plan.framing, recordLength: input.layout.recordLength,
                    partitionSizeBytes: partitionSizeBytes)
            }
            var contexts: [StructuredContext?] = ranges.map { _ in nil }
            if let messagePlan {
                contexts = messagePlan.contexts
            } else if plan.layout.program.form == .tolerant {
                // The exact form has no context: its header and trailer are the plan's.
                contexts = input.mapped.withBytes { bytes in
                    structuredContexts(bytes: bytes, framing: plan.framing, layout: plan.layout.program, starts: ranges.map(\.lowerBound),
                                       fileHeader: plan.headerOffset, fileTrailer: plan.trailerOffset, strict: strict)
                }
            }
            for (range, context) in zip(ranges, contexts) {
                partitions.append(Partition(index: partitions.count, fileIndex: fileIndex,
                                            byteStart: range.lowerBound, byteEnd: range.upperBound, context: context))
            }
            filePlans.append(plan)
        }
        // Ledger files come after every settlement file, so positions order settled occurrences first.
        for input in ledgers {
            let fileIndex = filePlans.count
            let ranges = input.mapped.withBytes { LedgerCSV.cut(bytes: $0, partitionSizeBytes: partitionSizeBytes) }
            for range in ranges {
                partitions.append(Partition(index: partitions.count, fileIndex: fileIndex, byteStart: range.lowerBound, byteEnd: range.upperBound))
            }
            filePlans.append(FilePlan(index: fileIndex, path: input.path, layout: input.layout, layoutName: "ledger",
                                      sizeBytes: input.mapped.sizeBytes, framing: .lf, headerOffset: nil, trailerOffset: nil,
                                      headerValues: [], controls: nil, fileRejects: [], ledger: input.ledger, isLedger: true,
                                      referenceWidth: input.ledger.referenceWidth))
        }
        // Table ledgers last: key ranges (LedgerTable.swift).
        for input in tables { planTable(input.table, layout: input.layout, partitionSizeBytes: partitionSizeBytes, files: &filePlans, partitions: &partitions) }
        return PartitionPlan(files: filePlans, partitions: partitions, partitionSizeBytes: partitionSizeBytes)
    }

    /// Resolves `auto` from the first line: `\n` right after the record means lf, `\r\n` crlf, no
    /// newline near it means fixed blocks.
    public static func framing(for terminator: Terminator, recordLength: Int, bytes: UnsafeRawBufferPointer) -> Framing {
        switch terminator {
        case .lf: return .lf
        case .crlf: return .crlf
        case .none: return .none
        case .auto:
            let window = min(bytes.count, recordLength + 2)
            guard let newline = bytes[0..<window].firstIndex(of: 0x0A) else {
                return bytes.count > recordLength || bytes.count == recordLength ? .none : .lf
            }
            return newline > 0 && bytes[newline - 1] == 0x0D ? .crlf : .lf
        }
    }

    /// A structured layout's file: lines if a newline is in its first 64 KiB (`crlf` if that line
    /// ends in `\r\n`), fixed blocks otherwise.
    static func structuredFraming(_ bytes: UnsafeRawBufferPointer) -> Framing {
        guard let base = bytes.baseAddress else { return .lf }
        guard let found = memchr(base, 0x0A, min(bytes.count, 1 << 16)) else { return .none }
        let newline = UnsafeRawPointer(found) - base
        return newline > 0 && bytes[newline - 1] == 0x0D ? .crlf : .lf
    }

    /// Byte ranges of about `partitionSizeBytes`, each ending just after a terminator (or on a
    /// multiple of the record length for fixed blocks). Every byte belongs to exactly one range.
    public static func cut(bytes: UnsafeRawBufferPointer, framing: Framing, recordLength: Int,
                           partitionSizeBytes: Int) -> [Range<Int>] {
        let size = bytes.count
        guard size > 0 else { return [] }
        var ranges: [Range<Int>] = []
        var start = 0
        switch framing {
        case .none:
            let step = max(1, partitionSizeBytes / recordLength) * recordLength
            while start < size {
                let end = min(size, start + step)
                ranges.append(start..<end)
                start = end
            }
        case .lf, .crlf:
            guard let base = bytes.baseAddress else { return [] }
            while start < size {
                let target = start + max(1, partitionSizeBytes)
                if target >= size {
                    ranges.append(start..<size)
                    break
                }
                // The partition ends after the first newline at or after byte target - 1.
                let from = target - 1
                if let found = memchr(base + from, 0x0A, size - from) {
                    let end = UnsafeRawPointer(found) - base + 1
                    ranges.append(start..<end)
                    start = end
                } else {
                    ranges.append(start..<size)
                    start = size
                }
            }
        }
        return ranges
    }

    static func planFile(index: Int, path: String, layoutName: String, layout: CompiledLayout,
                         bytes: UnsafeRawBufferPointer, strict: Bool = false) -> FilePlan {
        switch layout.program.form {
        case .tolerant:
            // Every form found in the wild is read (a terminator other than the layout's is a
            // warning); headers, trailers and controls are found by the map stage.
            let framing = structuredFraming(bytes)
            let layout = self.layout(layout, forEncodingOf: bytes, framing: framing, strict: strict)
            var plan = FilePlan(index: index, path: path, layout: layout, layoutName: layoutName, sizeBytes: bytes.count,
                                framing: framing, headerOffset: nil, trailerOffset: nil, headerValues: [], controls: nil, fileRejects: [])
            if layout.program.afterTrailer != .nextFile {
                (plan.headerOffset, plan.trailerOffset) = singleFileBounds(bytes: bytes, framing: framing, layout: layout.program,
                                                                           strict: strict)
            }
            return plan
        case .exact:
            return planExact(index: index, path: path, layoutName: layoutName, layout: layout, bytes: bytes)
        }
    }

    /// The exact form (flat layouts): the layout's terminator; the file header is the first record,
    /// the file trailer one of the last `trailerSearchDepth`, and its control roles are read here.
    static func planExact(index: Int, path: String, layoutName: String, layout: CompiledLayout,
                          bytes: UnsafeRawBufferPointer) -> FilePlan {
        let program = layout.program
        let framing = framing(for: layout.spec.terminator, recordLength: program.recordLength, bytes: bytes)
        var plan = FilePlan(index: index, path: path, layout: layout, layoutName: layoutName, sizeBytes: bytes.count,
                            framing: framing, headerOffset: nil, trailerOffset: nil, headerValues: [],
                            controls: nil, fileRejects: [])
        let header = program.firstRecord(.fileHeader).map { program.records[$0] }
        let trailer = program.firstRecord(.fileTrailer).map { program.records[$0] }
        let records = lastRecords(bytes: bytes, framing: framing, recordLength: program.recordLength)
        guard let base = bytes.baseAddress, let first = firstRecord(bytes: bytes, framing: framing, recordLength: program.recordLength) else {
            if header != nil { plan.fileRejects.append(.missingHeader) }
            if trailer != nil { plan.fileRejects.append(.missingTrailer) }
            return plan
        }
        if let header {
            let code = RecordCursor.typeCode(base, offset: first.offset, length: first.length, positions: header.codeAt)
            if code == header.code && first.length == program.recordLength {
                plan.headerOffset = first.offset
                plan.headerValues = header.spec.fields.map { field in
                    var value = text(base, offset: first.offset + field.position.offset, length: field.position.length)
                    if field.sensitive {  // summary.json shows the header: masked as every shown record
                        var bytes = Array(value.utf8)
                        RecordText.mask(&bytes, range: 0..<bytes.count)
                        value = String(decoding: bytes, as: UTF8.self)
                    }
                    return (field.name, value)
                }
            } else if code == header.code {
                plan.headerOffset = first.offset  // a short header is rejected by the map stage
            } else {
                plan.fileRejects.append(.missingHeader)
            }
        }
        if let trailer {
            let candidate = records.first { record in
                record.offset != plan.headerOffset
                    && RecordCursor.typeCode(base, offset: record.offset, length: record.length, positions: trailer.codeAt) == trailer.code
            }
            if let candidate {
                plan.trailerOffset = candidate.offset
                if candidate.length == program.recordLength {
                    plan.controls = controls(base, offset: candidate.offset, trailer: trailer)
                } else {
                    plan.controls = FilePlan.Controls(readable: false)
                }
            } else {
                plan.fileRejects.append(.missingTrailer)
            }
        }
        return plan
    }

    /// The control totals a file trailer declares in its control roles.
    static func controls(_ base: UnsafeRawPointer, offset: Int, trailer: StructuredLayout.Record) -> FilePlan.Controls {
        var controls = FilePlan.Controls(readable: true)
        let failure = trailer.fields.withUnsafeBufferPointer {
            RecordValidator.firstFailure(base, offset: offset, fields: $0)
        }
        if failure != nil { controls.readable = false }
        for (index, field) in trailer.spec.fields.enumerated() {
            guard let role = field.role else { continue }
            let compiled = trailer.fields[index]
            let at = offset + compiled.offset
            guard FieldDecoder.isDigits(base, offset: at, length: compiled.length) else { continue }
            let value = digitsValue(base, offset: at, length: compiled.length)
            switch role {
            case .controlCount: controls.count = value
            case .controlDebit: controls.debit = value
            case .controlCredit: controls.credit = value
            case .controlFee: controls.fee = value
            default: break
            }
        }
        return controls
    }

    /// The value of a digits field of any length, in 128 bits (a control count may have 20 digits).
    static func digitsValue(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Int128 {
        var value: Int128 = 0
        for index in 0..<min(length, 38) {
            value = value * 10 + Int128(base.load(fromByteOffset: offset + index, as: UInt8.self) - 0x30)
        }
        return value
    }

    static func text(_ base: UnsafeRawPointer, offset: Int, length: Int) -> String {
        let count = FieldDecoder.trimmedLength(base, offset: offset, length: length)
        return RecordText.escape(UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    static func firstRecord(bytes: UnsafeRawBufferPointer, framing: Framing, recordLength: Int) -> (offset: Int, length: Int)? {
        var cursor = RecordCursor(bytes: bytes, range: 0..<bytes.count, recordLength: recordLength, framing: framing)
        return cursor.next()
    }

    /// Bytes `lastRecords` examines at most, walking back from the end of a file of lines: room for
    /// `trailerSearchDepth` records of the layout's length, their CRLF and the line end before them.
    static func walkBackLimit(recordLength: Int) -> Int { (trailerSearchDepth + 1) * (recordLength + 2) }

    /// Up to `trailerSearchDepth` records from the end of the file, last first.
    static func lastRecords(bytes: UnsafeRawBufferPointer, framing: Framing, recordLength: Int) -> [(offset: Int, length: Int)] {
        var examined = 0
        return lastRecords(bytes: bytes, framing: framing, recordLength: recordLength, examined: &examined)
    }

    /// The same, counting the bytes examined. In a file of lines the walk back stops after
    /// `walkBackLimit` bytes: a line start not found by then begins a line longer than any record,
    /// which the map stage reads as one overlong record (never a trailer), so the records are those
    /// after it. A 1 GiB file without a line end costs a few hundred bytes here, not a walk over it.
    static func lastRecords(bytes: UnsafeRawBufferPointer, framing: Framing, recordLength: Int,
                            examined: inout Int) -> [(offset: Int, length: Int)] {
        let size = bytes.count
        guard size > 0 else { return [] }
        var starts: [Int] = []
        switch framing {
        case .none:
            var start = (size - 1) / recordLength * recordLength
            while start >= 0 && starts.count < trailerSearchDepth {
                starts.append(start)
                start -= recordLength
            }
        case .lf, .crlf:
            // Walk back over line starts: a record starts at 0 or just after a newline.
            let floor = max(0, size - walkBackLimit(recordLength: recordLength))
            var index = size - 1
            if bytes[index] == 0x0A { index -= 1 }  // the last record's own terminator
            while starts.count < trailerSearchDepth {
                while index >= floor && bytes[index] != 0x0A { index -= 1 }
                if index < floor && floor > 0 { break }  // the line holding `floor` is overlong
                starts.append(index + 1)
                if index < 0 { break }
                index -= 1
            }
            examined = size - 1 - max(index, floor - 1)
        }
        return starts.map { start in
            var cursor = RecordCursor(bytes: bytes, range: start..<size, recordLength: recordLength, framing: framing)
            return cursor.next()!
        }
    }
}
