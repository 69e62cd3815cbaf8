/// One line of the watch registry's journal (`ROOT/watch.journal`): what happened to a batch or to
/// an inbox file, in the order it happened. Lines are only ever appended; replaying them in order
/// rebuilds the registry (`WatchRegistry`).
package enum WatchRecord: Equatable, Sendable {
    /// A batch is about to start with these files (written, and fsynced, before its job starts).
    case opened(batch: Int, atSeconds: Int, files: [BatchFile])
    /// A file left its batch before the batch published (it could not be read): it is in failed/.
    case dropped(batch: Int, name: String)
    /// The batch's job published its outputs in `ROOT/batches/NNNNNN/`.
    case published(batch: Int, exitStatus: Int, records: Int, rejects: Int, milliseconds: Int)
    /// Every file of the batch is in `ROOT/processed/NNNNNN/`: the batch is over.
    case moved(batch: Int)
    /// A file whose content an earlier batch already holds, moved to `ROOT/duplicates/storedAs`.
    case duplicate(name: String, sha256: String, firstBatch: Int, storedAs: String, atSeconds: Int)
    /// A file that could not be read, moved to `ROOT/failed/storedAs` beside `storedAs.reason`.
    case failed(name: String, reason: String, storedAs: String, atSeconds: Int)
}

/// A file of a batch, as it was when the batch opened.
package struct BatchFile: Equatable, Sendable {
    /// The name in the inbox (and in `processed/NNNNNN/`).
    package var name: String
    /// SHA-256 of the whole content, lowercase hex: the duplicate guard's key.
    package var sha256: String
    package var sizeBytes: Int
    package var layout: String
    /// With `--ready-suffix`: the marker's name (moved with the file); empty otherwise.
    package var marker: String

    package init(name: String, sha256: String, sizeBytes: Int, layout: String, marker: String = "") {
        self.name = name
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.layout = layout
        self.marker = marker
    }
}

/// The journal's line format: `settle-watch-1 TAB kind TAB fields... TAB crc32c`, one record a line.
/// Fields escape `%`, tab, CR, LF and other control bytes as `%XX`, so any file name (not UTF-8
/// ones too) survives; the CRC-32C over the line before its last tab detects a torn write.
extension WatchRecord {
    static let tag = "settle-watch-1"

    var fields: [String] {
        switch self {
        case let .opened(batch, at, files):
            return ["opened", "\(batch)", "\(at)", "\(files.count)"]
                + files.flatMap { [$0.name, $0.sha256, "\($0.sizeBytes)", $0.layout, $0.marker] }
        case let .dropped(batch, name): return ["dropped", "\(batch)", name]
        case let .published(batch, status, records, rejects, ms): return ["published", "\(batch)", "\(status)", "\(records)", "\(rejects)", "\(ms)"]
        case let .moved(batch): return ["moved", "\(batch)"]
        case let .duplicate(name, sha, first, stored, at): return ["duplicate", name, sha, "\(first)", stored, "\(at)"]
        case let .failed(name, reason, stored, at): return ["failed", name, reason, stored, "\(at)"]
        }
    }

    /// The line, newline included.
    package var line: [UInt8] {
        var bytes = Array(Self.tag.utf8)
        for field in fields {
            bytes.append(UInt8(ascii: "\t"))
            Self.escape(field, into: &bytes)
        }
        let crc = CRC32C.of(bytes)
        bytes.append(UInt8(ascii: "\t"))
        bytes += Array(CRC32C.hex(crc).utf8)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Parses one line (without its newline); nil when it is torn or damaged.
    package static func parse(_ line: ArraySlice<UInt8>) -> WatchRecord? {
        guard let lastTab = line.lastIndex(of: UInt8(ascii: "\t")) else { return nil }
        let body = Array(line[line.startIndex..<lastTab])
        guard String(decoding: line[(lastTab + 1)...], as: UTF8.self) == CRC32C.hex(CRC32C.of(body)) else { return nil }
        let parts = body.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(unescape)
        guard parts.first == tag, parts.count >= 2 else { return nil }
        return record(kind: parts[1], Array(parts.dropFirst(2)))
    }

    private static func record(kind: String, _ f: [String]) -> WatchRecord? {
        func int(_ i: Int) -> Int? { i < f.count ? Int(f[i]) : nil }
        switch kind {
        case "opened":
            guard let batch = int(0), let at = int(1), let count = int(2), f.count == 3 + count * 5 else { return nil }
            var files: [BatchFile] = []
            for index in 0..<count {
                let base = 3 + index * 5
                guard let size = Int(f[base + 2]) else { return nil }
                files.append(BatchFile(name: f[base], sha256: f[base + 1], sizeBytes: size, layout: f[base + 3], marker: f[base + 4]))
            }
            return .opened(batch: batch, atSeconds: at, files: files)
        case "dropped":
            guard let batch = int(0), f.count == 2 else { return nil }
            return .dropped(batch: batch, name: f[1])
        case "published":
            guard let batch = int(0), let status = int(1), let records = int(2), let rejects = int(3), let ms = int(4) else { return nil }
            return .published(batch: batch, exitStatus: status, records: records, rejects: rejects, milliseconds: ms)
        case "moved":
            guard let batch = int(0) else { return nil }
            return .moved(batch: batch)
        case "duplicate":
            guard f.count == 5, let first = int(2), let at = int(4) else { return nil }
            return .duplicate(name: f[0], sha256: f[1], firstBatch: first, storedAs: f[3], atSeconds: at)
        case "failed":
            guard f.count == 4, let at = int(3) else { return nil }
            return .failed(name: f[0], reason: f[1], storedAs: f[2], atSeconds: at)
        default:
            return nil
        }
    }

    private static func escape(_ field: String, into bytes: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in PathText.bytes(field) {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "%") {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            } else {
                bytes.append(byte)
            }
        }
    }

    private static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var bytes: [UInt8] = []
        var index = field.startIndex
        while index < field.endIndex {
            if field[index] == UInt8(ascii: "%"), index + 2 < field.endIndex,
               let value = UInt8(String(decoding: field[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(field[index])
                index += 1
            }
        }
        return PathText.decode(bytes)
    }
}
