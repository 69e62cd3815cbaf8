import Dispatch
import Foundation
import SettleEngine

/// SIGINT / SIGTERM for `settle watch`: the first signal starts no new batch and lets the batch in
/// flight finish; when `--grace` is over, the batch stops at its next partition boundary and is left
/// resumable; either way the daemon then exits 0. A second signal exits at once (130 / 143): every
/// step is durable, so that is as safe as SIGKILL.
final class WatchSignals: @unchecked Sendable {
    // @unchecked: `sources` is written once in `install`, before any handler can run, and only read after.
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "settle.watch-signals")

    func install(stop: WatchStop, grace: Double) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [queue] in
                let name = SignalHandling.name(signalNumber)
                if stop.requestStop(signal: signalNumber) == 1 {
                    printError("settle: \(name) received: no new batch starts; the batch in flight may finish (up to \(Int(grace)) s); a second signal stops at once")
                    queue.asyncAfter(deadline: .now() + grace) {
                        printError("settle: grace period over: the batch in flight stops at its next partition and stays resumable")
                        stop.abandonBatch()
                    }
                } else {
                    printError("settle: second signal: stopping now (the batch in flight stays resumable)")
                    exit(SignalHandling.exitCode(for: stop.signal))
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
