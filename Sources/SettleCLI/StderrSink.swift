import Foundation
import SettleEngine
import Synchronization

/// The one writer of stderr: log lines, the report and progress. On a terminal it owns the live
/// progress line (redrawn in place with `\r` and erase-line), and a log line written meanwhile
/// clears it, prints, and redraws it, so the two never mix. Under `--log-format json` every line
/// it writes is one JSON object.
final class StderrSink: Sendable {
    static let shared = StderrSink()

    enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private struct State {
        var format = Format.text
        var liveLine: String?
    }

    private let state = Mutex(State())

    var format: Format {
        get { state.withLock { $0.format } }
        set { state.withLock { $0.format = newValue } }
    }

    /// Whether stderr is a terminal (a live line is drawn only there).
    static let isTerminal = isatty(2) == 1

    /// Writes one line; under JSON, `text` is wrapped in a record unless it is one already.
    func writeLine(_ text: String, level: String = "notice", json: String? = nil) {
        state.withLock { state in
            var out = ""
            if state.liveLine != nil { out += "\r\u{1B}[2K" }
            // Paths that are not UTF-8 show their odd bytes as \xNN (a JSON string escapes the backslash).
            if state.format == .json {
                out += PathText.display(json ?? LogRecord.json(level: level, message: text, metadata: []), inJSONString: true)
            } else {
                out += PathText.display(text)
            }
            out += "\n"
            if let live = state.liveLine { out += live }
            Self.write(out)
        }
    }

    /// Draws (or with nil, erases) the live line on a terminal.
    func setLiveLine(_ text: String?) {
        state.withLock { state in
            Self.write("\r\u{1B}[2K" + (text ?? ""))
            state.liveLine = text
        }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A log record as one JSON object: timestamp, level, message, then the fields.
enum LogRecord {
    static let reserved: Set<String> = ["timestamp", "level", "message"]

    static func json(level: String, message: String, metadata: [(String, JSONLine.Value)]) -> String {
        var fields: [(String, JSONLine.Value)] = [("timestamp", .string(JSONLine.timestampNow())), ("level", .string(level)),
                                                  ("message", .string(message))]
        for (key, value) in metadata { fields.append((reserved.contains(key) ? "field_" + key : key, value)) }
        return JSONLine.render(fields)
    }

    /// A plain stderr line (`settle: error: ...`) as a record: level from its prefix, message without it.
    static func json(plainLine line: String) -> String {
        var message = line.hasPrefix("settle: ") ? String(line.dropFirst(8)) : line
        var level = "notice"
        for candidate in ["critical", "error", "warning"] where message.hasPrefix(candidate + ": ") {
            level = candidate
            message = String(message.dropFirst(candidate.count + 2))
            break
        }
        return json(level: level, message: message, metadata: [])
    }
}
