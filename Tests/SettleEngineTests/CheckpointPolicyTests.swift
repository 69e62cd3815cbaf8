import Testing
@testable import SettleEngine

/// `--checkpoint` values and when a checkpoint is due.
@Suite("Checkpoint policy")
struct CheckpointPolicyTests {
    @Test("sizes, durations, auto and never parse; other text does not",
          arguments: zip(["never", "auto", " AUTO ", "30s", "500ms", "2min", "1h", "256MiB", "64M", "1G", "1B", "4096"],
                         [CheckpointPolicy.never, .automatic, .automatic, .seconds(30), .seconds(0.5), .seconds(120), .seconds(3600),
                          .bytes(256 << 20), .bytes(64 << 20), .bytes(1 << 30), .bytes(1), .bytes(4096)]))
    func parses(text: String, expected: CheckpointPolicy) {
        #expect(CheckpointPolicy.parse(text) == expected)
    }

    @Test("unreadable values", arguments: ["", "soon", "-5s", "0", "0s", "12parsecs", "5m0", "s"])
    func refuses(text: String) {
        #expect(CheckpointPolicy.parse(text) == nil)
    }

    @Test("auto: half a worker's share of the input, at least a partition, at most 1 GiB")
    func automaticInterval() {
        let auto = CheckpointPolicy.automatic
        #expect(auto.intervalBytes(inputBytes: 1_600_000_000, workers: 2, partitionBytes: 64 << 20) == 400_000_000)
        #expect(auto.intervalBytes(inputBytes: 100 << 20, workers: 2, partitionBytes: 64 << 20) == 64 << 20)
        #expect(auto.intervalBytes(inputBytes: 100 << 30, workers: 2, partitionBytes: 64 << 20) == 1 << 30)
        #expect(CheckpointPolicy.never.intervalBytes(inputBytes: 1 << 30, workers: 2, partitionBytes: 1 << 20) == nil)
        #expect(auto.isDue(bytes: 400_000_000, seconds: 0, intervalBytes: 400_000_000))
        #expect(!auto.isDue(bytes: 399_999_999, seconds: 1e9, intervalBytes: 400_000_000))
        #expect(CheckpointPolicy.seconds(2).isDue(bytes: 0, seconds: 2.5, intervalBytes: nil))
        #expect(!CheckpointPolicy.seconds(2).isDue(bytes: 1 << 40, seconds: 1.5, intervalBytes: nil))
        #expect(!CheckpointPolicy.never.isDue(bytes: 1 << 40, seconds: 1e9, intervalBytes: nil))
    }
}
