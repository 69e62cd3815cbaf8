/// The names a run writes in its output directory, and their temporaries (`AtomicFile` names them
/// `.NAME.tmp-PID-STAMP`): what Settle may create, replace or clean up in `--out`, and nothing else.
package enum OutputFiles {
    package static let set = ["totals.csv", "rejects.csv", "summary.json"]
    package static let reconciliation = ["reconciliation.csv", "mismatches.csv", "matches.csv", "open_items.csv"]

    /// Every file a run may write in `--out`: the published set and the report.
    package static func names(reconciling: Bool) -> [String] {
        set + (reconciling ? reconciliation : []) + [MorningReport.fileName]
    }

    /// Removes temporaries of `names` in `directory` that `processID` made, or (nil) that a process
    /// no longer running on this host made: left by a run that was killed or stopped by a second
    /// signal. Only names of this exact pattern are ever removed.
    static func removeTemporaries(in directory: String, names: [String], processID: Int? = nil) {
        for entry in FileIO.listDirectory(directory) {
            guard let owner = names.lazy.compactMap({ AtomicFile.temporaryProcessID(entry, of: $0) }).first else { continue }
            let abandoned = processID.map { owner == $0 } ?? !Syscalls.processExists(owner)
            if abandoned && Syscalls.entryKind(directory + "/" + entry) == .other { FileIO.unlink(directory + "/" + entry) }
        }
    }
}
