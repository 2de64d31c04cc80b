import DossierArchive
@testable import DossierCustody
import DossierTestSupport
import Foundation
import Testing

/// A state directory whose custody log holds 12 events, three of them of `archive`, the first
/// two covered by the checkpoint after entry 10.
private func stateWithLog(_ dir: TempDir, archive: String) async throws -> String {
    let state = dir.path("state")
    let (log, _) = try CustodyLog.open(directory: state + "/custody", signer: try signer())
    for n in 0..<12 {
        _ = try await log.append(sampleEvent(n, archive: [2, 6, 11].contains(n) ? archive : nil))
        if n == 9 { _ = try await log.checkpoint() }
    }
    await log.close()
    return state
}

@Test func auditVerifyReportsTheFirstBadEntry() async throws {
    let dir = try TempDir()
    let state = try await stateWithLog(dir, archive: "0193a1b2-0000-7000-8000-0000000000aa")
    let ok = try dossierctl(["audit", "verify", "--state", state, "--trust", TestPKI.shared.ca])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.hasPrefix("VALID custody log: 12 entries, 1 checkpoints"))
    let otherCA = try dossierctl(["audit", "verify", "--state", state, "--trust", TestPKI.shared.other + "/ca.pem"])
    #expect(otherCA.status == 1)
    #expect(otherCA.stdout.hasPrefix("INVALID checkpoint 0 (tree size 10): signature: untrusted-signer"))

    let path = state + "/custody/custody.log"
    var file = try bytes(path)
    let entry5 = recordOffsets(file, magic: RecordFile.entriesMagic)[5]
    file[entry5 + 20] ^= 1
    try write(file, path)
    let bad = try dossierctl(["audit", "verify", "--state", state, "--trust", TestPKI.shared.ca, "--json"])
    #expect(bad.status == 1)
    struct Verdict: Decodable {
        struct Problem: Decodable {
            var kind: String
            var index: UInt64
        }
        var valid: Bool
        var problem: Problem?
    }
    let verdict = try JSONDecoder().decode(Verdict.self, from: Data(bad.stdout.utf8))
    #expect(!verdict.valid)
    #expect(verdict.problem?.kind == "entry")
    #expect(verdict.problem?.index == 5)

}

@Test func auditProveThenCheckProofOffline() async throws {
    let dir = try TempDir()
    let archive = "0193a1b2-0000-7000-8000-0000000000bb"
    let state = try await stateWithLog(dir, archive: archive)
    let proved = try dossierctl(["audit", "prove", archive, "--state", state])
    #expect(proved.status == 0, "\(proved.stderr)")
    #expect(proved.stderr.contains("1 newer event(s)"))
    let proofFile = dir.path("proof.json")
    try proved.stdout.write(toFile: proofFile, atomically: true, encoding: .utf8)
    let bundle = try CustodyProofBundle.parse(json: Array(proved.stdout.utf8))
    #expect(bundle.entries.map(\.leafIndex) == [2, 6])

    let checked = try dossierctl(["audit", "check-proof", proofFile, "--trust", TestPKI.shared.ca])
    #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    #expect(checked.stdout.hasPrefix("VALID \(archive): 2 event(s) in the custody log of 441800, tree size 10"))

    let untrusted = try dossierctl(["audit", "check-proof", proofFile, "--trust", TestPKI.shared.other + "/ca.pem"])
    #expect(untrusted.status == 1)

    var forged = bundle
    forged.entries[1].auditPath[0] = TreeHashing.leaf([0])
    try write(forged.json(), proofFile)
    let tampered = try dossierctl(["audit", "check-proof", proofFile, "--trust", TestPKI.shared.ca])
    #expect(tampered.status == 1)
    #expect(tampered.stdout.contains("entry 6: the audit path does not lead to the signed root"))

    let unknown = try dossierctl(["audit", "prove", "0193a1b2-0000-7000-8000-0000000000cc", "--state", state])
    #expect(unknown.status == 1)
}
