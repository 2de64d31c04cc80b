import ArgumentParser
import DossierArchive
import DossierModel
import Foundation

/// `dossierctl pack`: a dossier folder to a signed archive, offline.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Check a dossier folder and pack it into a signed .dva archive for a destination.",
        discussion: "Refuses, with the same reasons as `check --to`, a dossier that cannot be transferred (exit 1).")

    @Argument(help: "The dossier folder: dossier.json and documents/.") var dossier: String
    @Option(help: "Destination authority code.") var to: String
    @Option(help: "The signing certificate (PEM; leaf first, then intermediates).") var cert: String
    @Option(help: "The signing key (PEM).") var key: String
    @Option(help: "Output file (default ./<id>.dva).") var out: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let identity: SigningIdentity
        do { identity = try SigningIdentity(certificateFile: cert, keyFile: key) } catch { fail("\(error)") }
        let id = ArchiveID.make()
        let target = URL(fileURLWithPath: out ?? "\(id).dva").standardizedFileURL
        let result: PackResult
        do {
            result = try DossierPackager.pack(
                dossierDirectory: URL(fileURLWithPath: dossier), destination: to, identity: identity, policy: .default,
                outputDirectory: target.deletingLastPathComponent(), fileName: target.lastPathComponent, id: id)
        } catch let refusal as DossierPackager.Refusal {
            if case let .problems(problems) = refusal, json {
                printJSON(CheckOutput(valid: false, eligible: false, problems: problems))
                throw ExitCode(1)
            }
            fail("\(dossier): \(refusal)", code: 1)
        } catch {
            fail("\(error)")
        }
        if json { return printJSON(result) }
        print("packed \(result.path)\n  id      \(result.id)\n  size    \(result.size) bytes\n  sha256  \(result.sha256)")
    }

    struct CheckOutput: Encodable {
        var valid: Bool
        var eligible: Bool
        var problems: [Problem]
    }
}
