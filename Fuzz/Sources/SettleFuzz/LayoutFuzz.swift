@testable import SettleEngine

/// The layout parser and validator (`LayoutLoader.parse`, which runs `LayoutValidator`) and the
/// compiler on arbitrary YAML. A layout that compiles is then used to map a few fixed records, so a
/// field the validator let through that does not fit the record shows up as an out-of-bounds read.
enum LayoutFuzz {
    /// Ten records of the bundled sample (its header first), read once.
    static let sampleRecords: [UInt8] = {
        let bytes = (try? FileIO.readBytes(path: Scratch.repositoryRoot + "/datasets/sample/settlement.dat")) ?? []
        return Array(bytes.prefix(161 * 10))
    }()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let spec = try? LayoutLoader.parse(text: text, source: "fuzz.yaml"),
              let layout = try? LayoutLoader.compile(spec: spec) else { return }
        let input = sampleRecords.withUnsafeBytes { Scratch.write($0, name: "layout-input.dat") }
        ScannerFuzz.mapAll(path: input, layoutName: "fuzz", layout: layout, strict: false, partitionSizeBytes: 700)
    }
}
