import Foundation
import Testing
@testable import SettleEngine

/// The watch daemon's pure parts: the journal's lines and replay, the batching rule, expectations.
@Suite("Watch: registry journal, batching rule, expected files")
struct WatchUnitTests {
    static let files = [
        BatchFile(name: "visa_0601.dat", sha256: String(repeating: "a", count: 64), sizeBytes: 1200, layout: "reference"),
        // A name with a tab, a percent sign, a newline and a byte that is not UTF-8 (0xFF).
        BatchFile(name: "odd\tname%20\n" + PathText.decode([0xFF]), sha256: String(repeating: "b", count: 64), sizeBytes: 0,
                  layout: "layouts/mc.yaml", marker: "odd.done"),
    ]

    static let records: [WatchRecord] = [
        .opened(batch: 7, atSeconds: 1_780_000_000, files: files),
        .dropped(batch: 7, name: "visa_0601.dat"),
        .published(batch: 7, exitStatus: 1, records: 9, rejects: 2, milliseconds: 345),
        .moved(batch: 7),
        .duplicate(name: "copy.dat", sha256: String(repeating: "c", count: 64), firstBatch: 3, storedAs: "copy.dat.1", atSeconds: 5),
        .failed(name: "bad.dat", reason: "cannot open input file in/bad.dat: Permission denied", storedAs: "bad.dat", atSeconds: 6),
    ]

    @Test(arguments: records)
    func recordRoundTrips(record: WatchRecord) {
        let line = record.line
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().filter { $0 == UInt8(ascii: "\n") }.isEmpty, "one line per record")
        #expect(WatchRecord.parse(line.dropLast()) == record)
    }

    @Test func lineFormatIsStable() {
        let line = String(decoding: WatchRecord.moved(batch: 12).line, as: UTF8.self)
        #expect(line == "settle-watch-1\tmoved\t12\t\(CRC32C.hex(CRC32C.of(Array("settle-watch-1\tmoved\t12".utf8))))\n")
        // One flipped byte: the CRC no longer matches.
        var damaged = WatchRecord.moved(batch: 12).line.dropLast()
        damaged[damaged.startIndex + 22] = UInt8(ascii: "3")
        #expect(WatchRecord.parse(damaged) == nil)
    }

    @Test func replayBuildsTheRegistry() throws {
        let root = TestSupport.temporaryDirectory("watch-journal")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let journal = try WatchJournal(root: root)
        try journal.append(.opened(batch: 1, atSeconds: 10, files: [Self.files[0]]))
        try journal.append(.published(batch: 1, exitStatus: 0, records: 4, rejects: 0, milliseconds: 20))
        try journal.append(.moved(batch: 1))
        try journal.append(.opened(batch: 2, atSeconds: 11, files: [Self.files[1]]))
        let registry = try WatchJournal.read(root: root)
        #expect(registry.batches.map(\.number) == [1, 2])
        #expect(registry.inFlight.map(\.number) == [2])
        #expect(registry.nextBatchNumber == 3)
        #expect(registry.batchOfContent == [Self.files[0].sha256: 1, Self.files[1].sha256: 2])
        #expect(registry.batches[0].published?.records == 4)
    }

    @Test func tornLastLineIsCutAndDamageElsewhereStops() throws {
        let root = TestSupport.temporaryDirectory("watch-torn")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/" + WatchJournal.fileName
        let good = WatchRecord.opened(batch: 1, atSeconds: 10, files: [Self.files[0]]).line
        let torn = Array(WatchRecord.moved(batch: 1).line.prefix(20))
        TestSupport.write(good + torn, to: path)
        let journal = try WatchJournal(root: root)
        #expect(journal.registry.inFlight.map(\.number) == [1])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(good), "the torn tail is cut off")
        try journal.append(.moved(batch: 1))
        #expect(try WatchJournal.read(root: root).inFlight.isEmpty)

        var damaged = good
        damaged[30] ^= 0x01
        TestSupport.write(damaged + WatchRecord.moved(batch: 1).line, to: path)
        #expect(throws: SettleError.self) { try WatchJournal(root: root) }
    }

    static func ready(_ sizes: [Int], since: [UInt64]) -> [InboxScanner.ReadyFile] {
        zip(sizes, since).enumerated().map { InboxScanner.ReadyFile(name: "f\($0.offset)", sizeBytes: $0.element.0, marker: "", readySinceNanoseconds: $0.element.1) }
    }

    @Test func batchClosesWhenFullOrWhenItsOldestHasWaited() {
        let policy = BatchPolicy(maxFiles: 3, maxBytes: 1000, waitNanoseconds: 5_000)
        // Two small files, the oldest ready at 1000: not full, and at 5999 not waited long enough.
        let two = Self.ready([10, 10], since: [1000, 2000])
        #expect(policy.close(two, nowNanoseconds: 5_999, draining: false) == nil)
        #expect(policy.close(two, nowNanoseconds: 6_000, draining: false)?.map(\.name) == ["f0", "f1"])
        #expect(policy.close(two, nowNanoseconds: 1_000, draining: true)?.map(\.name) == ["f0", "f1"])
        // Four files: full at three.
        #expect(policy.close(Self.ready([1, 1, 1, 1], since: [9, 9, 9, 9]), nowNanoseconds: 9, draining: false)?.map(\.name) == ["f0", "f1", "f2"])
        // Bytes: the file that reaches 1000 bytes closes the batch.
        #expect(policy.close(Self.ready([600, 400, 5], since: [9, 9, 9]), nowNanoseconds: 9, draining: false)?.map(\.name) == ["f0", "f1"])
        #expect(policy.close([], nowNanoseconds: 9, draining: true) == nil)
        #expect(BatchPolicy.oldestWait(two, nowNanoseconds: 4_000) == 3_000)
    }

    @Test func expectationsParseAndAlarmOncePerDay() {
        #expect(ExpectedFile.parse("visa_*.dat@06:30") == ExpectedFile(glob: "visa_*.dat", minuteOfDay: 390))
        for bad in ["visa@6:30", "@06:30", "visa@24:00", "visa@06:60", "visa"] { #expect(ExpectedFile.parse(bad) == nil, "\(bad)") }
        var alarm = LateFileAlarm([ExpectedFile(glob: "visa_*", minuteOfDay: 390), ExpectedFile(glob: "mc_*", minuteOfDay: 400)])
        alarm.arrived(["mc_1.dat"], day: 5)
        #expect(alarm.check(day: 5, minuteOfDay: 389).late.isEmpty)
        let first = alarm.check(day: 5, minuteOfDay: 401)
        #expect(first.late.map(\.glob) == ["visa_*"] && first.newlyLate.map(\.glob) == ["visa_*"])
        #expect(alarm.check(day: 5, minuteOfDay: 402).newlyLate.isEmpty, "one warning a day")
        alarm.arrived(["visa_2.dat"], day: 5)
        #expect(alarm.check(day: 5, minuteOfDay: 403).late.isEmpty)
        #expect(alarm.check(day: 6, minuteOfDay: 403).late.map(\.glob) == ["visa_*", "mc_*"], "a new day expects again")
    }

    @Test func batchNamesSortAsNumbers() {
        #expect(WatchOptions.batchName(1) == "000001")
        #expect(WatchOptions.batchName(123_456) == "123456")
        #expect(WatchOptions.batchName(1_234_567) == "1234567")
    }
}
