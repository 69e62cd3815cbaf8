// swift-tools-version:6.0
// libFuzzer targets for Settle's readers, in a package of their own so that the main build never
// changes. Built only by tools/fuzz.sh:
//   swift build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address
// The targets reach the engine's internal readers with `@testable import` (a debug build compiles
// every module with testability, as `swift test` does), so the engine needs no wider access.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name (the clone's, not "Settle").
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "SettleFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "SettleFuzz",
            dependencies: [
                .product(name: "SettleEngine", package: root.lastPathComponent.lowercased()),
                "CLibFuzzer",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
