// swift-tools-version: 6.2
import PackageDescription

// Module layout and dependency direction: docs/architecture.md.
// executables → DossierDaemon → DossierInbox → DossierTransport → DossierOutbox / DossierArchive
// → DossierModel, with DossierSystem (files, errors, the blocking pool) under all but the model.
// DossierCustody (the custody log, docs/custody-log.md) → DossierArchive.
// DossierText (the operator texts in Chinese or English, chosen from the locale) → DossierArchive, DossierModel.
let package = Package(
    name: "dossierd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dossierd", targets: ["dossierd"]),
        .executable(name: "dossierctl", targets: ["dossierctl"]),
        .executable(name: "dossier-bench", targets: ["dossier-bench"]),
        .executable(name: "dossier-mock-peer", targets: ["dossier-mock-peer"]),
        .executable(name: "dossier-mock-tsa", targets: ["dossier-mock-tsa"]),
        .library(name: "DossierFuzzing", targets: ["DossierFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
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
        .systemLibrary(name: "CLinuxSync"),
        .target(name: "CCurlOnDemand", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(
            name: "DossierSystem",
            dependencies: [
                "CLinuxSync", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(name: "DossierModel"),
        .target(name: "DossierSamples", dependencies: ["DossierModel", "DossierSystem"]),
        .target(name: "DossierArchive", dependencies: ["DossierModel", "DossierSystem", "COpenSSL"]),
        .target(name: "DossierOutbox", dependencies: ["DossierSystem"]),
        .target(name: "DossierCustody", dependencies: ["DossierArchive", "DossierModel", "DossierSystem"]),
        .target(
            name: "DossierTransport",
            dependencies: [
                "DossierArchive", "DossierModel", "DossierOutbox", "DossierSystem", "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "DossierAdmin"),
        .target(
            name: "DossierText",
            dependencies: ["DossierArchive", "DossierModel", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "DossierInbox", dependencies: ["DossierTransport", "DossierArchive", "DossierModel", "DossierSystem"]),
        .target(name: "DossierFuzzing", dependencies: ["DossierArchive", "DossierTransport"]),
        .target(
            name: "DossierDaemon",
            dependencies: [
                "DossierAdmin", "DossierTransport", "DossierInbox", "DossierOutbox", "DossierArchive", "DossierCustody", "DossierModel",
                "DossierSystem", "DossierText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "dossierd",
            dependencies: [
                "DossierDaemon", "DossierText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "dossier-mock-peer",
            dependencies: [
                "DossierTransport", "DossierInbox", "DossierArchive", "DossierModel", "DossierSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "dossier-mock-tsa",
            dependencies: [
                "COpenSSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "dossierctl",
            dependencies: [
                "DossierAdmin", "DossierModel", "DossierSamples", "DossierArchive", "DossierCustody", "DossierSystem", "DossierText", "CCurlOnDemand",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The Swift runtime linked in, as in the Debian package: an operator's command starts in
            // ~10 ms instead of ~20 (no symbol lookups across the runtime's shared libraries).
            // Compiling with it too makes Foundation's autolink name the static libraries.
            // Linked by the toolchain's lld with packed relative relocations (glibc 2.36, Debian
            // 12): the 88,000 the runtime's metadata needs in a position-independent binary were
            // applied one by one at every start, 3 of its 10 ms of CPU (`perf stat`).
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))],
            linkerSettings: [
                .unsafeFlags(
                    ["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release))
            ]
        ),
        .executableTarget(
            name: "dossier-bench",
            dependencies: [
                "DossierModel", "DossierSamples", "DossierArchive", "DossierCustody", "DossierOutbox", "DossierTransport", "DossierTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DossierModelTests",
            dependencies: ["DossierModel", "DossierSamples", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .target(
            name: "DossierTestSupport",
            dependencies: ["DossierAdmin", "DossierArchive", "DossierSamples", "DossierSystem"]
        ),
        .testTarget(
            name: "DossierArchiveTests",
            dependencies: ["DossierArchive", "DossierModel", "DossierSamples", "DossierSystem", "DossierTestSupport"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["DossierAdmin", "DossierDaemon", "DossierTransport", "DossierInbox", "DossierOutbox", "DossierArchive", "DossierModel", "DossierSamples", "DossierSystem", "DossierTestSupport"]
        ),
        .testTarget(
            name: "DossierTransportTests",
            dependencies: ["DossierTransport", "DossierInbox", "DossierArchive", "DossierModel", "DossierSamples", "DossierSystem", "DossierTestSupport"]
        ),
        .executableTarget(
            name: "dossier-outbox-torture",
            dependencies: ["DossierOutbox"],
            path: "Tests/Support/dossier-outbox-torture"
        ),
        .testTarget(
            name: "DossierCustodyTests",
            dependencies: ["DossierCustody", "DossierArchive", "DossierSystem", "DossierTestSupport"]
        ),
        .testTarget(name: "DossierTextTests", dependencies: ["DossierText", "DossierModel"]),
        .testTarget(
            name: "DossierOutboxTests",
            dependencies: ["DossierOutbox", "DossierSystem", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
