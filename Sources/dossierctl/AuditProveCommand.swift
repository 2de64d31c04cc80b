import ArgumentParser
import DossierCustody
import Foundation

/// `dossierctl audit prove ID`: the inclusion proofs of an archive's custody events against the
/// latest checkpoint, with that signed checkpoint, as JSON on stdout.
struct AuditProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print inclusion proofs (JSON) of an archive's custody events against the latest signed checkpoint.",
        discussion: "Exit 0 with the proof on stdout, 1 when the log holds no covered event of the archive or is damaged, "
            + "2 usage or setup error. Check the proof with `dossierctl audit check-proof` or any RFC 9162 verifier.")

    @Argument(help: "The archive id.") var id: String
    @OptionGroup var location: AuditStateOptions

    func run() throws {
        let contents = location.contents()
        if let problem = contents.firstProblem(trust: nil) {
            fail("the custody log is damaged: \(problem) (see dossierctl audit verify)", code: 1)
        }
        let made: (bundle: CustodyProofBundle, uncovered: Int)
        do { made = try CustodyProofBundle.make(archiveId: id, from: contents) } catch { fail("\(error)", code: 1) }
        guard !made.bundle.entries.isEmpty else {
            fail("no event of \(id) is covered by the latest checkpoint (\(made.uncovered) after it)", code: 1)
        }
        print(String(decoding: made.bundle.json(), as: UTF8.self))
        if made.uncovered > 0 {
            FileHandle.standardError.write(
                Data("dossierctl: \(made.uncovered) newer event(s) of \(id) wait for the next checkpoint\n".utf8))
        }
    }
}
