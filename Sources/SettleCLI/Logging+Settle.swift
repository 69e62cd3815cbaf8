import Foundation
import Logging

/// Bootstraps swift-log once for the executable: plain lines on stderr (`settle: warning: ...`).
enum SettleLogging {
    private static let bootstrapped: Void = {
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label) }
    }()

    static func logger(level: Logger.Level = .notice) -> Logger {
        _ = bootstrapped
        var logger = Logger(label: "settle")
        logger.logLevel = level
        return logger
    }
}

struct StderrLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "\(event.level): " : ""
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        printError("settle: \(prefix)\(event.message)\(fields)")
    }
}
