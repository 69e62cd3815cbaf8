/// The control and structure checks of one file in a structured layout, and its physical-form
/// warnings: every partition's scopes stitched by key, each declared control compared with its
/// measure over the scope.
public struct StructuredReport: Sendable {
    public struct Check: Sendable {
        public var name: String
        /// `file` or `group`.
        public var scope: String
        /// 1-based ordinal of the group in the file, and its header's record number.
        public var group: Int?
        public var groupRecord: Int?
        /// Record number of the record that declares the value (0 when there is none).
        public var record: Int
        public var expected: String
        public var found: String
        public var passed: Bool
        /// `unless_zero` with a declared zero: not checked.
        public var skipped: Bool
        /// An `equals` check whose values are equal trimmed but justified differently.
        public var justified = false
    }

    public struct Warning: Sendable {
        public var kind: String
        public var count: Int
        public var records: [Int]
    }

    public var checks: [Check] = []
    public var warnings: [Warning] = []
    public var scale = 2
    public var groups = 0
    public var files = 0

    public var failed: [Check] { checks.filter { !$0.passed && !$0.skipped } }

    /// `summary.json` lists every file check, and group checks that failed or were skipped up to
    /// this many; passed group checks are only counted (`checks_by_name`).
    public static let listedGroupChecks = 1000

    static func evaluate(file: FilePlan, partitions: [PartitionResult]) -> StructuredReport? {
        // The exact form's trailer controls are checked per file (`ControlCheck.check`).
        let layout = file.layout.program
        guard layout.form == .tolerant else { return nil }
        var report = StructuredReport()
        report.scale = layout.scale
        let results = partitions.filter { $0.partition.fileIndex == file.index }.sorted { $0.partition.index < $1.partition.index }
        var recordBase: [Int: Int] = [:]
        var next = 1
        for result in results {
            recordBase[result.partition.index] = next
            next += result.records
        }
        func number(_ ref: StructuredPartial.RecordRef?) -> Int {
            guard let ref else { return 0 }
            return (recordBase[ref.partition] ?? 1) + ref.local
        }
        // Stitch scopes by (kind, key), in byte order.
        var order: [(Bool, Int)] = []
        var merged: [String: StructuredPartial.Scope] = [:]
        var warnings: [String: (count: Int, records: [Int])] = [:]
        for result in results {
            guard let partial = result.structured else { continue }
            for scope in partial.scopes {
                let id = "\(scope.isFile ? "f" : "g")\(scope.key)"
                guard var existing = merged[id] else {
                    merged[id] = scope
                    order.append((scope.isFile, scope.key))
                    continue
                }
                existing.measures = zip(existing.measures, scope.measures).map { String((Int128($0) ?? 0) + (Int128($1) ?? 0)) }
                existing.records += scope.records
                if existing.header == nil { existing.header = scope.header }
                if existing.headerValues == nil { existing.headerValues = scope.headerValues }
                if existing.trailer == nil {
                    existing.trailer = scope.trailer
                    existing.trailerValues = scope.trailerValues
                }
                merged[id] = existing
            }
            for warning in partial.warnings {
                var entry = warnings[warning.kind] ?? (0, [])
                entry.count += warning.count
                entry.records += warning.first.map { (recordBase[$0[0]] ?? 1) + $0[1] }
                warnings[warning.kind] = entry
            }
        }
        do {
            let nominal = file.layout.spec.terminator
            if nominal != .auto && nominal.rawValue != file.framing.rawValue {
                if file.strict {
                    report.checks.append(Check(name: "terminator", scope: "file", group: nil, groupRecord: nil, record: 0,
                                               expected: nominal.rawValue, found: file.framing.rawValue, passed: false, skipped: false))
                } else {
                    warnings["terminator", default: (0, [])].count += 1
                }
            }
        }
        if file.layout.spec.message?.sequenceSlot != nil {
            report.checks.append(MessageSequence.check(name: "message_number", results.map { (recordBase[$0.partition.index] ?? 1, $0.structured?.sequence) }))
        }
        let scopes = order.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 && !$1.0) }.compactMap { merged["\($0.0 ? "f" : "g")\($0.1)"] }
        var groupOrdinal = 0
        var sawFile = false
        for scope in scopes {
            let measures = scope.measures.map { Int128($0) ?? 0 }
            if scope.isFile {
                sawFile = true
                report.files += 1
                if scope.key < 0 && layout.hasFileHeaders {
                    report.checks.append(Check(name: "file_header", scope: "file", group: nil, groupRecord: nil, record: 0,
                                               expected: "a file header before the first record", found: "none", passed: false, skipped: false))
                }
                if let trailer = scope.trailer {
                    report.checks += controls(layout.records[trailer.spec].spec, values: scope.trailerValues ?? [], measures: measures,
                                              layout: layout, scope: "file", group: nil, groupRecord: nil, record: number(trailer))
                } else if layout.hasFileTrailers {
                    report.checks.append(Check(name: "file_trailer", scope: "file", group: nil, groupRecord: nil, record: 0,
                                               expected: "a file trailer", found: "none", passed: false, skipped: false))
                }
            } else {
                groupOrdinal += 1
                report.groups += 1
                let headerRecord = scope.header.map(number)
                if let header = scope.header, let values = scope.headerValues {
                    report.checks += controls(layout.records[header.spec].spec, values: values, measures: measures, layout: layout,
                                              scope: "group", group: groupOrdinal, groupRecord: headerRecord, record: number(header))
                }
                if let trailer = scope.trailer {
                    report.checks += controls(layout.records[trailer.spec].spec, values: scope.trailerValues ?? [], measures: measures,
                                              layout: layout, scope: "group", group: groupOrdinal, groupRecord: headerRecord,
                                              record: number(trailer))
                } else if layout.hasGroupTrailers {
                    report.checks.append(Check(name: "group_trailer", scope: "group", group: groupOrdinal, groupRecord: headerRecord,
                                               record: 0, expected: "a group trailer", found: "none", passed: false, skipped: false))
                }
            }
        }
        // Ids equal but justified differently: a warning, or under --strict a failed check.
        for index in report.checks.indices where report.checks[index].justified {
            if file.strict {
                report.checks[index].passed = false
                report.checks[index].found += " (justified differently)"
            } else {
                var entry = warnings["justification"] ?? (0, [])
                entry.count += 1
                entry.records.append(report.checks[index].record)
                warnings["justification"] = entry
            }
        }
        report.warnings = StructuredWarning.allCases.compactMap { warning in
            warnings[warning.rawValue].map { Warning(kind: warning.rawValue, count: $0.count,
                                                     records: Array($0.records.sorted().prefix(StructuredPartial.warningPositions))) }
        }
        if !sawFile && layout.hasFileHeaders {
            report.checks.append(Check(name: "file_header", scope: "file", group: nil, groupRecord: nil, record: 0,
                                       expected: "a file header", found: "none (empty file)", passed: false, skipped: false))
        }
        return report
    }

    private static func controls(_ spec: StructuredRecordSpec, values: [StructuredPartial.Declared], measures: [Int128],
                                 layout: StructuredLayout, scope: String, group: Int?, groupRecord: Int?, record: Int) -> [Check] {
        spec.controls.enumerated().map { index, control in
            var check = Check(name: control.name, scope: scope, group: group, groupRecord: groupRecord, record: record,
                              expected: "", found: "", passed: false, skipped: false)
            let declared = index < values.count ? values[index] : StructuredPartial.Declared(value: nil, other: nil)
            if case .equals = control.measure {
                check.expected = declared.value ?? "unreadable"
                check.found = declared.other ?? "none"
                check.passed = declared.value != nil && declared.value == declared.other
                check.justified = check.passed && declared.justified
                return check
            }
            if case .ordinal = control.measure {
                check.expected = declared.value ?? "unreadable"
                check.found = String(group ?? 0)
                check.passed = declared.value.flatMap { Int128($0) } == Int128(group ?? 0)
                return check
            }
            var computed: Int128 = layout.measureIndex(control).map { measures.indices.contains($0) ? measures[$0] : 0 } ?? 0
            if let modulo = control.modulo { computed = ((computed % modulo) + modulo) % modulo }
            if let per = control.per { computed = (computed + Int128(per) - 1) / Int128(per) }
            check.found = String(computed)
            guard let text = declared.value, var value = Int128(text) else {
                check.expected = "unreadable"
                return check
            }
            // A money control whose field has fewer decimals than the layout's amounts.
            if case .sum(let sum) = control.measure, [.debit, .credit, .amount, .net, .fee].contains(sum),
               let field = spec.fields.first(where: { $0.name == control.field }) {
                for _ in 0..<max(0, layout.scale - (field.scale ?? 2)) { value *= 10 }
            }
            check.expected = String(value)
            if control.unlessZero && value == 0 {
                check.skipped = true
                check.passed = true
                return check
            }
            check.passed = value == computed
            return check
        }
    }

    /// One line per failed check, for stderr.
    func lines(file: String) -> [String] {
        failed.map { check in
            let place = check.group.map { "group \($0)\(check.groupRecord.map { " (record \($0))" } ?? "")" } ?? "file"
            let at = check.record > 0 ? ", record \(check.record)" : ""
            return "\(file): check \(check.name) failed in \(place)\(at): declared \(check.expected), found \(check.found)"
        }
    }
}
