import Dispatch

/// How a watch daemon is asked to stop. `requestStop` (the first SIGTERM/SIGINT): no new batch
/// starts and the daemon's sleeps end early; `abandonBatch` (when `--grace` is over): the batch in
/// flight stops at its next partition boundary and is left resumable (its job's `Shutdown`).
package final class WatchStop: Sendable {
    let daemon = Shutdown()
    let job = Shutdown()
    private let wake = DispatchSemaphore(value: 0)

    package init() {}

    /// Returns how many stop requests have arrived.
    @discardableResult
    package func requestStop(signal: Int32) -> Int {
        let count = daemon.request(signal: signal)
        wake.signal()
        return count
    }

    package func abandonBatch() { job.request(signal: daemon.signal == 0 ? 15 : daemon.signal) }

    package var isRequested: Bool { daemon.isRequested }
    package var signal: Int32 { daemon.signal }

    /// Sleeps `seconds`, or less if a stop is requested meanwhile.
    func sleep(seconds: Double) {
        guard !daemon.isRequested else { return }
        _ = wake.wait(timeout: .now() + seconds)
    }

    var signalName: String { daemon.signal == 2 ? "SIGINT" : "SIGTERM" }
}
