import Foundation
import Synchronization
import SystemPackage

/// Test-only fault injection at the system-call layer of the files Settle writes (work files and
/// outputs) and the spill runs it reads back, to exercise the retries. Off unless the environment
/// variable `SETTLE_FAULT_INJECTION` is set to rules separated by `;`, each
/// `OP:PATH_PART:NTH[:TIMES]`: fail the NTH (1-based) matching call on a file whose path contains
/// PATH_PART, and the TIMES-1 matching calls after it (`*` for every one: a persistent fault).
/// OP `write`, `fsync` or `read` fails that call with EIO; `enospc` fails a write with ENOSPC (a full
/// disk); `eio` fails a read or an fsync with EIO. Example: `write:p000003/:2:1` fails the second
/// write of partition 3's files once.
package enum FaultInjection {
    enum Operation: String {
        case write, fsync, read, enospc, eio

        /// Whether a rule of this operation applies to a call of `call` (always a `write`, `fsync` or `read`).
        func matches(_ call: Operation) -> Bool {
            switch self {
            case .enospc: return call == .write
            case .eio: return call == .read || call == .fsync
            default: return call == self
            }
        }
    }

    struct Rule {
        var operation: Operation
        var pathPart: String
        var nth: Int
        var times: Int?
    }

    static let rules: [Rule] = {
        guard let text = ProcessInfo.processInfo.environment["SETTLE_FAULT_INJECTION"], !text.isEmpty else { return [] }
        return text.split(separator: ";").compactMap { spec in
            let parts = spec.split(separator: ":").map(String.init)
            guard parts.count >= 3, let operation = Operation(rawValue: parts[0]), let nth = Int(parts[2]) else { return nil }
            let times = parts.count > 3 ? (parts[3] == "*" ? nil : Int(parts[3])) : 1
            return Rule(operation: operation, pathPart: parts[1], nth: nth, times: times)
        }
    }()

    private static let counters = Mutex<[Int]>([])

    /// Test-only pauses, `SETTLE_TEST_DELAY=PATH_PART:MS[;...]`: the first I/O call on a work or
    /// output file whose path contains PATH_PART sleeps MS milliseconds, so that a test can stop a
    /// run inside a phase that is otherwise too short to hit (planning, reducing, publishing).
    static let delays: [(pathPart: String, milliseconds: Int)] = {
        guard let text = ProcessInfo.processInfo.environment["SETTLE_TEST_DELAY"], !text.isEmpty else { return [] }
        return text.split(separator: ";").compactMap { spec in
            let parts = spec.split(separator: ":").map(String.init)
            guard parts.count == 2, let milliseconds = Int(parts[1]) else { return nil }
            return (parts[0], milliseconds)
        }
    }()

    private static let delaysDone = Mutex<Set<Int>>([])

    /// A named point outside Settle's files (`publish-before-commit`): sleeps once as a
    /// `SETTLE_TEST_DELAY` rule whose PATH_PART is in `point` says, like the first I/O call on a file.
    package static func pause(at point: String) {
        for (index, delay) in delays.enumerated() where point.contains(delay.pathPart) {
            if delaysDone.withLock({ $0.insert(index).inserted }) { usleep(UInt32(delay.milliseconds * 1000)) }
        }
    }

    /// Throws an injected I/O error when a rule matches this call.
    static func check(_ operation: Operation, path: String) throws {
        if !delays.isEmpty { pause(at: path) }
        guard !rules.isEmpty else { return }
        let failing = counters.withLock { counts -> Operation? in
            if counts.count < rules.count { counts = [Int](repeating: 0, count: rules.count) }
            var failing: Operation?
            for (index, rule) in rules.enumerated() where rule.operation.matches(operation) && path.contains(rule.pathPart) {
                counts[index] += 1
                let call = counts[index]
                if call >= rule.nth && (rule.times.map { call < rule.nth + $0 } ?? true) { failing = failing ?? rule.operation }
            }
            return failing
        }
        guard let failing else { return }
        // Worded as the real failure is (`BufferedWriter`, `SpillCursor`), so that what a test sees is what a user would.
        let errno: Errno = failing == .enospc ? .noSpace : .ioError
        let verb = operation == .read ? "read" : operation == .fsync ? "fsync" : "write"
        throw SettleError(.io, "cannot \(verb) \(path): \(errno) (injected \(failing.rawValue) fault, SETTLE_FAULT_INJECTION)")
    }
}
