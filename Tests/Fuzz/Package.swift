// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A path dependency is named after its folder: Tests/fuzz.sh passes the checkout's folder name.
let root = ProcessInfo.processInfo.environment["DOSSIER_PACKAGE_IDENTITY"] ?? "dossierd"

// The libFuzzer target, in a package of its own so that the main package's `swift build`
// never tries to link an executable whose `main` only libFuzzer provides. Build and run it with
// Tests/fuzz.sh.
let package = Package(
    name: "dossier-fuzz",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "dossier-fuzz",
            dependencies: [
                .product(name: "DossierFuzzing", package: root)
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
