import Foundation
import Logging
import Synchronization
@testable import SettleEngine
import SettleGenerator
import Testing

/// A table ledger held in memory: rows keyed by integers, read through the same protocols as a
/// PostgreSQL table, counting what the engine asks of it (readers made, pages read, their bounds).
final class MemoryLedgerTable: LedgerRowSource, @unchecked Sendable {
    struct Row {
        var key: Int64
        var values: [String?]
    }

    let name: String
    let columns: [String]
    let rows: [Row]
    let bytesPerRow: Int
    let readers = Atomic<Int>(0)
    let pages = Mutex<[(after: Int64, through: Int64, limit: Int, count: Int)]>([])

    var display: String { "memory/\(name)" }

    init(name: String, columns: [String], rows: [Row], bytesPerRow: Int = 64) {
        self.name = name
        self.columns = columns
        self.rows = rows.sorted { $0.key < $1.key }
        self.bytesPerRow = bytesPerRow
    }

    func facts() throws -> LedgerTableFacts {
        LedgerTableFacts(rowCount: rows.count, minKey: rows.first?.key, maxKey: rows.last?.key, bytesPerRow: bytesPerRow)
    }

    func makeReader() throws -> any LedgerRowReader {
        readers.add(1, ordering: .relaxed)
        return Reader(table: self)
    }

    final class Reader: LedgerRowReader {
        let table: MemoryLedgerTable
        init(table: MemoryLedgerTable) { self.table = table }

        func readPage(after: Int64, through: Int64, limit: Int, into page: inout LedgerPage) throws {
            page.removeAll()
            var index = table.rows.partitionPoint { $0.key > after }
            while index < table.rows.count && table.rows[index].key <= through && page.count < limit {
                page.appendRow(key: table.rows[index].key)
                for value in table.rows[index].values { page.appendField(value.map { Array($0.utf8) }) }
                index += 1
            }
            let count = page.count
            table.pages.withLock { $0.append((after, through, limit, count)) }
        }

        func close() {}
    }

    /// The data rows of a CSV ledger, keyed by their line number (so `ledger_line` reads the same).
    static func fromCSV(_ path: String, name: String) throws -> MemoryLedgerTable {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return try bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            let header = try #require(LedgerCSV.header(buffer, delimiter: UInt8(ascii: ",")))
            var rows: [Row] = []
            var at = header.dataStart, line = header.lines
            let columns = Array(0..<header.names.count)
            var fields = [LedgerCSV.Field](repeating: .init(), count: columns.count)
            while at < buffer.count {
                let row = columns.withUnsafeBufferPointer { columns in
                    fields.withUnsafeMutableBufferPointer { LedgerCSV.row(base, start: at, limit: buffer.count, delimiter: UInt8(ascii: ","),
                                                                          columns: columns, fields: $0) }
                }
                let key = Int64(line + 1)
                at = row.end
                line += row.lines
                guard row.status == .ok, row.columnCount == columns.count else { continue }
                rows.append(Row(key: key, values: fields.map { LedgerCSV.text(base, $0) }))
            }
            return MemoryLedgerTable(name: name, columns: header.names, rows: rows)
        }
    }
}

extension Array {
    /// The first index whose element satisfies `predicate` (which is false, then true, over the array).
    func partitionPoint(_ predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// Registry of in-memory tables for `memory-ledger:NAME` URLs.
enum MemoryLedgers {
    static let tables = Mutex<[String: MemoryLedgerTable]>([:])

    static func url(for table: MemoryLedgerTable) -> String {
        LedgerSources.register(prefixes: ["memory-ledger:"]) { url, _ in
            guard let table = MemoryLedgers.tables.withLock({ $0[String(url.dropFirst("memory-ledger:".count))] }) else {
                throw SettleError(.unreadableInput, "ledger \(url): no such table")
            }
            return table
        }
        let name = table.name + "-" + UUID().uuidString
        tables.withLock { $0[name] = table }
        return "memory-ledger:" + name
    }
}

@Suite("Ledger from a table: key ranges, keyset pages, locators, resume checks")
struct TableLedgerTests {
    @Test func rangesCoverTheKeysOnceAndRespectThePositionWidth() {
        let facts = LedgerTableFacts(rowCount: 1000, minKey: 5, maxKey: 20_004, bytesPerRow: 100)
        let ranges = KeyRangePlanner.ranges(facts, partitionSizeBytes: 10_000)  // 100 rows a range: 10 ranges
        #expect(ranges.count == 10)
        #expect(ranges.first?.low == 4 && ranges.last?.high == 20_004)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.high == b.low && a.low < a.high) }
        let offsets = KeyRangePlanner.estimatedOffsets(ranges, facts: facts)
        #expect(offsets.first?.lowerBound == 0 && offsets.last?.upperBound ?? 0 > 99_000)
        for (a, b) in zip(offsets, offsets.dropFirst()) { #expect(a.upperBound == b.lowerBound && !a.isEmpty) }
        // Sparse keys: no range wider than a position holds.
        let sparse = KeyRangePlanner.ranges(LedgerTableFacts(rowCount: 3, minKey: 0, maxKey: 1 << 42, bytesPerRow: 100),
                                            partitionSizeBytes: 1 << 30)
        #expect(sparse.count == 5 && sparse.allSatisfy { $0.high - $0.low <= KeyRangePlanner.maxSpan })
        #expect(KeyRangePlanner.ranges(LedgerTableFacts(rowCount: 0, minKey: nil, maxKey: nil, bytesPerRow: 1), partitionSizeBytes: 1).isEmpty)
    }

    static func generate(records: Int, seed: UInt64) throws -> String {
        let directory = TestSupport.temporaryDirectory("table-ledger")
        let options = try GeneratorOptions(records: records, merchants: 200, seed: seed, faultRate: 0.05,
                                           layout: LayoutLoader.load("reference"),
                                           outputDirectory: directory, ledgerStyle: .plain)
        _ = try Generator.run(options)
        return directory
    }

    static func run(_ directory: String, ledger: String, out: String, partitionSize: Int, workers: Int = 2,
                    keepWork: Bool = false) throws -> AggregateReport {
        var options = AggregateOptions(inputs: [AggregateOptions.Input(path: directory + "/settlement.dat", layout: "reference"), .ledger(ledger)],
                                       outDirectory: out, workers: workers, memoryBytes: 64 << 20, partitionSizeBytes: partitionSize,
                                       keepWork: keepWork)
        options.allowSameInput = false
        return try AggregateJob(options: options, logger: Logger(label: "test")).run()
    }

    /// A CSV column dropped from every line (`ledger_file`), for comparing outputs of two ledgers.
    static func withoutColumn(_ name: String, _ path: String) throws -> [String] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        guard let index = lines.first?.split(separator: ",", omittingEmptySubsequences: false).firstIndex(of: Substring(name)) else { return lines }
        return lines.map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if index < fields.count { fields.remove(at: index) }
            return fields.joined(separator: ",")
        }
    }

    @Test func aTableGivesTheOutputsOfTheSameLedgerAsCSV() throws {
        let directory = try Self.generate(records: 4_000, seed: 19)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let table = try MemoryLedgerTable.fromCSV(directory + "/ledger.csv", name: "ledger_rows")
        let csv = try Self.run(directory, ledger: directory + "/ledger.csv", out: directory + "/out-csv", partitionSize: 64 << 10)
        let fromTable = try Self.run(directory, ledger: MemoryLedgers.url(for: table), out: directory + "/out-table", partitionSize: 64 << 10)
        #expect(csv.mismatchTotal > 0 && csv.mismatchTotal == fromTable.mismatchTotal)
        #expect(fromTable.partitionsTotal > csv.partitionsTotal)
        for name in ["mismatches.csv", "reconciliation.csv", "totals.csv"] {
            let expected = try Self.withoutColumn("ledger_file", directory + "/out-csv/" + name)
            let got = try Self.withoutColumn("ledger_file", directory + "/out-table/" + name)
            #expect(expected == got, "\(name) differs")
        }
        let mismatches = try String(contentsOfFile: directory + "/out-table/mismatches.csv", encoding: .utf8)
        #expect(mismatches.contains(",ledger_rows,"))
        // Every ledger row was read once, in keyset pages within one reader per worker.
        let pages = table.pages.withLock { $0 }
        #expect(pages.reduce(0) { $0 + $1.count } == table.rows.count)
        #expect(table.readers.load(ordering: .relaxed) <= 2)
        #expect(pages.allSatisfy { $0.count <= $0.limit && $0.after < $0.through })
    }

    /// A settlement file of one debit of 10.00 for MERCHANT1; returns its ARN.
    static func oneRecordSettlement(in directory: String) -> String {
        let arn = "12345678901234567890123"
        TestSupport.write(TestSupport.header() + "\n" + TestSupport.detail(arn: arn) + "\n"
                          + TestSupport.trailer(count: 1, debit: 1000, credit: 0, fee: 10) + "\n", to: directory + "/settlement.dat")
        return arn
    }

    @Test func rejectsNameTheTableAndTheKey() throws {
        let directory = TestSupport.temporaryDirectory("table-rejects")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arn = Self.oneRecordSettlement(in: directory)
        let table = MemoryLedgerTable(name: "gl", columns: ["arn", "merchant_id", "currency", "amount", "direction"], rows: [
            .init(key: 7, values: [arn, "MERCHANT1", "USD", "1000", "D"]),
            .init(key: 900, values: ["99999999999999999999999", "MERCHANT1", "USD", "12x", "D"]),
            .init(key: 1_000_000, values: ["88888888888888888888888", "MERCHANT2", nil, "5", "C"]),
        ])
        let report = try Self.run(directory, ledger: MemoryLedgers.url(for: table), out: directory + "/out", partitionSize: 100)
        #expect(report.mismatchTotal == 0)
        let rejects = try String(contentsOfFile: directory + "/out/rejects.csv", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 3)
        #expect(rejects[1].hasPrefix("gl,900,0,bad_amount,amount,"))
        #expect(rejects[2].hasPrefix("gl,1000000,0,blank_field,currency,"))
    }

    @Test func ledgerOnlyRowsFollowTheKeysOrderAndCarryTheKey() throws {
        let directory = TestSupport.temporaryDirectory("table-order")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arn = Self.oneRecordSettlement(in: directory)
        // Three rows of one ARN not in settlement, keys 10, 9 and 100: 9 < 10 < 100 (numeric, not text, order).
        let other = "77777777777777777777777"
        let table = MemoryLedgerTable(name: "gl", columns: ["arn", "merchant_id", "currency", "amount", "direction"], rows: [
            .init(key: 10, values: [other, "M2", "USD", "1", "D"]), .init(key: 9, values: [other, "M2", "USD", "2", "D"]),
            .init(key: 100, values: [other, "M2", "USD", "3", "D"]), .init(key: 50, values: [arn, "MERCHANT1", "USD", "1000", "D"]),
        ])
        _ = try Self.run(directory, ledger: MemoryLedgers.url(for: table), out: directory + "/out", partitionSize: 64)
        let lines = try String(contentsOfFile: directory + "/out/mismatches.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).last! } == ["9", "10", "100"])
    }

    @Test func aResumeSkipsFinishedRangesAndRefusesAChangedTable() throws {
        let directory = try Self.generate(records: 2_000, seed: 5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let table = try MemoryLedgerTable.fromCSV(directory + "/ledger.csv", name: "gl")
        let url = MemoryLedgers.url(for: table)
        let work = JobDirectory(root: directory + "/work")
        let inputs = [AggregateOptions.Input(path: directory + "/settlement.dat", layout: "reference"), .ledger(url)]
        let job = try JobTasks.plan(inputs: inputs, partitionSizeBytes: 16 << 10, buckets: 4, directory: work, restart: false)
        let manifest = try Manifest.read(work)
        let tableEntries = manifest.partitions.filter { $0.keyLow != nil }
        #expect(tableEntries.count >= 4)
        #expect(manifest.inputs.last?.table?.rowCount == table.rows.count)
        // Map the first two ranges as tasks, then resume the rest with aggregate.
        for entry in tableEntries.prefix(2) {
            #expect(try JobTasks.map(directory: work, partition: entry.index, memoryBytes: 32 << 20, retry: RetryPolicy(),
                                     logger: Logger(label: "test")) == .done)
        }
        let pagesBefore = table.pages.withLock { $0.count }
        var options = AggregateOptions(inputs: inputs, outDirectory: directory + "/out", workDirectory: work.root, workers: 2,
                                       memoryBytes: 64 << 20, partitionSizeBytes: 16 << 10, buckets: 4)
        options.keepWork = false
        let report = try AggregateJob(options: options, logger: Logger(label: "test")).run()
        #expect(report.partitionsResumed == 2)
        let reread = table.pages.withLock { $0[pagesBefore...] }
        let first = tableEntries.prefix(2).map { $0.keyHigh! }
        #expect(!reread.contains { page in first.contains { page.through == $0 } })
        _ = job
        // The same table with a row less: refused, naming row count and key range.
        let fresh = JobDirectory(root: directory + "/work2")
        _ = try JobTasks.plan(inputs: inputs, partitionSizeBytes: 16 << 10, buckets: 4, directory: fresh, restart: false)
        let shorter = MemoryLedgerTable(name: "gl", columns: table.columns, rows: Array(table.rows.dropLast()))
        MemoryLedgers.tables.withLock { $0[String(url.dropFirst("memory-ledger:".count))] = shorter }
        #expect { try Job.open(fresh) } throws: { error in
            let message = (error as? SettleError)?.message ?? ""
            return message.contains("row count was \(table.rows.count), now \(table.rows.count - 1)") && message.contains("key range was")
        }
    }
}
