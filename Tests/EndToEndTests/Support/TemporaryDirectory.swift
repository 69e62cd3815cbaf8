import Foundation

/// A fresh directory under the system's temporary directory, owned by one test and removed by it.
/// Set SETTLE_E2E_KEEP=1 to keep them for a look after a failure.
struct TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String) throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        path = "\(base)/settle-e2e-\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        if ProcessInfo.processInfo.environment["SETTLE_E2E_KEEP"] != nil { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
