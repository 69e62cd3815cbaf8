import Foundation
import Synchronization

/// Samples this process's memory from `/proc/self/status` on a background thread: peak RSS and peak
/// anonymous memory (`RssAnon`, what Settle itself allocates, as opposed to mapped file pages).
package final class MemorySampler: Sendable {
    private let peakAnonymousKiB = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let result = Mutex<(peakRSSBytes: Int, peakAnonymousBytes: Int)?>(nil)

    package init(intervalMilliseconds: Int = 5) {
        let thread = Thread { [self] in
            while !stopFlag.load(ordering: .relaxed) {
                sample()
                Syscalls.sleep(milliseconds: intervalMilliseconds)
            }
            sample()
            finished.signal()
        }
        thread.name = "settle-memory-sampler"
        thread.start()
    }

    private func sample() {
        if let anonymous = Self.status()["RssAnon"] {
            var current = peakAnonymousKiB.load(ordering: .relaxed)
            while anonymous > current {
                let (exchanged, original) = peakAnonymousKiB.compareExchange(expected: current, desired: anonymous, ordering: .relaxed)
                if exchanged { break }
                current = original
            }
        }
    }

    /// Stops sampling; returns (peak RSS, peak anonymous) in bytes. Safe to call more than once.
    package func stop() -> (peakRSSBytes: Int, peakAnonymousBytes: Int) {
        result.withLock { result in
            if let result { return result }
            stopFlag.store(true, ordering: .relaxed)
            finished.wait()
            let status = Self.status()
            let figures = ((status["VmHWM"] ?? 0) * 1024, peakAnonymousKiB.load(ordering: .relaxed) * 1024)
            result = figures
            return figures
        }
    }

    /// The kB figures of /proc/self/status by name.
    static func status() -> [String: Int] {
        guard let text = try? FileIO.readText(path: "/proc/self/status") else { return [:] }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let number = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            if let number { values[String(parts[0])] = number }
        }
        return values
    }
}
