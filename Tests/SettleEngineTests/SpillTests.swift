import Foundation
import Testing
@testable import SettleEngine

@Suite("Spill runs, merge and the aggregate table")
struct SpillTests {
    static func key(_ merchant: String, _ currency: String = "USD") -> AggregateKey {
        AggregateKey(merchant: MerchantKey(merchant), currency: CurrencyCode(currency))
    }

    static func value(_ n: Int64) -> PartialAggregate {
        PartialAggregate(debitCount: n, creditCount: 1, debitAmount: Int128(n) * 100, creditAmount: 7, feeAmount: 3)
    }

    /// Writes entries (already in bucket, key order) as one run.
    static func writeRun(_ path: String, buckets: Int, _ entries: [(Int, AggregateKey, PartialAggregate)]) throws -> SpillRunInfo {
        var writer = try RunWriter(path: path, bucketCount: buckets, encoder: try LZ4FrameEncoder())
        for (bucket, key, value) in entries { try writer.append(bucket: bucket, key: key, value: value) }
        return try writer.finish()
    }

    static func readBucket(_ path: String, _ bucket: Int) throws -> [(AggregateKey, PartialAggregate)] {
        let cursor = try RunReader(path: path).cursor(bucket: bucket)
        var out: [(AggregateKey, PartialAggregate)] = []
        while try cursor.advance() { out.append((cursor.key, cursor.value)) }
        return out
    }

    @Test func roundTripAcrossBucketsAndBlocks() throws {
        let directory = TestSupport.temporaryDirectory()
        // 3,000 entries per bucket: several 64 KiB blocks each, entries straddling block edges.
        var entries: [(Int, AggregateKey, PartialAggregate)] = []
        for bucket in [0, 2, 5] {
            for index in 0..<3000 {
                entries.append((bucket, Self.key("M\(bucket)-\(String(format: "%06d", index))"), Self.value(Int64(index))))
            }
        }
        let info = try Self.writeRun(directory + "/r.run", buckets: 8, entries)
        #expect(info.entries == 9000)
        let reader = try RunReader(path: directory + "/r.run")
        #expect(Set(reader.buckets.keys) == [0, 2, 5])
        for bucket in [0, 2, 5] {
            let read = try Self.readBucket(directory + "/r.run", bucket)
            let expected = entries.filter { $0.0 == bucket }
            #expect(read.count == expected.count)
            #expect(zip(read, expected).allSatisfy { $0.0 == $1.1 && $0.1 == $1.2 })
        }
        #expect(try Self.readBucket(directory + "/r.run", 1).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory + "/r.run.tmp"))
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/r.run")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func largeValuesSurvive() throws {
        let directory = TestSupport.temporaryDirectory()
        let big = PartialAggregate(debitCount: .max, creditCount: 0, debitAmount: Int128.max / 4, creditAmount: -5,
                                   feeAmount: Int128(Int64.max) * 1000)
        _ = try Self.writeRun(directory + "/r.run", buckets: 1, [(0, Self.key("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "JPY"), big)])
        let read = try Self.readBucket(directory + "/r.run", 0)
        #expect(read.count == 1 && read[0].1 == big && read[0].0.merchant.string.count == 32)
    }

    @Test func entryEncodingRoundTripsExtremes() {
        let amounts: [Int128] = [0, 1, -1, 127, 128, -128, Int128(Int64.max), Int128(Int64.min), Int128.max, Int128.min, Int128.max / 3]
        let counts: [Int64] = [0, 1, 127, 128, Int64.max]
        let keys = [Self.key("", "USD"), Self.key("A", "X"), Self.key(String(repeating: "Z", count: 32), "ABCD"), Self.key("MER0001", "")]
        var buffer = [UInt8](repeating: 0, count: SpillEntry.maxSize + 8)
        for (index, amount) in amounts.enumerated() {
            let key = keys[index % keys.count]
            let value = PartialAggregate(debitCount: counts[index % counts.count], creditCount: counts[(index + 2) % counts.count],
                                         debitAmount: amount, creditAmount: amounts[(index + 3) % amounts.count],
                                         feeAmount: amounts[(index + 5) % amounts.count])
            buffer.withUnsafeMutableBytes { raw in
                let size = SpillEntry.store(key, value, to: raw.baseAddress!)
                #expect(size <= SpillEntry.maxSize)
                let loaded = SpillEntry.load(from: UnsafeRawPointer(raw.baseAddress!), available: size)
                #expect(loaded?.key == key && loaded?.value == value && loaded?.size == size)
                #expect(SpillEntry.load(from: UnsafeRawPointer(raw.baseAddress!), available: size - 1) == nil, "a cut entry is malformed")
            }
        }
    }

    @Test func theLZ4CommandReadsARun() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lz4") else { return }
        let directory = TestSupport.temporaryDirectory()
        _ = try Self.writeRun(directory + "/r.run", buckets: 4, (0..<500).map { (1, Self.key("M\(1000 + $0)"), Self.value(Int64($0))) })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
        process.arguments = ["-d", "-c", directory + "/r.run"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // Each entry: length, 5 merchant bytes, length, 3 currency bytes, five varints of this size.
        #expect(data.count == 500 * (1 + 5 + 1 + 3) + (0..<500).reduce(0) { total, index in
            let value = Self.value(Int64(index))
            return total + [UInt128(UInt64(value.debitCount)), UInt128(UInt64(value.creditCount)), SpillEntry.zigzag(value.debitAmount),
                            SpillEntry.zigzag(value.creditAmount), SpillEntry.zigzag(value.feeAmount)]
                .reduce(0) { $0 + max(1, (128 - $1.leadingZeroBitCount + 6) / 7) }
        })
    }

    @Test(arguments: [0.0, 0.5, 0.99])
    func aFlippedByteIsDetected(at fraction: Double) throws {
        let directory = TestSupport.temporaryDirectory()
        let path = directory + "/r.run"
        _ = try Self.writeRun(path, buckets: 2, (0..<2000).map { (0, Self.key("M\(10000 + $0)"), Self.value(Int64($0))) })
        var bytes = try FileIO.readBytes(path: path)
        let position = min(bytes.count - 1, Int(Double(bytes.count) * fraction) + 8)
        bytes[position] ^= 0x40
        TestSupport.write(bytes, to: path)
        #expect(throws: SettleError.self) {
            _ = try Self.readBucket(path, 0)
        }
    }

    @Test func aTruncatedRunIsDetected() throws {
        let directory = TestSupport.temporaryDirectory()
        let path = directory + "/r.run"
        _ = try Self.writeRun(path, buckets: 1, (0..<2000).map { (0, Self.key("M\(10000 + $0)"), Self.value(1)) })
        let bytes = try FileIO.readBytes(path: path)
        TestSupport.write(Array(bytes[0..<(bytes.count / 2)]), to: path)
        #expect(throws: SettleError.self) { _ = try Self.readBucket(path, 0) }
    }

    @Test(arguments: [2, 3, 64])
    func mergeCombinesOverlappingKeys(fanIn: Int) throws {
        let directory = TestSupport.temporaryDirectory()
        // Seven runs; key k appears in run r when (k + r) % 3 != 0.
        var inputs: [MergeInput] = []
        var expected: [AggregateKey: PartialAggregate] = [:]
        for run in 0..<7 {
            var entries: [(Int, AggregateKey, PartialAggregate)] = []
            for k in 0..<200 where (k + run) % 3 != 0 {
                let key = Self.key("M\(String(format: "%04d", k))", k % 2 == 0 ? "EUR" : "USD")
                let value = Self.value(Int64(run * 1000 + k))
                entries.append((0, key, value))
                var total = expected[key] ?? PartialAggregate()
                _ = total.combine(value)
                expected[key] = total
            }
            let path = directory + "/r\(run).run"
            _ = try Self.writeRun(path, buckets: 1, entries)
            inputs.append(MergeInput(path: path, bucket: 0, entries: entries.count))
        }
        var merged: [(AggregateKey, PartialAggregate)] = []
        try RunMerger.merge(inputs, fanIn: fanIn, encoder: try LZ4FrameEncoder(),
                            scratch: { pass, group in directory + "/s\(pass)-\(group).run" },
                            emit: { merged.append(($0, $1)) })
        #expect(merged.count == expected.count)
        #expect(merged.map(\.0) == expected.keys.sorted())
        #expect(merged.allSatisfy { expected[$0.0] == $0.1 })
        // Intermediate runs of multi-pass merges are removed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("s") }.isEmpty)
    }

    @Test func mergeReportsOverflowNamingTheMerchant() throws {
        let directory = TestSupport.temporaryDirectory()
        let huge = PartialAggregate(debitCount: 1, creditCount: 0, debitAmount: Int128.max - 1, creditAmount: 0, feeAmount: 0)
        var inputs: [MergeInput] = []
        for run in 0..<2 {
            _ = try Self.writeRun(directory + "/r\(run).run", buckets: 1, [(0, Self.key("BIGSPENDER"), huge)])
            inputs.append(MergeInput(path: directory + "/r\(run).run", bucket: 0, entries: 1))
        }
        do {
            try RunMerger.merge(inputs, fanIn: 4, encoder: try LZ4FrameEncoder(), scratch: { _, _ in directory + "/s" }, emit: { _, _ in })
            Issue.record("expected an overflow")
        } catch let error as SettleError {
            #expect(error.code == .overflow)
            #expect(error.message.contains("BIGSPENDER"))
        }
    }

    @Test func tableGrowsThenDrainsSortedByBucketAndKey() {
        let table = AggregateTable(memoryBytes: 64 << 20, initialCapacity: 1024)
        var expected: [AggregateKey: PartialAggregate] = [:]
        for index in 0..<20_000 {
            let merchant = "M\(index % 5000)"
            let key = Self.key(merchant, index % 3 == 0 ? "JPY" : "USD")
            let isDebit = index % 10 != 0
            if table.isFull { Issue.record("a 64 MiB table should hold 10,000 keys") }
            table.add(merchant: key.merchant, currency: key.currency.raw, isDebit: isDebit, amountMinor: Int64(index), feeMinor: 2)
            var value = expected[key] ?? PartialAggregate()
            _ = value.combine(PartialAggregate(debitCount: isDebit ? 1 : 0, creditCount: isDebit ? 0 : 1,
                                               debitAmount: isDebit ? Int128(index) : 0, creditAmount: isDebit ? 0 : Int128(index),
                                               feeAmount: 2))
            expected[key] = value
        }
        #expect(table.count == expected.count)
        #expect(table.capacity > 1024)
        var drained: [(Int, AggregateKey, PartialAggregate)] = []
        table.drainSorted(buckets: 16) { drained.append(($0, $1, $2)) }
        #expect(table.isEmpty)
        #expect(drained.count == expected.count)
        #expect(drained.allSatisfy { $0.0 == $0.1.bucket(of: 16) && expected[$0.1] == $0.2 })
        for (a, b) in zip(drained, drained.dropFirst()) {
            #expect(a.0 < b.0 || (a.0 == b.0 && a.1 < b.1))
        }
    }

    @Test func aSmallTableReportsFullInsteadOfGrowing() {
        let table = AggregateTable(memoryBytes: 1)  // the minimum: 1,024 slots
        #expect(table.maxCapacity == 1024)
        var added = 0
        while !table.isFull {
            table.add(merchant: MerchantKey("M\(added)"), currency: CurrencyCode("USD").raw, isDebit: true, amountMinor: 1, feeMinor: 0)
            added += 1
        }
        #expect(added == 768)
    }
}
