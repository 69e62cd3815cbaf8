// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Settle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "settle", targets: ["SettleCLI"]),
        .library(name: "SettleEngine", targets: ["SettleEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(name: "CSettleShims"),
        .target(
            name: "SettleEngine",
            dependencies: [
                "CLZ4",
                "CSettleShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "SettleCLI",
            dependencies: [
                "SettleEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SettleEngineTests",
            dependencies: ["SettleEngine"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SettleEngine"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
