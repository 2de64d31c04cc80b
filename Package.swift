// swift-tools-version: 6.2
import PackageDescription

// Module layout and dependency direction: DESIGN.md §6.
// executables → DossierDaemon → DossierTransport / DossierOutbox / DossierArchive → DossierModel.
let package = Package(
    name: "dossierd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dossierctl", targets: ["dossierctl"]),
        .executable(name: "dossier-bench", targets: ["dossier-bench"]),
        .executable(name: "dossier-mock-peer", targets: ["dossier-mock-peer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
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
                "DossierModel", "DossierArchive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "dossier-bench",
            dependencies: [
                "DossierModel", "DossierArchive", "DossierOutbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DossierModelTests",
            dependencies: ["DossierModel", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "DossierArchiveTests",
            dependencies: ["DossierArchive", "DossierModel"]
        ),
        .testTarget(
            name: "DossierTransportTests",
            dependencies: ["DossierTransport", "DossierArchive", "DossierModel"]
        ),
        .testTarget(
            name: "DossierOutboxTests",
            dependencies: ["DossierOutbox", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
