import Foundation
import Testing
@testable import SettleEngine

/// Inputs the fuzz targets of `Fuzz/` (tools/fuzz.sh) found to crash a reader, each as a literal:
/// after the fix each is a clear error, never a trap.
@Suite("Fuzz regressions: inputs that once trapped a reader")
struct FuzzRegressionTests {
    /// Target `spill` (the index checksum recomputed by the harness): a run of 111 bytes whose index
    /// frame (from byte 15) holds 2 buckets, the first at offset 0xc52700eb00000000, past Int.max.
    /// `RunReader` converted it with `Int(_:)`, which trapped; now the index entry is out of range.
    static let spillIndexOffsetPastIntMax: [UInt8] = [
        0x04, 0x22, 0x4d, 0x18, 0x74, 0x40, 0x09, 0x01, 0x00, 0x00, 0xf7, 0x8e, 0x0c, 0x8f, 0xed, 0x50,
        0x2a, 0x4d, 0x18, 0x58, 0x00, 0x00, 0x00, 0x53, 0x52, 0x55, 0x4e, 0x01, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xeb,
        0x00, 0x27, 0xc5, 0x48, 0x43, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x2a, 0x4d, 0x18, 0x58, 0x00, 0x00, 0x00, 0x53, 0xc5,
        0x34, 0x1c, 0xb3, 0x9d, 0x77, 0xff, 0xd8, 0x60, 0x00, 0x00, 0x00, 0x53, 0x49, 0x44, 0x58,
    ]

    @Test func spillIndexEntryPastIntMaxIsCorrupt() throws {
        let directory = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s0000.run"
        TestSupport.write(Self.spillIndexOffsetPastIntMax, to: path)
        // The checksum holds (the harness made it hold), so it is the entry itself that is refused.
        var sumAt = Self.spillIndexOffsetPastIntMax.count - 16
        #expect(RunIndex.read(Self.spillIndexOffsetPastIntMax, &sumAt, as: UInt64.self)
                == RunIndex.fnv1a(Array(Self.spillIndexOffsetPastIntMax[23..<95])))
        do {
            _ = try RunReader(path: path)
            Issue.record("expected the run to be refused")
        } catch let error as SettleError {
            #expect(error.code == .io)
            #expect(error.message == "spill file \(path) is corrupt: index entry out of range")
        }
    }

    /// Target `marker`: partition 0's marker of the target's job with `seconds` made negative (and
    /// the like: huge, not a number). `PartitionMarker.result` converted it with `UInt64(_:)`, which
    /// trapped on every resume of that job; now the marker is invalid and the partition is redone.
    static func partitionMarker(seconds: String) -> String {
        """
        {
          "attempt" : "attempt-fuzz",
          "attempts" : 1,
          "byte_end" : 3220,
          "byte_start" : 0,
          "file" : 0,
          "partition" : 0,
          "readable_credit" : "0",
          "readable_credit_count" : 0,
          "readable_debit" : "0",
          "readable_debit_count" : 0,
          "readable_fee" : "0",
          "records" : 20,
          "rejected" : 0,
          "rejected_details" : 0,
          "rejects_by_reason" : {

          },
          "runs" : [
            {
              "entries" : 17,
              "name" : "s0000.run",
              "size_bytes" : 618
            }
          ],
          "schema" : 1,
          "seconds" : \(seconds),
          "unreadable_amounts" : 0,
          "unreadable_fees" : 0,
          "valid_credit" : "0",
          "valid_credit_count" : 0,
          "valid_debit" : "1003975",
          "valid_debit_count" : 19,
          "valid_details" : 19,
          "valid_fee" : "13580",
          "worker" : 0
        }
        """
    }

    @Test(arguments: zip(["-5", "1e300", "18446744073.8"], [nil, nil, nil] as [UInt64?])
          + [("0.5", 500_000_000 as UInt64?)])
    func markerSecondsOutOfRangeIsInvalid(seconds: String, nanoseconds: UInt64?) throws {
        let directory = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        TestSupport.write(Self.partitionMarker(seconds: seconds), to: directory + "/marker.json")
        let marker = try #require(MarkerIO.decode(PartitionMarker.self, path: directory + "/marker.json"))
        let partition = Partition(index: 0, fileIndex: 0, byteStart: 0, byteEnd: 3220)
        if let nanoseconds {
            #expect(try marker.result(partition: partition, taskDirectory: directory).endNanoseconds == nanoseconds)
        } else {
            #expect(throws: MarkerError.self) { try marker.result(partition: partition, taskDirectory: directory) }
        }
    }

    /// Target `spill` (its entry decoders run on raw bytes): a mismatch row of 31 bytes (then two
    /// more entries): reference empty (byte 0), position 0 (1), both sides present (2: 0x27); the
    /// settled side (3-8) empty with flags 1 and zeros; the ledger side (9-30) empty, an amount
    /// (12-19), a file index of 2^64 - 1 (20-29: nine 0xff, 0x01), record number 0 (30).
    /// `MismatchCodec.load` converted the index with `Int(_:)`, which trapped; now the entry is malformed.
    static let mismatchFileIndexPastIntMax: [UInt8] = [
        0x00, 0x00, 0x27, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf9, 0xff, 0xff, 0xff,
        0xff, 0xf9, 0xf0, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x58,
    ]

    @Test func mismatchEntryWithFileIndexPastIntMaxIsMalformed() {
        let entry = Self.mismatchFileIndexPastIntMax.withUnsafeBytes {
            MismatchCodec.load(from: $0.baseAddress!, available: $0.count)
        }
        #expect(entry == nil)
        // Byte 29 made 0x00 ends the index after nine 0xff bytes: 2^63 - 1, which fits and decodes.
        var fitting = Self.mismatchFileIndexPastIntMax
        fitting[29] = 0x00
        let decoded = fitting.withUnsafeBytes { MismatchCodec.load(from: $0.baseAddress!, available: $0.count) }
        #expect(decoded?.size == 31)
        #expect(decoded?.value.ledger?.file == Int.max)
        #expect(decoded?.value.settled?.occurrence.flags == 1)
    }
}
