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
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CSettleShims"),
        // The built-in layouts: the YAML files of datasets/layouts, embedded in the binary.
        .target(
            name: "SettleLayouts",
            path: "datasets/layouts",
            exclude: ["examples"],
            sources: ["BuiltinLayoutFiles.swift"],
            resources: [
                .embedInCode("cnab240.yaml"),
                .embedInCode("cnab400-itau.yaml"),
                .embedInCode("mastercard-ipm.yaml"),
                .embedInCode("nacha.yaml"),
                .embedInCode("reference.yaml"),
                .embedInCode("visa-ctf.yaml"),
                .embedInCode("wide.yaml"),
            ]
        ),
        .target(
            name: "SettleEngine",
            dependencies: [
                "CLZ4",
                "CZlib",
                "CSettleShims",
                "SettleLayouts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "SettleGenerator",
            dependencies: ["SettleEngine"]
        ),
        .target(
            name: "SettlePostgres",
            dependencies: [
                "SettleEngine",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SettleCLI",
            dependencies: [
                "SettleEngine",
                "SettleGenerator",
                "SettlePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "SettleEngineTests",
            dependencies: [
                "SettleEngine",
                "SettleGenerator",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SettleEngine", "SettlePostgres"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
