import Foundation
import Testing

/// The real-world samples (`../shared/realworld` from the package root): third-party files with an
/// independently computed ground truth in their README. A fresh clone of the project alone does not
/// have them, and the conformance suite is then skipped with a message that says so.
enum RealWorld {
    static let directory = URL(fileURLWithPath: SettleBinary.packageRoot + "/../shared/realworld").standardizedFileURL.path
    static var isPresent: Bool { FileFacts.isDirectory(directory) }

    /// Every data file of the folder, relative to it (its README and .gitattributes are not data).
    static func dataFiles() throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw FileProblem(path: directory, problem: "cannot list")
        }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name == "README.md" || name.hasPrefix(".") || FileFacts.isDirectory(directory + "/" + path) { continue }
            files.append(path)
        }
        return files.sorted()
    }
}

/// What realworld/README.md says Settle must make of a file.
enum Verdict: Sendable {
    /// Exit 0: every check passed; no warning, no reject.
    case valid
    /// Exit 0 with exactly these warning kinds and no reject; exit 1 under `--strict`.
    case lenient(warnings: [String])
    /// Exit 1: exactly these checks fail (a name once per failure, in any order), with these rejects
    /// (reason: count) and warning kinds.
    case invalid(failed: [String], rejects: [String: Int] = [:], warnings: [String] = [])

    var summary: String {
        switch self {
        case .valid: return "exit 0"
        case .lenient(let warnings):
            return "exit 0, warnings " + (warnings.isEmpty ? "none" : warnings.sorted().joined(separator: ", ")) + "; --strict exit 1"
        case .invalid(let failed, let rejects, let warnings):
            var parts = ["exit 1"]
            if !failed.isEmpty { parts.append("fails " + failed.sorted().joined(separator: ", ")) }
            if !rejects.isEmpty { parts.append("rejects " + rejects.keys.sorted().map { "\($0) ×\(rejects[$0]!)" }.joined(separator: ", ")) }
            if !warnings.isEmpty { parts.append("warnings " + warnings.sorted().joined(separator: ", ")) }
            return parts.joined(separator: "; ")
        }
    }
}

/// One merchant's expected row of totals.csv; net is derived as the README defines it.
struct MerchantTotal: Sendable {
    var merchant: String
    var currency: String
    var debit: (count: Int, amount: Int64)
    var credit: (count: Int, amount: Int64)
    var fee: Int64

    init(_ merchant: String, _ currency: String, debit: (Int, Int64) = (0, 0), credit: (Int, Int64) = (0, 0), fee: Int64 = 0) {
        self.merchant = merchant
        self.currency = currency
        self.debit = debit
        self.credit = credit
        self.fee = fee
    }

    var row: [String] {
        [merchant, currency, String(debit.count), String(debit.amount), String(credit.count), String(credit.amount),
         String(fee), String(debit.amount - credit.amount - fee)]
    }
}

/// One file of the real-world folder: the layout to read it with and the README's ground truth.
struct ConformanceCase: Sendable, CustomTestStringConvertible {
    /// Relative to the real-world folder.
    var file: String
    /// A built-in name, or a path relative to the package root.
    var layout: String
    var expected: Verdict
    /// The rows of totals.csv; nil when the README gives no figure that applies.
    var totals: [MerchantTotal]?
    /// The README's status and reason, in a few words.
    var readme: String
    /// Set when Settle cannot agree with the README: why. The verdict is then compared inside
    /// `withKnownIssue`, so the disagreement shows in every run and the day it goes away is noticed.
    var gap: String? = nil
    /// Logical files and groups the summary must report, where the README counts them.
    var structure: (logicalFiles: Int, groups: Int)? = nil

    var testDescription: String { "\(file) (\(layout))" }

    var layoutArgument: String { layout.contains("/") ? SettleBinary.packageRoot + "/" + layout : layout }
}

/// What one `settle aggregate` run made of a file, read from its exit status and summary.json.
struct ConformanceOutcome {
    struct Check {
        var name: String
        var expected: String
        var found: String
        /// Passed, or skipped (`unless_zero` with a declared zero).
        var passed: Bool
    }

    var exitStatus: Int32?
    var checks: [Check]
    var warnings: [String: Int]
    var rejects: [String: Int]
    var totals: [[String]]
    var strictExitStatus: Int32?
    var stderr: String
    /// Logical files and groups of the (one) input, from summary.json.
    var structure: (logicalFiles: Int, groups: Int)?

    var failedChecks: [String] { checks.filter { !$0.passed }.map(\.name).sorted() }

    init(run: AggregateRun, strict: ProcessOutcome?) throws {
        exitStatus = run.outcome.exitStatus
        strictExitStatus = strict?.exitStatus
        stderr = run.outcome.stderr
        guard FileManager.default.fileExists(atPath: run.summaryPath) else {
            checks = []
            warnings = [:]
            rejects = [:]
            totals = []
            structure = nil
            return
        }
        let result = try #require(try run.summary()["result"], "summary.json has no result")
        // A structured layout's checks and warnings are per input file; this run has one.
        let files = result["files"]?.array ?? []
        structure = files.first.flatMap { file in
            file["logical_files"]?.int.flatMap { logicalFiles in file["groups"]?.int.map { (logicalFiles, $0) } }
        }
        checks = files.flatMap { $0["checks"]?.array ?? [] }.map { check in
            // Named by scope and name (`group.total_credit`, `file.total_credit`): the same name is
            // often declared at both levels.
            let name = check["name"]?.string ?? "?"
            return Check(name: check["scope"]?.string.map { "\($0).\(name)" } ?? name,
                         expected: check["expected"]?.text ?? "", found: check["found"]?.text ?? "",
                         passed: check["status"]?.string != "failed")
        }
        warnings = [:]
        for file in files {
            for (kind, warning) in file["warnings"]?.members ?? [:] { warnings[kind, default: 0] += warning["count"]?.int ?? warning.int ?? 0 }
        }
        rejects = (result["rejected_by_reason"]?.members ?? [:]).mapValues { $0.int ?? 0 }
        let table = try CSVTable(contentsOfFile: run.totalsPath)
        #expect(table.header.joined(separator: ",") == totalsHeaderLine)
        totals = table.rows
    }

    /// How the `--strict` run differs from what a lenient verdict asks for (exit 1).
    func strictDifferences(from verdict: Verdict) -> [String] {
        guard case .lenient = verdict, strictExitStatus != 1 else { return [] }
        return ["--strict exit status \(strictExitStatus.map(String.init) ?? "none"), expected 1"]
    }

    /// How the run differs from what `verdict` asks for (the `--strict` run apart); empty when it agrees.
    func differences(from verdict: Verdict) -> [String] {
        var found: [String] = []
        func expect(_ condition: Bool, _ message: @autoclosure () -> String) { if !condition { found.append(message()) } }
        switch verdict {
        case .valid:
            expect(exitStatus == 0, "exit status \(exitStatus.map(String.init) ?? "signal"), expected 0")
            expect(failedChecks.isEmpty, "failed checks \(failedChecks), expected none")
            expect(warnings.isEmpty, "warnings \(warnings), expected none")
            expect(rejects.isEmpty, "rejects \(rejects), expected none")
        case .lenient(let kinds):
            expect(exitStatus == 0, "exit status \(exitStatus.map(String.init) ?? "signal"), expected 0")
            expect(failedChecks.isEmpty, "failed checks \(failedChecks), expected none")
            expect(warnings.keys.sorted() == kinds.sorted(), "warnings \(warnings), expected the kinds \(kinds.sorted())")
            expect(rejects.isEmpty, "rejects \(rejects), expected none")
        case .invalid(let failed, let rejected, let kinds):
            expect(exitStatus == 1, "exit status \(exitStatus.map(String.init) ?? "signal"), expected 1")
            expect(failedChecks == failed.sorted(), "failed checks \(failedChecks), expected \(failed.sorted())")
            expect(rejects == rejected, "rejects \(rejects), expected \(rejected)")
            expect(warnings.keys.sorted() == kinds.sorted(), "warnings \(warnings), expected the kinds \(kinds.sorted())")
        }
        return found
    }

    /// One line for the results table: the exit status, failed checks with their figures, rejects, warnings.
    var summary: String {
        var parts = ["exit \(exitStatus.map(String.init) ?? "signal")"]
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty {
            // As the README writes a control: the declared figure in brackets, then the computed one.
            parts.append("fails " + failed.map { $0.found == "none" ? "\($0.name) (none)" : "\($0.name) [\($0.expected)] vs \($0.found)" }
                .joined(separator: ", "))
        }
        if !rejects.isEmpty { parts.append("rejects " + rejects.keys.sorted().map { "\($0) ×\(rejects[$0]!)" }.joined(separator: ", ")) }
        if !warnings.isEmpty { parts.append("warnings " + warnings.keys.sorted().map { "\($0) ×\(warnings[$0]!)" }.joined(separator: ", ")) }
        if let strictExitStatus { parts.append("--strict exit \(strictExitStatus)") }
        if exitStatus == 2, let line = stderr.split(separator: "\n").first { parts.append(String(line)) }
        return parts.joined(separator: "; ")
    }
}

extension JSONValue {
    /// A scalar as text: money is written as strings of digits, counts may be numbers.
    fileprivate var text: String? {
        switch self {
        case .string(let value): return value
        case .integer(let value): return String(value)
        case .bool(let value): return String(value)
        case .null: return "null"
        default: return description
        }
    }
}

/// Where tools/conformance.sh collects the suite's results: one Markdown table row per file, named
/// by the file's place in the table, when SETTLE_CONFORMANCE_RESULTS names a directory.
enum ConformanceResults {
    static let directory = ProcessInfo.processInfo.environment["SETTLE_CONFORMANCE_RESULTS"].flatMap { $0.isEmpty ? nil : $0 }

    static func record(_ testCase: ConformanceCase, index: Int, outcome: ConformanceOutcome, totalsAgree: Bool?,
                       verdictAgrees: Bool, strictAgrees: Bool, strictMissing: Bool) throws {
        guard let directory else { return }
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        let agreement: String
        if testCase.gap != nil && !(verdictAgrees && strictAgrees) {
            agreement = "✘ known gap"
        } else if !verdictAgrees || totalsAgree == false {
            agreement = "✘"
        } else if !strictAgrees {
            agreement = strictMissing ? "✔ (no --strict yet)" : "✘ --strict"
        } else {
            agreement = "✔"
        }
        let totals = totalsAgree.map { $0 ? "✔" : "✘" } ?? "—"
        let layout = testCase.layout.replacingOccurrences(of: "datasets/layouts/", with: "")
        let row = "| `\(cell(testCase.file))` | \(cell(layout)) | \(cell(testCase.readme)) | \(cell(testCase.expected.summary)) "
            + "| \(cell(outcome.summary)) | \(totals) | \(agreement) |\n"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeBytes(Array(row.utf8), to: directory + "/" + String(format: "%03d.md", index))
    }
}
