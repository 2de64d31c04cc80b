import ArgumentParser
import DossierCustody
import DossierText
import Foundation

/// `dossierctl audit prove ID`: the inclusion proofs of an archive's custody events against the
/// latest checkpoint, with that signed checkpoint, as JSON on stdout.
struct AuditProveCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "prove", abstract: CtlText.auditProveAbstract, discussion: CtlText.auditProveDiscussion)
    }

    @Argument(help: ArgumentHelp(CtlText.archiveIdHelp)) var id: String
    @OptionGroup var location: AuditStateOptions

    func run() throws {
        let contents = location.contents()
        if let problem = contents.firstProblem(trust: nil) {
            fail(CtlText.custodyDamaged("\(problem)"), code: 1)
        }
        let made: (bundle: CustodyProofBundle, uncovered: Int)
        do { made = try CustodyProofBundle.make(archiveId: id, from: contents) } catch { fail("\(error)", code: 1) }
        guard !made.bundle.entries.isEmpty else {
            fail(CtlText.notCovered(id: id, uncovered: made.uncovered), code: 1)
        }
        print(String(decoding: made.bundle.json(), as: UTF8.self))
        if made.uncovered > 0 {
            FileHandle.standardError.write(
                Data("dossierctl: \(CtlText.waitingEvents(id: id, count: made.uncovered))\n".utf8))
        }
    }
}
