import Foundation
import SettleEngine
import Synchronization

/// Progress on stderr while a job runs, from a thread of its own that samples the job's snapshot
/// (the workers only bump counters once per partition). On a terminal: a live line redrawn in place
/// four times a second. Otherwise: a plain line (or, under `--log-format json`, a log record) every
/// `intervalSeconds`, and a last one when the job ends.
final class ProgressReporter: Sendable {
    enum Mode: Sendable, Equatable {
        case live
        case lines(intervalSeconds: Double)
    }

    static let liveIntervalSeconds = 0.25

    private let progress: JobProgress
    private let mode: Mode
    private let wake = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)
    /// The last line written, so a line is written only when something changed.
    private let lastText = Mutex("")

    init(progress: JobProgress, mode: Mode) {
        self.progress = progress
        self.mode = mode
    }

    /// Live on a terminal unless stderr carries JSON records; nil with `--quiet`.
    static func mode(quiet: Bool, format: StderrSink.Format, intervalSeconds: Double) -> Mode? {
        if quiet { return nil }
        return StderrSink.isTerminal && format == .text ? .live : .lines(intervalSeconds: intervalSeconds)
    }

    func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        let interval: Double
        switch mode {
        case .live: interval = Self.liveIntervalSeconds
        case .lines(let seconds): interval = seconds
        }
        if mode == .live { StderrSink.shared.setLiveLine("settle: " + ProgressLine(progress.snapshot, nowNanoseconds: Self.now()).text) }
        let thread = Thread { [self] in
            while wake.wait(timeout: .now() + interval) == .timedOut {
                let line = ProgressLine(progress.snapshot, nowNanoseconds: Self.now())
                guard isNew(line) else { continue }
                if mode == .live {
                    StderrSink.shared.setLiveLine("settle: " + line.text)
                } else {
                    Self.emit(line)
                }
            }
            ended.signal()
        }
        thread.name = "settle-progress"
        thread.start()
    }

    /// Stops the thread; erases the live line, or writes a last plain line.
    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        wake.signal()
        ended.wait()
        if mode == .live {
            StderrSink.shared.setLiveLine(nil)
        } else {
            let line = ProgressLine(progress.snapshot, nowNanoseconds: Self.now())
            if isNew(line) { Self.emit(line) }
        }
    }

    private func isNew(_ line: ProgressLine) -> Bool {
        let text = line.text
        return lastText.withLock { last in
            defer { last = text }
            return last != text
        }
    }

    private static func emit(_ line: ProgressLine) {
        let json = StderrSink.shared.format == .json
            ? LogRecord.json(level: "info", message: "progress", metadata: line.fields.map { ($0.key, $0.value) }) : nil
        StderrSink.shared.writeLine("settle: progress: " + line.text, json: json)
    }

    private static func now() -> UInt64 { ProgressLine.nowNanoseconds() }
}
