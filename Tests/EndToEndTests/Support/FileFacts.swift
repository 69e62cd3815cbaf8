import Foundation

/// The bytes of a file, or an error that names it.
func readBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw FileProblem(path: path, problem: "cannot read") }
    return [UInt8](data)
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

struct FileProblem: Error, CustomStringConvertible {
    var path: String
    var problem: String
    var description: String { "\(path): \(problem)" }
}

/// Facts about files on disk that tests assert: permission bits, existence, digests.
enum FileFacts {
    /// The permission bits (such as 0o640) of `path`.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let bits = attributes[.posixPermissions] as? NSNumber else { throw FileProblem(path: path, problem: "no permissions") }
        return bits.intValue & 0o7777
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The SHA-256 of a file in lowercase hex, from coreutils' `sha256sum` (not the engine's code).
    static func sha256(_ path: String) async throws -> String {
        let outcome = try await Subprocess.run("/usr/bin/env", ["sha256sum", "--", path])
        guard outcome.exitStatus == 0, let digest = outcome.stdout.split(separator: " ").first, digest.count == 64 else {
            throw FileProblem(path: path, problem: "sha256sum failed: \(outcome)")
        }
        return String(digest)
    }

    /// Octal, for messages: 0o640 → "0640".
    static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
