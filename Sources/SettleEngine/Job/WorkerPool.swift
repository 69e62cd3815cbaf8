import Foundation
import Synchronization

/// A fixed pool of threads Settle owns (not Swift's cooperative pool: map and reduce are long,
/// CPU-bound loops over mapped pages that can block on I/O). Tasks are handed out one at a time
/// from a shared counter, so at most `workers` tasks are in flight and nothing runs ahead.
public enum WorkerPool {
    /// Runs `body` for task indexes `0..<taskCount` on `workers` threads. Each thread first builds
    /// its own state with `makeState` (a worker's table and buffers), used for all its tasks.
    /// The first error stops the handing out of tasks and is rethrown once all threads have ended;
    /// so does `shouldStop` returning true (checked between tasks), which ends with `stopped` set.
    /// `finish` runs on each thread once it takes no more tasks (none left, or stopped), unless that
    /// thread failed: a worker publishes what it has accumulated there.
    public static func run<State, Result: Sendable>(
        taskCount: Int,
        workers: Int,
        shouldStop: @escaping @Sendable () -> Bool = { false },
        makeState: @escaping @Sendable (Int) throws -> State,
        body: @escaping @Sendable (inout State, Int, Int) throws -> Result,
        finish: @escaping @Sendable (inout State) throws -> Void = { _ in }
    ) throws -> [Result?] {
        let next = Atomic<Int>(0)
        let results = Mutex<[Result?]>([Result?](repeating: nil, count: taskCount))
        let firstError = Mutex<(any Error)?>(nil)
        let threadCount = max(1, min(workers, taskCount))
        let done = DispatchSemaphore(value: 0)
        for workerIndex in 0..<threadCount {
            let thread = Thread {
                defer { done.signal() }
                do {
                    var state = try makeState(workerIndex)
                    while true {
                        if firstError.withLock({ $0 != nil }) || shouldStop() { break }
                        let task = next.add(1, ordering: .relaxed).oldValue
                        if task >= taskCount { break }
                        let result = try body(&state, task, workerIndex)
                        results.withLock { $0[task] = result }
                    }
                    try finish(&state)
                } catch {
                    firstError.withLock { if $0 == nil { $0 = error } }
                }
            }
            thread.stackSize = 8 << 20
            thread.name = "settle-worker-\(workerIndex)"
            thread.start()
        }
        for _ in 0..<threadCount { done.wait() }
        if let error = firstError.withLock({ $0 }) { throw error }
        return results.withLock { $0 }
    }
}
