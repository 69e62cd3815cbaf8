/// What a partition of a structured file learned about the file's structure: the measures of
/// every group and file scope it touched (stitched with other partitions' by the scope's key), the
/// values the trailers and headers it read declare, and the physical-form warnings it found.
public struct StructuredPartial: Sendable, Codable, Equatable {
    /// Where a record is: its spec (variant), partition, index within the partition and byte offset.
    public struct RecordRef: Sendable, Codable, Equatable {
        public var spec: Int
        public var partition: Int
        public var local: Int
        public var offset: Int
    }

    /// A control's declared value as read (digits, or text for `equals`), and for `equals` the
    /// group header's value it is compared with. Nil when the field could not be read.
    public struct Declared: Sendable, Codable, Equatable {
        public var value: String?
        public var other: String?
    }

    /// One group (`isFile` false) or logical file, keyed by its header's byte offset (-1: records
    /// before any file header).
    public struct Scope: Sendable, Codable, Equatable {
        public var isFile: Bool
        public var key: Int
        /// Int128 decimal strings, one per `StructuredLayout.measures`.
        public var measures: [String]
        public var header: RecordRef?
        public var headerValues: [Declared]?
        public var trailer: RecordRef?
        public var trailerValues: [Declared]?
        /// Records seen in this scope by this partition.
        public var records: Int
    }

    /// One kind of physical-form warning: how many records, and the first few (partition, local).
    public struct Warning: Sendable, Codable, Equatable {
        public var kind: String
        public var count: Int
        public var first: [[Int]]
    }

    public var scopes: [Scope] = []
    public var warnings: [Warning] = []

    public init() {}

    /// How many positions a warning keeps, per partition and in the summary.
    public static let warningPositions = 5
}

/// The physical forms read with a warning (see docs/structured-layouts.md); stable codes.
public enum StructuredWarning: String, Sendable, CaseIterable {
    case terminator, bom, trimmed, multibyte, unseparated
    case blankLine = "blank_line"
    case afterTrailer = "after_trailer"
}
