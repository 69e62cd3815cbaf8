import Foundation

/// A duration option's value (`--grace`, `--batch-wait`, `--settle-time`): `30s`, `2m`, `250ms` or
/// plain seconds, into seconds; nil when it cannot be read.
enum DurationArgument {
    static func seconds(_ text: String) -> Double? {
        var text = text.trimmingCharacters(in: .whitespaces).lowercased()
        var scale = 1.0
        if text.hasSuffix("ms") { scale = 0.001; text.removeLast(2) }
        else if text.hasSuffix("s") { text.removeLast() }
        else if text.hasSuffix("m") { scale = 60; text.removeLast() }
        else if text.hasSuffix("h") { scale = 3600; text.removeLast() }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return value * scale
    }
}
