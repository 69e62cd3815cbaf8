import Testing
@testable import SettleEngine

@Suite("Fault injection: which calls each operation fails")
struct FaultInjectionTests {
    typealias Operation = FaultInjection.Operation

    // `enospc` is a full disk (writes only); `eio` a failing device under reads and fsyncs; the
    // others fail exactly the call they name.
    @Test(arguments: zip([Operation.write, .fsync, .read, .enospc, .eio],
                         [[Operation.write], [.fsync], [.read], [.write], [.fsync, .read]]))
    func operationMatchesCalls(rule: Operation, calls: [Operation]) {
        let matched = [Operation.write, .fsync, .read].filter { rule.matches($0) }
        #expect(matched == calls)
    }
}
