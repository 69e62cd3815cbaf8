/// The registry of a watch root, rebuilt by replaying its journal: every batch with its files and
/// how far it got, which content hashes are taken, and what went to duplicates/ and failed/.
/// A file's content belongs to the first batch that opened with it (unless dropped from it).
package struct WatchRegistry: Sendable {
    package struct Batch: Sendable {
        package var number: Int
        package var openedAtSeconds: Int
        package var files: [BatchFile]
        package var dropped: Set<String> = []
        package var published: (exitStatus: Int, records: Int, rejects: Int, milliseconds: Int)?
        package var moved = false

        /// The files the batch's job reads: those opened with, less those dropped.
        package var liveFiles: [BatchFile] { files.filter { !dropped.contains($0.name) } }
    }

    package private(set) var batches: [Batch] = []
    /// Content hash -> batch number, for every file of a batch (dropped ones excepted).
    package private(set) var batchOfContent: [String: Int] = [:]
    package private(set) var duplicates: [(name: String, sha256: String, firstBatch: Int, storedAs: String)] = []
    package private(set) var failed: [(name: String, reason: String, storedAs: String)] = []
    /// When each record that names an arriving file was written (epoch seconds), with its name.
    package private(set) var arrivals: [(name: String, atSeconds: Int)] = []

    package init() {}

    package var nextBatchNumber: Int { (batches.last?.number ?? 0) + 1 }

    /// Batches opened and not yet over, oldest first (at most one, unless a journal was damaged).
    package var inFlight: [Batch] { batches.filter { !$0.moved } }

    package mutating func apply(_ record: WatchRecord) {
        switch record {
        case let .opened(number, at, files):
            batches.append(Batch(number: number, openedAtSeconds: at, files: files))
            for file in files where batchOfContent[file.sha256] == nil { batchOfContent[file.sha256] = number }
            arrivals += files.map { ($0.name, at) }
        case let .dropped(number, name):
            guard let index = batches.lastIndex(where: { $0.number == number }) else { return }
            batches[index].dropped.insert(name)
            if let file = batches[index].files.first(where: { $0.name == name }), batchOfContent[file.sha256] == number {
                batchOfContent[file.sha256] = nil
            }
        case let .published(number, status, records, rejects, ms):
            guard let index = batches.lastIndex(where: { $0.number == number }) else { return }
            batches[index].published = (status, records, rejects, ms)
        case let .moved(number):
            guard let index = batches.lastIndex(where: { $0.number == number }) else { return }
            batches[index].moved = true
        case let .duplicate(name, sha, first, stored, at):
            duplicates.append((name, sha, first, stored))
            arrivals.append((name, at))
        case let .failed(name, reason, stored, at):
            failed.append((name, reason, stored))
            arrivals.append((name, at))
        }
    }
}
