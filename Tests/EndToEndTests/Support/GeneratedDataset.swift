import Foundation
import Synchronization
import Testing

/// What `settle generate` is asked for. The same spec always gives the same bytes.
struct DatasetSpec: Sendable, Hashable, CustomTestStringConvertible {
    var layout: String
    var records: Int
    var merchants: Int
    var seed: UInt64
    var faults: Double

    var key: String { "\(layout)-r\(records)-m\(merchants)-s\(seed)-f\(faults)" }
    var testDescription: String { "\(layout), \(records) records, faults \(faults)" }

    var arguments: [String] {
        ["--records", String(records), "--merchants", String(merchants), "--seed", String(seed),
         "--layout", layout, "--faults", String(faults)]
    }
}

/// The generator's ground truth of a file, as `settle generate` wrote it into `expected/`.
struct ExpectedSummary: Sendable {
    var records: Int
    var valid: Int
    var rejected: Int
    /// Only reasons with a count above zero (the engine omits the others).
    var rejectedByReason: [String: Int]
    var controlCount: Int
    var controlDebit: String
    var controlCredit: String
    var controlFee: String
    var validDebit: String
    var validCredit: String
    var validFee: String
    var totalsRows: Int

    init(_ json: JSONValue) throws {
        func int(_ key: String) throws -> Int { try #require(json[key]?.int, "expected/summary.json: no integer \(key)") }
        func money(_ key: String) throws -> String { try #require(json[key]?.string, "expected/summary.json: no \(key)") }
        records = try int("records")
        valid = try int("valid")
        rejected = try int("rejected")
        let reasons = try #require(json["rejected_by_reason"]?.members, "expected/summary.json: no rejected_by_reason")
        rejectedByReason = reasons.compactMapValues { $0.int }.filter { $0.value > 0 }
        controlCount = try int("control_count")
        controlDebit = try money("control_debit")
        controlCredit = try money("control_credit")
        controlFee = try money("control_fee")
        validDebit = try money("valid_debit")
        validCredit = try money("valid_credit")
        validFee = try money("valid_fee")
        totalsRows = try int("totals_rows")
    }
}

/// A settlement file written by `settle generate`, with its ground truth loaded.
struct GeneratedDataset: Sendable {
    let spec: DatasetSpec
    let directory: String
    let expectedTotals: [UInt8]
    /// record_number, byte_offset, reason, field of each invalid record, in file order.
    let expectedRejects: CSVTable
    let expectedSummary: ExpectedSummary

    var settlementPath: String { directory + "/settlement.dat" }

    static func generate(_ spec: DatasetSpec, into directory: String) async throws -> GeneratedDataset {
        let outcome = try await Subprocess.settle(["generate"] + spec.arguments + ["--out", directory])
        guard outcome.exitStatus == 0 else { throw FileProblem(path: directory, problem: "settle generate failed:\n\(outcome)") }
        let expectedRejects = try CSVTable(contentsOfFile: directory + "/expected/rejects.csv")
        guard expectedRejects.header == ["record_number", "byte_offset", "reason", "field"] else {
            throw FileProblem(path: directory + "/expected/rejects.csv", problem: "unexpected header \(expectedRejects.header)")
        }
        return GeneratedDataset(
            spec: spec, directory: directory,
            expectedTotals: try readBytes(directory + "/expected/totals.csv"),
            expectedRejects: expectedRejects,
            expectedSummary: try ExpectedSummary(JSONValue(contentsOfFile: directory + "/expected/summary.json")))
    }
}

/// Datasets shared by the tests that only read them, generated once per process on first use into a
/// directory removed when the test process exits.
actor SharedDatasets {
    static let shared = SharedDatasets()

    private var tasks: [DatasetSpec: Task<GeneratedDataset, any Error>] = [:]
    private var root: String?

    func dataset(_ spec: DatasetSpec) async throws -> GeneratedDataset {
        if let task = tasks[spec] { return try await task.value }
        let directory = try rootDirectory() + "/" + spec.key
        let task = Task { try await GeneratedDataset.generate(spec, into: directory) }
        tasks[spec] = task
        return try await task.value
    }

    private func rootDirectory() throws -> String {
        if let root { return root }
        let directory = try TemporaryDirectory(prefix: "shared").path
        root = directory
        SharedDatasetsCleanup.register(directory)
        return directory
    }
}

/// Removes the shared datasets' directory at process exit (Swift Testing has no global teardown).
enum SharedDatasetsCleanup {
    private static let path = Mutex<String?>(nil)

    static func register(_ directory: String) {
        path.withLock { $0 = directory }
        atexit {
            guard ProcessInfo.processInfo.environment["SETTLE_E2E_KEEP"] == nil,
                  let directory = SharedDatasetsCleanup.path.withLock({ $0 }) else { return }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
