import ArgumentParser
import DossierModel
import DossierSamples
import DossierText
import Foundation

/// `dossierctl sample --out DIR …`: writes synthetic dossiers and prints the folders made.
struct SampleCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "sample", abstract: CtlText.sampleAbstract,
            discussion: CtlText.sampleDiscussion(rules: SampleGenerator.breakableRules.joined(separator: ", ")))
    }

    @Option(help: ArgumentHelp(CtlText.sampleOutHelp))
    var out: String

    @Option(help: ArgumentHelp(CtlText.sampleCountHelp))
    var count = 1

    @Option(help: ArgumentHelp(CtlText.sampleSeedHelp))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp(CtlText.sampleDocumentsHelp))
    var documents = 6

    @Option(help: ArgumentHelp(CtlText.sampleDocumentSizeHelp))
    var documentSize = 65536

    @Option(help: ArgumentHelp(CtlText.sampleBreakHelp))
    var ineligible: String?

    @Option(help: ArgumentHelp(CtlText.sampleOriginHelp))
    var origin = "441800"

    @Option(help: ArgumentHelp(CtlText.checkDestinationHelp))
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
