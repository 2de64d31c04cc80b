import ArgumentParser
import DossierModel
import DossierSamples
import Foundation

/// `dossierctl sample --out DIR …`: writes synthetic dossiers and prints the folders made.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write synthetic dossiers (deterministic for a seed and day) for tests, benchmarks and demos.",
        discussion: "Rules --ineligible accepts: " + SampleGenerator.breakableRules.joined(separator: ", ")
    )

    @Option(help: "Folder to write the dossiers into (created if missing).")
    var out: String

    @Option(help: "Number of dossiers.")
    var count = 1

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "Document files per dossier.")
    var documents = 6

    @Option(help: "Size of each document file in bytes.")
    var documentSize = 65536

    @Option(help: "Make dossiers that break this rule (and only it).")
    var ineligible: String?

    @Option(help: "Origin authority (6-digit division code).")
    var origin = "441800"

    @Option(help: "Destination authority (6-digit division code).")
    var destination = "430100"

    func run() throws {
        // Out-of-range values are usage errors: exit 2 like every other dossierctl usage error.
        for (bad, reason) in [
            (count < 0, "--count must not be negative"), (documents < 1, "--documents must be at least 1"),
            (documentSize < 0, "--document-size must not be negative"),
        ] where bad {
            FileHandle.standardError.write(Data("dossierctl: \(reason)\n".utf8))
            throw ExitCode(2)
        }
        let generator = SampleGenerator(
            seed: seed, count: count, documents: documents, documentSize: documentSize,
            ineligible: ineligible, origin: origin, destination: destination)
        do {
            for folder in try generator.generate(into: URL(fileURLWithPath: out)) { print(folder.path) }
        } catch {
            FileHandle.standardError.write(Data("dossierctl: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
