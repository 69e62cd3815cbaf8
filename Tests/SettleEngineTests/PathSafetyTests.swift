import Foundation
import Testing
@testable import SettleEngine

/// Issue 15: tree removal never follows a link, the work directory checks that no end-to-end test
/// may risk (`/`, `$HOME`), temporaries by their exact pattern, and `--excel-safe` cell by cell.
@Suite("Path safety: removal, work directory checks, temporaries, excel-safe cells")
struct PathSafetyTests {
    /// A scratch directory of the test's own.
    final class Scratch {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "settle-paths-\(getpid())-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        }
    }

    @Test("removeTree unlinks a symbolic link (to a directory or a file) and never touches its target")
    func removalNeverFollowsLinks() throws {
        let scratch = try Scratch()
        let manager = FileManager.default
        try manager.createDirectory(atPath: scratch.file("target/deep"), withIntermediateDirectories: true)
        try scratch.write("target/deep/file.txt", "keep")
        try scratch.write("target/top.txt", "keep too")
        try manager.createDirectory(atPath: scratch.file("tree/sub"), withIntermediateDirectories: true)
        try scratch.write("tree/sub/work.run", "x")
        try manager.createSymbolicLink(atPath: scratch.file("tree/link-to-dir"), withDestinationPath: scratch.file("target"))
        try manager.createSymbolicLink(atPath: scratch.file("tree/sub/link-to-file"), withDestinationPath: scratch.file("target/top.txt"))
        try manager.createSymbolicLink(atPath: scratch.file("top-link"), withDestinationPath: scratch.file("target"))

        FileIO.removeTree(scratch.file("tree"))
        FileIO.removeTree(scratch.file("top-link"))
        #expect(!manager.fileExists(atPath: scratch.file("tree")))
        #expect(Syscalls.entryKind(scratch.file("top-link")) == nil, "the link itself is removed")
        #expect(try String(contentsOfFile: scratch.file("target/deep/file.txt"), encoding: .utf8) == "keep")
        #expect(try String(contentsOfFile: scratch.file("target/top.txt"), encoding: .utf8) == "keep too")
    }

    @Test("a job directory's end removes Settle's names only, and the directory only when Settle made it")
    func jobDirectoryRemovesOwnEntries() throws {
        let scratch = try Scratch()
        let directory = JobDirectory(root: scratch.file("job"))
        try directory.claim()
        try directory.create()
        try scratch.write("job/manifest.json", "{}")
        try scratch.write("job/.manifest.json.tmp-1-2", "")
        try scratch.write("job/mine.txt", "someone's")
        try FileManager.default.createSymbolicLink(atPath: scratch.file("job/scratch-elsewhere"), withDestinationPath: scratch.path)
        #expect(directory.foreignEntries() == ["mine.txt", "scratch-elsewhere"])
        directory.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.root).sorted() == ["mine.txt", "scratch-elsewhere"])
        try FileManager.default.removeItem(atPath: scratch.file("job/mine.txt"))
        try FileManager.default.removeItem(atPath: scratch.file("job/scratch-elsewhere"))
        try directory.claim()
        directory.remove()
        #expect(FileManager.default.fileExists(atPath: directory.root), "Settle did not create it this time: it stays")
    }

    @Test("the root directory and $HOME are refused as work directories before anything is made")
    func rootAndHomeRefused() throws {
        let preflight = RunPreflight(inputs: [], ledgerSpec: nil, ledgerLayout: nil)
        var candidates = ["/", "//", "/."]
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { candidates += [home, home + "/"] }
        for candidate in candidates {
            #expect {
                try preflight.checkWorkDirectory(JobDirectory(root: candidate), out: nil)
            } throws: { error in
                let message = (error as? SettleError)?.message ?? ""
                return message.contains("root directory") || message.contains("home directory")
            }
        }
    }

    @Test("resolved and named paths: links, dot segments and directories not made yet")
    func pathForms() throws {
        let scratch = try Scratch()
        let base = FilePaths.resolved(scratch.path)
        try FileManager.default.createDirectory(atPath: scratch.file("real"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: scratch.file("alias"), withDestinationPath: scratch.file("real"))
        #expect(FilePaths.resolved(scratch.file("alias/x/../y")) == base + "/real/y")
        #expect(FilePaths.named(scratch.file("alias")) == base + "/alias")
        #expect(FilePaths.resolved(scratch.file("alias")) == base + "/real")
        #expect(FilePaths.resolved(scratch.file("not/made/yet/")) == base + "/not/made/yet")
        #expect(FilePaths.isInside(base + "/real/y", base + "/real"))
        #expect(!FilePaths.isInside(base + "/realm", base + "/real"))
        #expect(FilePaths.isInside("/x", "/") && !FilePaths.isInside("/", "/"))
    }

    @Test("temporary names: only .NAME.tmp-PID-STAMP of a known output, of a process that is gone")
    func temporaryPattern() throws {
        #expect(AtomicFile.temporaryProcessID(".totals.csv.tmp-123-456", of: "totals.csv") == 123)
        for other in [".totals.csv.tmp-123", ".totals.csv.tmp-12a-4", "totals.csv.tmp-1-2", ".totals.csv.tmp-1-2-3", ".totals.csv.tmp--2"] {
            #expect(AtomicFile.temporaryProcessID(other, of: "totals.csv") == nil, "\(other)")
        }
        let scratch = try Scratch()
        let live = getpid()
        for name in [".totals.csv.tmp-999999999-1", ".report.html.tmp-\(live)-1", ".notes.txt.tmp-999999999-1", "totals.csv"] {
            try scratch.write(name, "x")
        }
        OutputFiles.removeTemporaries(in: scratch.path, names: OutputFiles.names(reconciling: true))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted()
            == [".notes.txt.tmp-999999999-1", ".report.html.tmp-\(live)-1", "totals.csv"])
        OutputFiles.removeTemporaries(in: scratch.path, names: OutputFiles.names(reconciling: true), processID: Int(live))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == [".notes.txt.tmp-999999999-1", "totals.csv"])
    }

    @Test("--excel-safe: text cells beginning =, +, -, @, tab or CR get a ', numeric columns never",
          arguments: [
              ("=1+2,EUR,1,100,0,0,1,99\n", "'=1+2,EUR,1,100,0,0,1,99\n"),
              ("-1200,EUR,0,0,1,1200,0,-1200\n", "'-1200,EUR,0,0,1,1200,0,-1200\n"),
              ("\"=HYPERLINK(\"\"x\"\",1),y\",USD,1,5,0,0,0,5\n", "\"'=HYPERLINK(\"\"x\"\",1),y\",USD,1,5,0,0,0,5\n"),
              ("@SUM(A1),+EU,1,-5,0,0,0,-5\n", "'@SUM(A1),'+EU,1,-5,0,0,0,-5\n"),
              ("\ttab,\"\rcr\",1,2,3,4,5,6\n", "'\ttab,\"'\rcr\",1,2,3,4,5,6\n"),
              ("MER01,EUR,1,2,3,4,5,-6\n", "MER01,EUR,1,2,3,4,5,-6\n"),
              (",,1,2,3,4,5,6\n", ",,1,2,3,4,5,6\n"),
          ])
    func excelSafeTotals(_ line: String, _ expected: String) {
        var bytes = Array(line.utf8)
        ExcelSafe.totals.apply(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        var untouched = Array(line.utf8)
        ExcelSafe.apply(false, .totals, to: &untouched)
        #expect(untouched == Array(line.utf8), "the default stays exact")
    }

    @Test("--excel-safe in rejects and mismatches rows: record numbers, offsets and amounts are numbers")
    func excelSafeOtherFiles() {
        var reject = Array("-x.dat,7,1120,unknown_record_type,,\"no record, of the layout\",=D123\n".utf8)
        ExcelSafe.rejects.apply(to: &reject)
        #expect(String(decoding: reject, as: UTF8.self) == "'-x.dat,7,1120,unknown_record_type,,\"no record, of the layout\",'=D123\n")
        var mismatch = Array("amount_differs,-ARN,=M,EUR,debit,100,=M,EUR,debit,90,-10,a.dat,3,l.csv,4\n".utf8)
        ExcelSafe.mismatches.apply(to: &mismatch)
        #expect(String(decoding: mismatch, as: UTF8.self) == "amount_differs,'-ARN,'=M,EUR,debit,100,'=M,EUR,debit,90,-10,a.dat,3,l.csv,4\n")
    }
}
