import Foundation
import Testing

/// A small reference-layout file of four hand-made details in a scratch directory of its own.
struct SmallJob {
    let scratch: TemporaryDirectory
    var input: String { scratch.file("in.dat") }
    var out: String { scratch.file("out") }
    static let details = ReferenceRecords.sampleDetails
    static var bytes: [UInt8] {
        ReferenceRecords.header() + details.flatMap(ReferenceRecords.detail) + ReferenceRecords.trailer(for: details)
    }

    init(prefix: String) throws {
        scratch = try TemporaryDirectory(prefix: prefix)
        try writeBytes(Self.bytes, to: scratch.file("in.dat"))
    }

    func settle(_ arguments: [String]) async throws -> ProcessOutcome {
        try await Subprocess.settle(arguments, in: scratch.path)
    }

    func aggregate(_ extra: [String]) async throws -> ProcessOutcome {
        try await settle(["aggregate", "in.dat", "--layout", "reference", "--out", "out", "--quiet"] + extra)
    }

    func entries(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scratch.file(relative))) ?? []).sorted()
    }

    /// The input is exactly what the test wrote.
    func inputUnchanged() throws -> Bool { try readBytes(input) == Self.bytes }
}

/// Issue 15, item 1: Settle deletes only what it created in a work directory, never follows a
/// symbolic link when removing, and refuses a work directory that is not its to use.
@Suite("Work directory ownership")
struct WorkDirectorySafetyTests {
    @Test("a --work holding someone's files and no job is refused; the files stay")
    func foreignFilesRefused() async throws {
        let job = try SmallJob(prefix: "own-foreign")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.scratch.file("jobs"), withIntermediateDirectories: false)
        try writeBytes(Array("x\n".utf8), to: job.scratch.file("jobs/notes.txt"))
        let run = try await job.aggregate(["--work", "jobs"])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("jobs") && run.stderr.contains("notes.txt") && run.stderr.contains("--work"), "\(run)")
        #expect(try readBytes(job.scratch.file("jobs/notes.txt")) == Array("x\n".utf8))
        #expect(job.entries("jobs") == ["notes.txt"], "nothing of Settle's was made there")
        #expect(!FileFacts.exists(job.out + "/totals.csv"))
        let plan = try await job.settle(["plan", "in.dat", "--layout", "reference", "--work", "jobs"])
        #expect(plan.exitStatus == 2 && plan.stderr.contains("notes.txt"), "\(plan)")
        #expect(job.entries("jobs") == ["notes.txt"])
    }

    @Test("files and links added to a job directory survive its end, --restart and the links' targets too")
    func foreignEntriesOfAJobSurvive() async throws {
        let job = try SmallJob(prefix: "own-added")
        defer { job.scratch.remove() }
        let first = try await job.aggregate(["--work", "jobs", "--keep-work"])
        #expect(first.exitStatus == 0, "\(first)")
        try #require(FileFacts.exists(job.scratch.file("jobs/manifest.json")))
        // Someone's directory with a file, linked from the top of the job directory and from inside
        // one of Settle's own subdirectories.
        try FileManager.default.createDirectory(atPath: job.scratch.file("precious"), withIntermediateDirectories: false)
        try writeBytes(Array("keep me\n".utf8), to: job.scratch.file("precious/file.txt"))
        try writeBytes(Array("x\n".utf8), to: job.scratch.file("jobs/notes.txt"))
        try FileManager.default.createSymbolicLink(atPath: job.scratch.file("jobs/link"), withDestinationPath: job.scratch.file("precious"))
        try FileManager.default.createSymbolicLink(atPath: job.scratch.file("jobs/partitions/inner-link"),
                                                   withDestinationPath: job.scratch.file("precious"))
        try FileManager.default.createSymbolicLink(atPath: job.scratch.file("jobs/scratch-link"), withDestinationPath: job.scratch.file("precious"))

        let restarted = try await job.aggregate(["--work", "jobs", "--keep-work", "--restart"])
        #expect(restarted.exitStatus == 0, "\(restarted)")
        #expect(FileFacts.exists(job.scratch.file("jobs/notes.txt")), "--restart removed a file that is not Settle's")
        let finished = try await job.aggregate(["--work", "jobs"])
        #expect(finished.exitStatus == 0, "\(finished)")
        #expect(try readBytes(job.scratch.file("precious/file.txt")) == Array("keep me\n".utf8), "a link was followed")
        #expect(try readBytes(job.scratch.file("jobs/notes.txt")) == Array("x\n".utf8))
        #expect(job.entries("jobs") == ["link", "notes.txt", "scratch-link"], "only Settle's own entries are removed")
        #expect(try readBytes(job.out + "/totals.csv") == Array(ReferenceRecords.totalsCSV(SmallJob.details).utf8))
    }

    @Test("a symbolic link named lock in a job directory is refused, never written through")
    func lockLinkNotFollowed() async throws {
        let job = try SmallJob(prefix: "own-lock")
        defer { job.scratch.remove() }
        let first = try await job.aggregate(["--work", "jobs", "--keep-work"])
        #expect(first.exitStatus == 0, "\(first)")
        try writeBytes(Array("precious\n".utf8), to: job.scratch.file("precious.txt"))
        try FileManager.default.removeItem(atPath: job.scratch.file("jobs/lock"))
        try FileManager.default.createSymbolicLink(atPath: job.scratch.file("jobs/lock"), withDestinationPath: job.scratch.file("precious.txt"))
        let run = try await job.aggregate(["--work", "jobs"])
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains("jobs/lock") && run.stderr.contains("symbolic link"), "\(run)")
        #expect(try readBytes(job.scratch.file("precious.txt")) == Array("precious\n".utf8))
    }

    @Test("a directory Settle did not create is emptied of its files but stays")
    func existingDirectoryStays() async throws {
        let job = try SmallJob(prefix: "own-existing")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.scratch.file("jobs"), withIntermediateDirectories: false)
        let run = try await job.aggregate(["--work", "jobs"])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(FileFacts.isDirectory(job.scratch.file("jobs")), "a directory Settle did not create was removed")
        #expect(job.entries("jobs").isEmpty, "\(job.entries("jobs"))")
        let created = try await job.aggregate(["--work", "made/here"])
        #expect(created.exitStatus == 0, "\(created)")
        #expect(!FileFacts.exists(job.scratch.file("made/here")), "the directory Settle created stays behind")
    }

    /// `/` and `$HOME` are checked by the unit tests: a run against them is never risked here (nor a
    /// work directory outside the test's own scratch directory).
    @Test("a --work that is the current directory, the output, contains the output or an input is refused",
          arguments: [
              (["--work", "."], "current directory"),
              (["--work", "out"], "is the output directory"),
              (["--work", "./out/"], "is the output directory"),
              (["--work", "w", "--out", "w/out"], "contains the output directory"),
              (["--work", "inputs"], "contains the input"),
          ])
    func refusedWorkDirectories(_ arguments: [String], _ reason: String) async throws {
        let job = try SmallJob(prefix: "own-refused")
        defer { job.scratch.remove() }
        try FileManager.default.createDirectory(atPath: job.scratch.file("inputs"), withIntermediateDirectories: false)
        try writeBytes(SmallJob.bytes, to: job.scratch.file("inputs/b.dat"))
        let before = job.entries(".")
        let run = try await job.settle(["aggregate", "in.dat", "inputs/b.dat", "--layout", "reference", "--quiet"]
            + (arguments.contains("--out") ? [] : ["--out", "out"]) + arguments)
        #expect(run.exitStatus == 2, "\(run)")
        #expect(run.stderr.contains(reason) && run.stderr.contains("--work"), "\(run)")
        #expect(job.entries(".") == before, "something was created or removed: \(job.entries("."))")
        #expect(try job.inputUnchanged())
        #expect(try readBytes(job.scratch.file("inputs/b.dat")) == SmallJob.bytes)
    }
}
