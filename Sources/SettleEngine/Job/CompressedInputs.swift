import Logging

/// Compressed inputs, step zero of a job: a gzip file (recognised by its magic bytes, not by its
/// name) is decompressed once into the job directory, `WORK/inputs/N-NAME` (N: its position among
/// the job's inputs, NAME: its file name without `.gz`), and that copy is what the plan cuts and the
/// workers map. Rejects, control checks and the summary still name the input as the user gave it;
/// record numbers and byte offsets are those of the decompressed content. The manifest records the
/// copy's size, so a resume or a task on another host reuses it instead of decompressing again.
enum CompressedInputs {
    static let directoryName = "inputs"
    /// A temporary copy untouched for this long was left by a decompression that died (a live one
    /// writes a buffer every few milliseconds); it is removed before the copy is made again.
    static let abandonedAfterSeconds = 600

    /// The file to map for each input, and the decompressed copy to record in the manifest (nil for
    /// a plain input). `originals` are the inputs as given, mapped; `recorded` the copies the job's
    /// manifest already names (nil entries for a new job).
    static func files(paths: [String], originals: [MappedFile], recorded: [Manifest.DecompressedCopy?],
                      directory: JobDirectory, logger: Logger) throws -> [(mapped: MappedFile, copy: Manifest.DecompressedCopy?)] {
        var files: [(mapped: MappedFile, copy: Manifest.DecompressedCopy?)] = []
        for (index, original) in originals.enumerated() {
            guard original.withBytes(GzipDecoder.hasMagic) else {
                files.append((original, nil))
                continue
            }
            let copy = try copy(of: paths[index], index: index, recorded: index < recorded.count ? recorded[index] : nil,
                                directory: directory, logger: logger)
            files.append((try MappedFile(path: directory.root + "/" + copy.path), copy))
        }
        return files
    }

    /// The decompressed copy of `path`: the recorded one when it is there with its recorded size,
    /// otherwise a new one (with a warning when a recorded one is missing or of another size).
    static func copy(of path: String, index: Int, recorded: Manifest.DecompressedCopy?, directory: JobDirectory,
                     logger: Logger) throws -> Manifest.DecompressedCopy {
        let relative = directoryName + "/\(index)-" + copyName(path)
        let destination = directory.root + "/" + relative
        if let recorded {
            let size = recorded.path == relative ? FileIO.fileSize(destination) : nil
            if size == recorded.sizeBytes {
                logger.info("\(path): using its decompressed copy \(destination) (\(recorded.sizeBytes) bytes), made earlier")
                return recorded
            }
            let problem = size.map { "has \($0) bytes, the job recorded \(recorded.sizeBytes)" } ?? "is missing"
            logger.warning("\(path): its decompressed copy \(destination) \(problem): decompressing it again")
        }
        try FileIO.makeDirectories(directory.root + "/" + directoryName, mode: 0o700)
        removeAbandonedTemporaries(of: destination)
        logger.notice("decompressing \(path) (gzip) into \(destination)")
        let started = Syscalls.monotonicNanoseconds()
        let outcome = try GzipFile.decompress(source: path, name: path, to: destination)
        let milliseconds = (Syscalls.monotonicNanoseconds() - started) / 1_000_000
        logger.notice("decompressed \(path): \(outcome.compressedBytes) bytes to \(outcome.decompressedBytes) in \(Double(milliseconds) / 1000) s")
        if let recorded, outcome.decompressedBytes != recorded.sizeBytes {
            throw SettleError(.jobChanged, "\(path) decompresses to \(outcome.decompressedBytes) bytes, but the job recorded \(recorded.sizeBytes). Run with --restart to discard the job directory and start again.")
        }
        return Manifest.DecompressedCopy(format: "gzip", path: relative, sizeBytes: outcome.decompressedBytes)
    }

    /// The copy's file name: the input's, without `.gz`.
    static func copyName(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".gz") { name.removeLast(3) }
        return name.isEmpty ? "input" : name
    }

    /// Removes temporary files of `destination` (`AtomicFile` names them `.NAME.tmp-...`) that nobody
    /// has written for `abandonedAfterSeconds`: left by a decompression that was killed.
    static func removeAbandonedTemporaries(of destination: String) {
        let (directory, name) = AtomicFile.split(destination)
        let now = Syscalls.wallClock().seconds
        for entry in FileIO.listDirectory(directory) where entry.hasPrefix(".\(name).tmp-") {
            let path = directory + "/" + entry
            if let status = Syscalls.stat(path), now - status.modificationSeconds > abandonedAfterSeconds {
                FileIO.unlink(path)
            }
        }
    }
}
