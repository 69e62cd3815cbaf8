import Foundation
import Synchronization

/// A metrics file for node_exporter's textfile collector (the usual way to monitor batch jobs):
/// the exposition text that `render` returns, written every `intervalSeconds` by a thread of its
/// own and once more by `stop()`. Each write is atomic (`AtomicFile`: a temporary name that does not
/// end in `.prom`, fsync, rename), so the collector never reads half a file.
public final class MetricsFile: Sendable {
    public let path: String
    let intervalSeconds: Double
    let render: @Sendable () -> [UInt8]
    let onError: @Sendable (String) -> Void
    private let wake = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    /// Only the first failure is reported; a scheduler's log should not fill with the same line.
    private let failures = Atomic<Int>(0)

    public init(path: String, intervalSeconds: Double, render: @escaping @Sendable () -> [UInt8],
                onError: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.intervalSeconds = max(0.01, intervalSeconds)
        self.render = render
        self.onError = onError
    }

    /// Writes once now, then every interval until `stop()`.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let (directory, name) = AtomicFile.split(path)
        try? FileIO.makeDirectories(directory)
        // Temporaries of this file that a killed run left (only this name's pattern, processes gone).
        OutputFiles.removeTemporaries(in: directory, names: [name])
        try? write()
        let thread = Thread { [self] in
            while wake.wait(timeout: .now() + intervalSeconds) == .timedOut {
                try? write()
            }
            ended.signal()
        }
        thread.name = "settle-metrics-file"
        thread.start()
    }

    /// Ends the periodic writes and writes the final figures.
    public func stop() throws {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        if started.load(ordering: .relaxed) {
            wake.signal()
            ended.wait()
        }
        try write()
    }

    /// Renders and publishes the file now.
    public func write() throws {
        do {
            try AtomicFile.write(render(), to: path, mode: 0o644)
        } catch {
            if failures.add(1, ordering: .relaxed).oldValue == 0 {
                onError("cannot write the metrics file \(path): \(error)")
            }
            throw error
        }
    }
}
