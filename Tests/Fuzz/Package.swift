// swift-tools-version: 6.2
import PackageDescription

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
                .product(name: "DossierFuzzing", package: "dossierd"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
