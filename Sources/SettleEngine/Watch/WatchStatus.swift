/// `settle status ROOT` for a watch root: the registry as lines for a person.
package enum WatchStatus {
    /// True when `root` holds a watch registry.
    package static func isWatchRoot(_ root: String) -> Bool { FileIO.exists(root + "/" + WatchJournal.fileName) }

    package static func lines(root: String) throws -> [String] {
        let registry = try WatchJournal.read(root: root)
        let done = registry.batches.filter(\.moved)
        let files = done.reduce(0) { $0 + $1.liveFiles.count }
        var lines = ["watch root \(root): \(registry.batches.count) batches (\(done.count) done), \(files) files processed, "
            + "\(registry.duplicates.count) duplicates, \(registry.failed.count) failed"]
        for batch in registry.batches {
            let state = batch.moved ? "done" : batch.published != nil ? "published, moving files" : "in flight"
            var line = "batch \(WatchOptions.batchName(batch.number)): \(state), \(batch.liveFiles.count) files"
            if let facts = batch.published {
                line += ", \(facts.records) records, \(facts.rejects) rejects, exit status \(facts.exitStatus)"
            }
            lines.append(line + ": " + batch.liveFiles.map { PathText.display($0.name) }.joined(separator: ", "))
        }
        for duplicate in registry.duplicates {
            lines.append("duplicate: \(PathText.display(duplicate.name)) (content of batch \(WatchOptions.batchName(duplicate.firstBatch))) in duplicates/\(PathText.display(duplicate.storedAs))")
        }
        for failed in registry.failed {
            lines.append("failed: \(PathText.display(failed.name)) in failed/\(PathText.display(failed.storedAs)): \(failed.reason)")
        }
        let inFlight = registry.inFlight.map { WatchOptions.batchName($0.number) }
        lines.append("in flight: \(inFlight.isEmpty ? "none" : inFlight.joined(separator: ", "))"
            + "; lock: \(JobLock.holder(directory: root).map { "held by \($0)" } ?? "free (no settle watch is running)")")
        return lines
    }
}
