import Testing
@testable import SettleEngine

@Suite("Split: record cursor and partition boundaries")
struct PartitionTests {
    /// Records of varied lengths around 10 bytes, LF or CRLF terminated.
    static func lines(_ count: Int, crlf: Bool, unterminatedLast: Bool = false) -> (bytes: [UInt8], records: [(Int, Int)]) {
        var bytes: [UInt8] = []
        var records: [(Int, Int)] = []
        for index in 0..<count {
            let length = index % 7 == 3 ? 4 : (index % 11 == 5 ? 14 : 10)
            records.append((bytes.count, length))
            bytes += [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: length)
            if index == count - 1 && unterminatedLast { break }
            bytes += crlf ? [0x0D, 0x0A] : [0x0A]
        }
        return (bytes, records)
    }

    func walk(_ bytes: [UInt8], ranges: [Range<Int>], framing: Framing, recordLength: Int) -> [(Int, Int)] {
        bytes.withUnsafeBytes { raw in
            var out: [(Int, Int)] = []
            for range in ranges {
                var cursor = RecordCursor(bytes: raw, range: range, recordLength: recordLength, framing: framing)
                while let record = cursor.next() { out.append((record.offset, record.length)) }
            }
            return out
        }
    }

    /// A short line followed by another that ends exactly a record's length after the first one's
    /// start: two records, not one (the fast path once read them as one, so the record count
    /// depended on where partitions started).
    @Test(arguments: [false, true])
    func shortLineThenLineEndingAtRecordLength(crlf: Bool) {
        let terminator: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]
        let lengths = crlf ? [4, 4, 10, 3, 5] : [4, 5, 10, 3, 6]
        var bytes: [UInt8] = []
        var expected: [(Int, Int)] = []
        for (index, length) in lengths.enumerated() {
            expected.append((bytes.count, length))
            bytes += [UInt8](repeating: UInt8(ascii: "a") + UInt8(index), count: length) + terminator
        }
        let found = walk(bytes, ranges: [0..<bytes.count], framing: crlf ? .crlf : .lf, recordLength: 10)
        #expect(found.map(\.0) == expected.map(\.0))
        #expect(found.map(\.1) == expected.map(\.1))
    }

    @Test(arguments: [1, 2, 9, 10, 11, 12, 13, 37, 100, 1 << 20], [false, true])
    func everyRecordInExactlyOnePartition(partitionSize: Int, crlf: Bool) {
        for unterminated in [false, true] {
            let (bytes, records) = Self.lines(50, crlf: crlf, unterminatedLast: unterminated)
            let framing: Framing = crlf ? .crlf : .lf
            let ranges = bytes.withUnsafeBytes {
                PartitionPlanner.cut(bytes: $0, framing: framing, recordLength: 10, partitionSizeBytes: partitionSize)
            }
            // The ranges tile the file with no gap and no overlap.
            #expect(ranges.first?.lowerBound == 0)
            #expect(ranges.last?.upperBound == bytes.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
            let seen = walk(bytes, ranges: ranges, framing: framing, recordLength: 10)
            #expect(seen.map(\.0) == records.map(\.0))
            #expect(seen.map(\.1) == records.map(\.1))
        }
    }

    @Test(arguments: [1, 10, 25, 30, 1000])
    func fixedBlocksWithAPartialLastRecord(partitionSize: Int) {
        let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 10 * 9 + 4)
        let ranges = bytes.withUnsafeBytes {
            PartitionPlanner.cut(bytes: $0, framing: .none, recordLength: 10, partitionSizeBytes: partitionSize)
        }
        for range in ranges.dropLast() { #expect(range.count % 10 == 0) }
        let seen = walk(bytes, ranges: ranges, framing: .none, recordLength: 10)
        #expect(seen.count == 10)
        #expect(seen.last! == (90, 4))
        #expect(seen.dropLast().allSatisfy { $0.1 == 10 })
    }

    @Test func autoDetectsTheTerminator() {
        func framing(_ text: String) -> Framing {
            Array(text.utf8).withUnsafeBytes { PartitionPlanner.framing(for: .auto, recordLength: 4, bytes: $0) }
        }
        #expect(framing("abcd\nefgh\n") == .lf)
        #expect(framing("abcd\r\nefgh\r\n") == .crlf)
        #expect(framing("abcdefgh") == .none)
        #expect(framing("ab\ncd\n") == .lf)
    }

    @Test func planFindsHeaderTrailerAndControls() throws {
        let layout = TestSupport.reference
        let records = [TestSupport.header(), TestSupport.detail(), TestSupport.detail(direction: "C"),
                       TestSupport.trailer(count: 2, debit: 1000, credit: 1000, fee: 20)]
        let text = records.joined(separator: "\n") + "\nD123"
        let directory = TestSupport.temporaryDirectory()
        TestSupport.write(text, to: directory + "/f.dat")
        let mapped = try MappedFile(path: directory + "/f.dat")
        let plan = PartitionPlanner.plan(files: [(directory + "/f.dat", "reference", layout, mapped)], partitionSizeBytes: 200)
        let file = plan.files[0]
        #expect(file.framing == .lf)
        #expect(file.headerOffset == 0)
        #expect(file.trailerOffset == 161 * 3)
        #expect(file.controls == FilePlan.Controls(count: 2, debit: 1000, credit: 1000, fee: 20, readable: true))
        #expect(file.fileRejects.isEmpty)
        #expect(file.headerValues.map(\.value) == ["20240108", "FILE01", "VISA"])
        #expect(plan.partitions.count == 3)  // [0,322) [322,644) and the partial record
        #expect(plan.partitions.last?.byteEnd == text.utf8.count)
    }

    @Test func planReportsMissingHeaderAndTrailer() throws {
        let directory = TestSupport.temporaryDirectory()
        TestSupport.write(TestSupport.detail() + "\n" + TestSupport.detail() + "\n", to: directory + "/f.dat")
        let mapped = try MappedFile(path: directory + "/f.dat")
        let plan = PartitionPlanner.plan(files: [(directory + "/f.dat", "reference", TestSupport.reference, mapped)],
                                         partitionSizeBytes: 1 << 20)
        #expect(plan.files[0].fileRejects == [.missingHeader, .missingTrailer])
        #expect(plan.files[0].headerOffset == nil && plan.files[0].trailerOffset == nil)
    }

    @Test func emptyFileHasNoPartitions() throws {
        let directory = TestSupport.temporaryDirectory()
        TestSupport.write("", to: directory + "/empty.dat")
        let mapped = try MappedFile(path: directory + "/empty.dat")
        let plan = PartitionPlanner.plan(files: [(directory + "/empty.dat", "reference", TestSupport.reference, mapped)],
                                         partitionSizeBytes: 1 << 20)
        #expect(plan.partitions.isEmpty)
        #expect(plan.files[0].fileRejects == [.missingHeader, .missingTrailer])
    }

    @Test func mappingAMissingFileIsAClearError() {
        do {
            _ = try MappedFile(path: "/nonexistent/settle.dat")
            Issue.record("expected an error")
        } catch let error as SettleError {
            #expect(error.code == .unreadableInput)
            #expect(error.message.contains("/nonexistent/settle.dat"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
