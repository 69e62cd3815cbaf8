import Foundation
import SettleEngine
import Synchronization

/// Writes a file on a thread of its own, so the kernel's copying of one chunk overlaps the
/// formatting of the next (on a small machine the copy costs as much as the formatting).
///
/// The `AtomicFile` is created, written and published on that thread, so only `[UInt8]` chunks cross
/// threads: through a queue of at most `depth` chunks, and back as emptied buffers for reuse. A write
/// error is kept and reported by the next `send` or by `finish`; the thread goes on draining so that
/// the sender never blocks forever.
final class BackgroundFileWriter: Sendable {
    /// What the sender hands the writer thread.
    private enum Message: Sendable {
        case bytes([UInt8])
        case commit
        case abandon
    }

    let path: String
    private let pending = Mutex<[Message]>([])
    private let spareBuffers = Mutex<[[UInt8]]>([])
    private let failure = Mutex<SettleError?>(nil)
    /// Set once `finish` has sent its message, so a second call (say from a `deinit`) does nothing.
    private let finishing = Mutex<Bool>(false)
    private let queued = DispatchSemaphore(value: 0)
    private let freeSlots: DispatchSemaphore
    private let ended = DispatchSemaphore(value: 0)

    init(path: String, depth: Int = 3) {
        self.path = path
        freeSlots = DispatchSemaphore(value: depth)
        let thread = Thread { [self] in self.drain() }
        thread.name = "settle-generate-writer"
        thread.start()
    }

    /// Queues `chunk` for writing (waiting while `depth` chunks are queued) and returns an emptied
    /// buffer to fill next. Throws an earlier write's error.
    func send(_ chunk: consuming [UInt8]) throws(SettleError) -> [UInt8] {
        if let error = failure.withLock({ $0 }) { throw error }
        freeSlots.wait()
        pending.withLock { $0.append(.bytes(chunk)) }
        queued.signal()
        return spareBuffers.withLock { $0.popLast() } ?? []
    }

    /// Publishes the file (`commit`) or removes it, once all queued chunks are written. Only the first
    /// call acts; it waits for the writer thread to end and throws the first write error.
    func finish(commit: Bool) throws(SettleError) {
        let first = finishing.withLock { already in
            defer { already = true }
            return !already
        }
        guard first else { return }
        freeSlots.wait()
        pending.withLock { $0.append(commit ? .commit : .abandon) }
        queued.signal()
        ended.wait()
        if commit, let error = failure.withLock({ $0 }) { throw error }
    }

    /// What the writer thread does after a message.
    private enum Next { case more, commit, abandon }

    /// The writer thread: one `AtomicFile`, written in queue order.
    private func drain() {
        defer { ended.signal() }
        var file: AtomicFile
        do {
            file = try AtomicFile(path: path, mode: 0o644)
        } catch {
            fail(error)
            while nextMessage(writing: { _ in }) == .more {}
            return
        }
        var next = Next.more
        while next == .more {
            next = nextMessage(writing: { bytes in try bytes.withUnsafeBytes { raw in try file.write(raw) } })
        }
        if next == .abandon || failure.withLock({ $0 }) != nil {
            file.abandon()
            return
        }
        do {
            try file.commit()
        } catch {
            fail(error)
        }
    }

    /// Takes one message: writes a chunk (unless a write already failed) and recycles its buffer.
    private func nextMessage(writing write: ([UInt8]) throws -> Void) -> Next {
        queued.wait()
        let message = pending.withLock { $0.removeFirst() }
        defer { freeSlots.signal() }
        switch message {
        case .bytes(var bytes):
            if failure.withLock({ $0 }) == nil {
                do {
                    try write(bytes)
                } catch {
                    fail(error)
                }
            }
            bytes.removeAll(keepingCapacity: true)
            spareBuffers.withLock { $0.append(bytes) }
            return .more
        case .commit:
            return .commit
        case .abandon:
            return .abandon
        }
    }

    private func fail(_ error: any Error) {
        let settleError = (error as? SettleError) ?? SettleError(.io, "cannot write \(path): \(error)")
        failure.withLock { if $0 == nil { $0 = settleError } }
    }
}
