import ArgumentParser
import SettleEngine

/// A size option's value (`--memory`, `--partition-size`) read into bytes, or a sentence saying
/// what is wrong with it. The options take their value unconditionally, so `--memory -5` reaches
/// here instead of argument-parser's "Missing value".
enum SizeArgument {
    static func bytes(_ text: String, option: String, example: String) throws(ValidationError) -> Int {
        if let bytes = ByteSize.parse(text), bytes > 0 { return bytes }
        let trimmed = text.trimmingCharacters(in: " ")
        if trimmed.isEmpty { throw ValidationError("\(option) needs a size, such as \(example)") }
        if trimmed.hasPrefix("-") { throw ValidationError("\(option) must be a positive size, not '\(trimmed)' (for example \(example))") }
        if ByteSize.parse(text) == 0 { throw ValidationError("\(option) must be more than 0 bytes (for example \(example))") }
        throw ValidationError("\(option): cannot read size '\(trimmed)': give a number with an optional unit K, M, G or T (KiB, MiB, ...), such as \(example)")
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var view = Substring(self)
        while view.first == set { view.removeFirst() }
        while view.last == set { view.removeLast() }
        return String(view)
    }
}
