/// Retries a task that failed on Settle's own files (a full disk, a failed write or fsync, a spill
/// that cannot be read back), with exponential backoff and jitter. Each attempt starts from a clean
/// slate (the task creates a new attempt directory). Other errors are not retried.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelayMilliseconds: Int

    public init(maxAttempts: Int = 4, baseDelayMilliseconds: Int = 100) {
        self.maxAttempts = maxAttempts
        self.baseDelayMilliseconds = baseDelayMilliseconds
    }

    /// Runs `body(attempt)` (1-based) until it succeeds or attempts run out; `onRetry` hears each
    /// failure that will be retried.
    package func run<R>(_ task: String, onRetry: (Int, SettleError) -> Void = { _, _ in },
                       _ body: (Int) throws -> R) throws -> R {
        var attempt = 1
        while true {
            do {
                return try body(attempt)
            } catch let error as SettleError where error.code == .io {
                if attempt >= maxAttempts {
                    throw SettleError(.io, "\(task) failed after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(error.message)")
                }
                onRetry(attempt, error)
                var generator = SystemRandomNumberGenerator()
                let delay = baseDelayMilliseconds << (attempt - 1)
                let jitter = Int.random(in: 0...max(1, delay / 2), using: &generator)
                Syscalls.sleep(milliseconds: min(30_000, delay + jitter))
                attempt += 1
            }
        }
    }
}
