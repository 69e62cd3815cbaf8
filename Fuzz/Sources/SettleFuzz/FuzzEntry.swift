import CLibFuzzer
import Foundation
@testable import SettleEngine

/// The process's entry point. SwiftPM links an executable target's `main` to `<Module>_main` on
/// Linux, so libFuzzer's own `main` is never pulled in: this one hands the command line to
/// libFuzzer's driver. One binary holds every target (one sanitizer link instead of seven);
/// `SETTLE_FUZZ_TARGET` names the one a run drives (tools/fuzz.sh sets it).
@_cdecl("SettleFuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    // The marker target's seeds come from the job it makes: write them into the first corpus
    // directory (where libFuzzer adds inputs) before libFuzzer reads it.
    if FuzzTarget.selected == .marker,
       let corpus = (1..<Int(argc)).lazy.compactMap({ argv?[$0].map { String(cString: $0) } }).first(where: { !$0.hasPrefix("-") }),
       (try? FileManager.default.attributesOfItem(atPath: corpus)[.type] as? FileAttributeType) == .typeDirectory {
        MarkerFuzz.shared.prepare(corpus: corpus)
    }
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOneInput($0, $1) }
}

/// One input. Each target reads arbitrary bytes through an engine reader's own entry point: a
/// thrown error is a correct answer, a trap or a sanitizer report is a finding. (The libFuzzer
/// runtime also refers to this name.)
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The fuzz targets, by the name tools/fuzz.sh passes in `SETTLE_FUZZ_TARGET`.
enum FuzzTarget: String, CaseIterable {
    case layout, flat, structured, ledger, gzip, spill, marker

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["SETTLE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("SETTLE_FUZZ_TARGET must be one of \(allCases.map(\.rawValue).joined(separator: ", ")) (got '\(name)')\n".utf8))
            exit(2)
        }
        return target
    }()

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .layout: LayoutFuzz.run(bytes)
        case .flat: ScannerFuzz.flat.run(bytes)
        case .structured: ScannerFuzz.structured.run(bytes)
        case .ledger: LedgerFuzz.run(bytes)
        case .gzip: GzipFuzz.run(bytes)
        case .spill: SpillFuzz.run(bytes)
        case .marker: MarkerFuzz.shared.run(bytes)
        }
    }
}

/// A scratch directory of this process (on tmpfs when there is one: the map stage fsyncs), where a
/// target writes the input it maps and the work files it makes; emptied after every input.
enum Scratch {
    static let root: String = {
        var isDirectory: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
        let path = (shm ? "/dev/shm/" : NSTemporaryDirectory()) + "settle-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch directory and returns its path.
    static func write(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        let path = root + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
        return path
    }

    /// A fresh, empty directory in the scratch directory.
    static func directory(_ name: String) -> String {
        let path = root + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The repository root, from this file's path (Fuzz/Sources/SettleFuzz/FuzzEntry.swift).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
}
