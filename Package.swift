// swift-tools-version: 6.2
import PackageDescription

// Module layout and dependency direction: DESIGN.md §6.
// executables → DossierDaemon → DossierTransport / DossierOutbox / DossierArchive → DossierModel.
let package = Package(
    name: "dossierd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dossierd", targets: ["dossierd"]),
        .executable(name: "dossierctl", targets: ["dossierctl"]),
        .executable(name: "dossier-bench", targets: ["dossier-bench"]),
        .executable(name: "dossier-mock-peer", targets: ["dossier-mock-peer"]),
        .library(name: "DossierFuzzing", targets: ["DossierFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "DossierModel"),
        .target(name: "DossierArchive", dependencies: ["DossierModel", "COpenSSL"]),
        .target(name: "DossierOutbox"),
        .target(
            name: "DossierTransport",
            dependencies: [
                "DossierArchive", "DossierModel", "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "DossierFuzzing", dependencies: ["DossierArchive", "DossierTransport"]),
        .target(
            name: "DossierDaemon",
            dependencies: [
                "DossierTransport", "DossierOutbox", "DossierArchive", "DossierModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "dossierd",
            dependencies: [
                "DossierDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "dossier-mock-peer",
            dependencies: [
                "DossierTransport", "DossierArchive", "DossierModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "dossierctl",
            dependencies: [
                "DossierModel", "DossierArchive", "DossierDaemon", "DossierTransport", "CCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "dossier-bench",
            dependencies: [
                "DossierModel", "DossierArchive", "DossierOutbox", "DossierTransport", "DossierTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DossierModelTests",
            dependencies: ["DossierModel", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .target(
            name: "DossierTestSupport",
            dependencies: ["DossierArchive"],
            path: "Tests/DossierTestSupport"
        ),
        .testTarget(
            name: "DossierArchiveTests",
            dependencies: ["DossierArchive", "DossierModel", "DossierTestSupport"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["DossierDaemon", "DossierTransport", "DossierArchive", "DossierModel", "DossierTestSupport"]
        ),
        .testTarget(
            name: "DossierTransportTests",
            dependencies: ["DossierTransport", "DossierArchive", "DossierModel", "DossierTestSupport"]
        ),
        .executableTarget(
            name: "dossier-outbox-torture",
            dependencies: ["DossierOutbox"],
            path: "Tests/Support/dossier-outbox-torture"
        ),
        .testTarget(
            name: "DossierOutboxTests",
            dependencies: ["DossierOutbox", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
