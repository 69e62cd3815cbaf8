import Foundation
@testable import SettleEngine

/// Helpers shared by the engine's unit tests.
enum TestSupport {
    /// Every issue a layout text has (empty when it parses and validates).
    static func layoutIssues(_ yaml: String) -> [LayoutIssue] {
        do {
            _ = try LayoutParser.parse(yaml: yaml, source: "test.yaml")
            return []
        } catch {
            return error.issues
        }
    }

    /// The package root, found from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String = "settle-test") -> String {
        let path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) {
        try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func write(_ bytes: [UInt8], to path: String) {
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static var reference: CompiledLayout { try! LayoutLoader.compile("reference") }

    /// A reference-layout record built from its parts (positions from reference.yaml).
    static func detail(arn: String = "12345678901234567890123", merchant: String = "MERCHANT1", terminal: String = "T1",
                       txnDate: String = "20240107", settleDate: String = "20240108", currency: String = "USD",
                       amount: String = "000000001000", direction: String = "D", fee: String = "0000000010",
                       mcc: String = "5411", auth: String = "A1B2C3", txnType: String = "01") -> String {
        var record = "D" + arn + padded(merchant, 15) + padded(terminal, 8) + txnDate + settleDate + currency
        record += amount + direction + fee + mcc + auth + txnType
        return padded(record, 160)
    }

    static func header(date: String = "20240108") -> String {
        padded("H" + date + padded("FILE01", 10) + padded("VISA", 10), 160)
    }

    static func trailer(count: Int, debit: Int, credit: Int, fee: Int) -> String {
        padded("T" + zeros(count, 12) + zeros(debit, 18) + zeros(credit, 18) + zeros(fee, 18), 160)
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    static func zeros(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: width - digits.count) + digits
    }
}
