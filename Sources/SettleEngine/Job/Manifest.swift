import Foundation

/// The job's manifest (`WORK/manifest.json`): what the job is about, so that a resume can tell
/// whether the inputs, layouts or plan changed underneath it. Written once, atomically, by plan.
public struct Manifest: Codable, Sendable, Equatable {
    public static let schema = 1

    /// An input file's identity: path, size, modification time and a SHA-256 of sampled blocks.
    public struct InputIdentity: Codable, Sendable, Equatable {
        public var path: String
        public var layout: String
        public var sizeBytes: Int
        public var modifiedSeconds: Int
        public var modifiedNanoseconds: Int
        public var sampledSha256: String
        /// For a compressed input: the decompressed copy the job maps (the identity above stays the
        /// compressed file's, so a changed .gz is refused). Nil for a plain input.
        public var decompressed: DecompressedCopy? = nil
        /// For a ledger read from a table: its row count, key range and row size as planned (the
        /// size, time and checksum above are then unused). Nil for a file.
        package var table: TableIdentity? = nil
    }

    /// What a table ledger held when the job was planned: a resume that finds another row count or
    /// key range refuses, as for a changed file.
    package struct TableIdentity: Codable, Sendable, Equatable {
        package var name: String
        package var rowCount: Int
        package var minKey: Int64?
        package var maxKey: Int64?
        package var bytesPerRow: Int

        package var facts: LedgerTableFacts { LedgerTableFacts(rowCount: rowCount, minKey: minKey, maxKey: maxKey, bytesPerRow: bytesPerRow) }
    }

    /// A compressed input's copy, decompressed once into the job directory: what the plan cuts and
    /// the workers map. A resume or a task reuses it when it is there with this size.
    public struct DecompressedCopy: Codable, Sendable, Equatable {
        /// `gzip`.
        public var format: String
        /// Relative to the job directory: `inputs/N-NAME`.
        public var path: String
        public var sizeBytes: Int
    }

    /// A layout as the job uses it: how it was named, its YAML text (so tasks on other hosts, and
    /// resumes from another directory, use exactly the same layout) and the text's SHA-256.
    public struct LayoutIdentity: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var text: String
    }

    public struct PartitionEntry: Codable, Sendable, Equatable {
        public var index: Int
        public var file: Int
        public var byteStart: Int
        public var byteEnd: Int
        /// A table ledger's partition: its keys, `(key_low, key_high]`.
        package var keyLow: Int64? = nil
        package var keyHigh: Int64? = nil

        init(_ partition: Partition) {
            self.init(index: partition.index, file: partition.fileIndex, byteStart: partition.byteStart, byteEnd: partition.byteEnd,
                      keyLow: partition.keyRange?.low, keyHigh: partition.keyRange?.high)
        }

        init(index: Int, file: Int, byteStart: Int, byteEnd: Int, keyLow: Int64? = nil, keyHigh: Int64? = nil) {
            self.index = index
            self.file = file
            self.byteStart = byteStart
            self.byteEnd = byteEnd
            self.keyLow = keyLow
            self.keyHigh = keyHigh
        }
    }

    public var schema: Int
    public var inputs: [InputIdentity]
    public var layouts: [LayoutIdentity]
    public var partitionSizeBytes: Int
    public var buckets: Int
    public var partitions: [PartitionEntry]
    /// The ledger spec of a reconciling job (its text, so tasks on other hosts read ledgers alike).
    public var ledgerSpec: LayoutIdentity?
    /// The layout (a name in `layouts`) of fixed-width ledger files; nil when ledgers are CSV.
    public var ledgerLayout: String?
    /// Where `aggregate` publishes the outputs (so `settle resume DIR` knows); nil for a job made by `settle plan`.
    public var outDirectory: String?
    /// `--strict` (structured layouts); absent means false.
    public var strict: Bool?
    /// `--match`: the passes' file (its text, so a resume and tasks on other hosts match alike); absent without it.
    public var match: LayoutIdentity?
    /// `--open-items`: the store and the night; absent without it.
    public var openItems: OpenItemsRecord?

    /// `--open-items DIR --as-of DAY --open-days N [--restart-open-items]` as the job was started.
    public struct OpenItemsRecord: Codable, Sendable, Equatable {
        public var directory: String
        public var asOf: String
        public var openDays: Int
        public var restart: Bool
    }

    /// The manifest of an existing job directory.
    public static func read(_ directory: JobDirectory) throws -> Manifest { try Job.readManifest(directory) }

    /// What differs between the manifest a job was started with and the current inputs, in words;
    /// empty when nothing that changes results has changed.
    public func differences(from current: Manifest) -> [String] {
        var changes: [String] = []
        if inputs.map(\.path) != current.inputs.map(\.path) {
            changes.append("the input files differ: the job has \(inputs.map(\.path).joined(separator: ", ")); this run gives \(current.inputs.map(\.path).joined(separator: ", "))")
            return changes
        }
        for (old, new) in zip(inputs, current.inputs) {
            if old.layout != new.layout { changes.append("\(old.path): layout was '\(old.layout)', now '\(new.layout)'") }
            if old.table != nil || new.table != nil {
                changes += Self.tableChanges(old.table, new.table)
                continue
            }
            if old.sizeBytes != new.sizeBytes {
                changes.append("\(old.path): size was \(old.sizeBytes) bytes, now \(new.sizeBytes)")
            } else if old.sampledSha256 != new.sampledSha256 {
                changes.append("\(old.path): content changed (sampled checksum differs)")
            } else if old.modifiedSeconds != new.modifiedSeconds || old.modifiedNanoseconds != new.modifiedNanoseconds {
                changes.append("\(old.path): modification time changed")
            }
        }
        for (old, new) in zip(layouts, current.layouts) where old.name == new.name && old.sha256 != new.sha256 {
            changes.append("layout '\(old.name)' changed since the job started")
        }
        if ledgerSpec?.sha256 != current.ledgerSpec?.sha256 || ledgerLayout != current.ledgerLayout {
            changes.append("the ledger spec or layout changed since the job started")
        }
        if match?.sha256 != current.match?.sha256 {
            changes.append("the job was started \(match.map { "with --match \($0.name) (SHA-256 \($0.sha256.prefix(12)))" } ?? "without --match"), this run gives \(current.match.map { "--match \($0.name) (SHA-256 \($0.sha256.prefix(12)))" } ?? "none")")
        }
        if openItems != current.openItems {
            func describe(_ record: OpenItemsRecord?) -> String {
                record.map { "--open-items \($0.directory) --as-of \($0.asOf) --open-days \($0.openDays)\($0.restart ? " --restart-open-items" : "")" } ?? "no --open-items"
            }
            changes.append("the job was started with \(describe(openItems)), this run gives \(describe(current.openItems))")
        }
        if (strict ?? false) != (current.strict ?? false) {
            changes.append("the job was started \(strict ?? false ? "with" : "without") --strict")
        }
        return changes
    }

    static func tableChanges(_ old: TableIdentity?, _ new: TableIdentity?) -> [String] {
        guard let old, let new else { return ["the ledger was \(old == nil ? "a file" : "a table"), now \(new == nil ? "a file" : "a table")"] }
        func key(_ value: Int64?) -> String { value.map(String.init) ?? "none" }
        var changes: [String] = []
        if old.rowCount != new.rowCount { changes.append("table \(old.name): row count was \(old.rowCount), now \(new.rowCount)") }
        if old.minKey != new.minKey || old.maxKey != new.maxKey {
            changes.append("table \(old.name): key range was \(key(old.minKey))..\(key(old.maxKey)), now \(key(new.minKey))..\(key(new.maxKey))")
        }
        return changes
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array(try encoder.encode(self)) + [0x0A]
    }

    public static func decode(_ bytes: [UInt8]) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: Data(bytes))
    }
}

extension Manifest.InputIdentity {
    /// Size, mtime and a SHA-256 over 16 blocks of 4 KiB spread over the file (first and last
    /// included): cheap on a 100 GB file, and catches a file replaced or rewritten in place.
    static func of(path: String, layout: String, mapped: MappedFile) throws -> Self {
        let status = try Syscalls.statusOrError(path, what: "input file")
        var hasher = SHA256()
        mapped.withBytes { bytes in
            let block = 4096
            let blocks = 16
            guard bytes.count > 0 else { return }
            if bytes.count <= block * blocks {
                hasher.update(bytes)
                return
            }
            for index in 0..<blocks {
                let start = (bytes.count - block) / (blocks - 1) * index
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + block)]))
            }
        }
        return Self(path: path, layout: layout, sizeBytes: status.sizeBytes, modifiedSeconds: status.modificationSeconds,
                    modifiedNanoseconds: status.modificationNanoseconds, sampledSha256: hasher.finalizeHex())
    }
}
