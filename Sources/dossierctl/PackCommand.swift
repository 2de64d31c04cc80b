import ArgumentParser
import DossierArchive
import DossierModel
import DossierText
import Foundation

/// `dossierctl pack`: a dossier folder to a signed archive, offline.
struct PackCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "pack", abstract: CtlText.packAbstract, discussion: CtlText.packDiscussion)
    }

    @Argument(help: ArgumentHelp(CtlText.dossierFolderHelp)) var dossier: String
    @Option(help: ArgumentHelp(CtlText.destinationHelp)) var to: String
    @Option(help: ArgumentHelp(CtlText.certHelp)) var cert: String
    @Option(help: ArgumentHelp(CtlText.keyHelp)) var key: String
    @Option(help: ArgumentHelp(CtlText.outHelp)) var out: String?
    @Flag(help: ArgumentHelp(CtlText.jsonResultHelp)) var json = false
    @OptionGroup var credit: CreditOptions

    func run() throws {
        let restrictions = credit.restrictions
        let identity: SigningIdentity
        do { identity = try SigningIdentity(certificateFile: cert, keyFile: key) } catch { fail("\(error)") }
        let id = ArchiveID.make()
        let target = URL(fileURLWithPath: out ?? "\(id).dva").standardizedFileURL
        let result: PackResult
        do {
            result = try DossierPackager.pack(
                dossierDirectory: URL(fileURLWithPath: dossier), destination: to, identity: identity, policy: .default,
                credit: restrictions, outputDirectory: target.deletingLastPathComponent(), fileName: target.lastPathComponent, id: id)
        } catch let refusal as DossierPackager.Refusal {
            if case let .problems(problems) = refusal, json {
                printJSON(CheckOutput(valid: false, eligible: false, problems: problems))
                throw ExitCode(1)
            }
            fail("\(dossier): \(RefusalText.of(refusal))", code: 1)
        } catch {
            fail("\(error)")
        }
        if json { return printJSON(result) }
        for warning in result.warnings ?? [] { FileHandle.standardError.write(Data((warningLine(warning) + "\n").utf8)) }
        print(CtlText.packed(path: result.path, id: result.id, size: result.size, sha256: result.sha256))
    }

    struct CheckOutput: Encodable {
        var valid: Bool
        var eligible: Bool
        var problems: [Problem]
    }
}
