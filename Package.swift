// swift-tools-version: 6.1
import PackageDescription

// Module layout and dependency direction: DESIGN.md §6.
// executables → DossierDaemon → DossierTransport / DossierOutbox / DossierArchive → DossierModel.
let package = Package(
    name: "dossierd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dossierctl", targets: ["dossierctl"]),
        .executable(name: "dossier-bench", targets: ["dossier-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
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
