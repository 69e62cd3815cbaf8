import Foundation
import Logging
import SettleEngine

/// Bootstraps swift-log once for the executable: plain lines on stderr (`settle: warning: ...`), or
/// with `--log-format json` one JSON object per line (timestamp, level, message, metadata fields).
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

    /// Sets the format of everything Settle writes on stderr.
    static func configure(format: StderrSink.Format) {
        StderrSink.shared.format = format
    }

    /// Applies `--log-format` before the arguments are parsed, so that even a usage error is
    /// written in the format asked for.
    static func configure(arguments: [String]) {
        for (index, argument) in arguments.enumerated() {
            if argument == "--log-format=json" || (argument == "--log-format" && arguments.dropFirst(index + 1).first == "json") {
                configure(format: .json)
            }
        }
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
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let sorted = merged.sorted { $0.key < $1.key }
        let json = LogRecord.json(level: event.level.rawValue, message: "\(event.message)",
                                  metadata: sorted.map { ($0.key, Self.value($0.value)) })
        let prefix = event.level >= .warning ? "\(event.level): " : ""
        let fields = sorted.isEmpty ? "" : " " + sorted.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        StderrSink.shared.writeLine("settle: \(prefix)\(event.message)\(fields)", json: json)
    }

    static func value(_ value: Logger.Metadata.Value) -> JSONLine.Value {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(Self.value))
        case .dictionary(let members): return .object(members.sorted { $0.key < $1.key }.map { ($0.key, Self.value($0.value)) })
        }
    }
}
