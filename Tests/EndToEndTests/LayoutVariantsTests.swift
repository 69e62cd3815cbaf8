import Foundation
import Testing

/// Layouts beyond the built-ins: fixed blocks with no terminator, and a record type spread over two
/// positions. Generated files and the engine must agree on both.
@Suite("Layout variants: fixed blocks, split record type")
struct LayoutVariantsTests {
    static func variant(_ name: String) throws -> String {
        let reference = try String(contentsOfFile: packageRootForVariants + "/datasets/layouts/reference.yaml", encoding: .utf8)
        switch name {
        case "fixed":
            return reference.replacingOccurrences(of: "terminator: lf", with: "terminator: none")
                .replacingOccurrences(of: "name: reference", with: "name: fixed")
        default:
            return reference
                .replacingOccurrences(of: "record_type: {start: 1, length: 1}", with: "record_type: [{start: 1, length: 1}, {start: 160, length: 1}]")
                .replacingOccurrences(of: "record_length: 160", with: "record_length: 161")
                .replacingOccurrences(of: "code: \"H\"", with: "code: \"HX\"")
                .replacingOccurrences(of: "code: \"D\"", with: "code: \"DX\"")
                .replacingOccurrences(of: "code: \"T\"", with: "code: \"TX\"")
                .replacingOccurrences(of: "name: reference", with: "name: split")
        }
    }

    @Test("generate and aggregate agree", arguments: ["fixed", "split"], ["997", "64M"])
    func variantsAgree(name: String, partitionSize: String) async throws {
        let scratch = try TemporaryDirectory(prefix: "variant-\(name)")
        defer { scratch.remove() }
        let layout = scratch.path + "/\(name).yaml"
        try Data(try Self.variant(name).utf8).write(to: URL(fileURLWithPath: layout))
        let check = try await Subprocess.settle(["layout", "check", layout])
        #expect(check.exitStatus == 0, "\(check)")
        let data = scratch.path + "/data"
        let generated = try await Subprocess.settle(["generate", "--records", "4000", "--merchants", "150", "--seed", "9",
                                                     "--faults", "0.03", "--layout", layout, "--out", data])
        #expect(generated.exitStatus == 0, "\(generated)")
        let run = try await AggregateRun.run([data + "/settlement.dat", "--layout", layout, "--partition-size", partitionSize, "--quiet"],
                                             out: scratch.path + "/out")
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        expectSameBytes(try run.totals(), try readBytes(data + "/expected/totals.csv"), "totals.csv")
        expectSameRows(try run.rejectPositions(), try CSVTable(contentsOfFile: data + "/expected/rejects.csv").rows, "rejects.csv")
        let file = try #require(try run.summary()["result"]?["files"]?[0])
        #expect(file["framing"]?.string == (name == "fixed" ? "none" : "lf"))
        #expect(file["control_check"]?["status"]?.string == "explained")
    }
}

private let packageRootForVariants: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
