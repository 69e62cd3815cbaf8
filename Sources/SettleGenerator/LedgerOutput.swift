import SettleEngine

/// The ledger files being written: the rows dealt over `fileCount` files (`ledger.csv`,
/// `ledger-2.csv`, ...) in contiguous chunks, each file with its own header, and where each row starts
/// (file and 1-based physical line, the header being line 1), as the engine reports ledger rows.
struct LedgerOutput: ~Copyable {
    /// Where a ledger row starts.
    struct Position: Equatable {
        /// Index of the ledger file, in the order the files are given to the engine.
        var file: Int
        /// 1-based physical line; the header is line 1.
        var line: Int
    }

    /// What one ledger file holds, for `summary.json`.
    struct FileFacts {
        var name: String
        /// Data rows, the header excluded, unreadable rows included.
        var rows = 0
        var valid = 0
        var rejected = 0
    }

    let fileCount: Int
    private let directory: String
    /// What each file starts with: the BOM (messy styles) and the header line.
    private let header: [UInt8]
    private var output: ChunkedOutput
    private(set) var fileIndex = 0
    /// The line on which the next row starts in the current file.
    private var nextLine = 2
    private(set) var files: [FileFacts]

    /// `ledger.csv`, `ledger-2.csv`, `ledger-3.csv`, ...
    static func fileName(_ index: Int) -> String {
        index == 0 ? Generator.ledgerFile : "ledger-\(index + 1).csv"
    }

    init(directory: String, fileCount: Int, header: [UInt8]) throws(SettleError) {
        self.directory = directory
        self.fileCount = fileCount
        self.header = header
        output = ChunkedOutput(path: directory + "/" + Self.fileName(0))
        files = [FileFacts(name: Self.fileName(0))]
        try output.append(header)
    }

    /// Publishes the current file and goes on in the next until file `index` (files in between keep
    /// only their header).
    mutating func advance(to index: Int) throws(SettleError) {
        while fileIndex < min(index, fileCount - 1) {
            var finished = ChunkedOutput(path: directory + "/" + Self.fileName(fileIndex + 1))
            swap(&output, &finished)
            try finished.commit()
            fileIndex += 1
            nextLine = 2
            files.append(FileFacts(name: Self.fileName(fileIndex)))
            try output.append(header)
        }
    }

    /// Appends a row of `lineBreaks` embedded line breaks; returns where it starts.
    mutating func append(_ row: [UInt8], lineBreaks: Int, valid: Bool) throws(SettleError) -> Position {
        let position = Position(file: fileIndex, line: nextLine)
        try output.append(row)
        nextLine += 1 + lineBreaks
        files[fileIndex].rows += 1
        if valid {
            files[fileIndex].valid += 1
        } else {
            files[fileIndex].rejected += 1
        }
        return position
    }

    /// Writes the files not started yet (header only), publishes the last one and returns what every
    /// file holds.
    consuming func finish() throws(SettleError) -> [FileFacts] {
        try advance(to: fileCount - 1)
        let facts = files
        try output.commit()
        return facts
    }
}
