import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// A signer's revocation (docs/protocol.md, Identity): every CRL file counts, judged with the CRLs current at
/// the verifier, so a CRL issued after the signing does not fail a genuine archive.
@Suite struct SignerRevocationTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let packed: PackResult

    init() throws {
        temp = try TempDir()
        let sample = try SampleDossier.make(in: temp, seed: 17)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "test")
        packed = try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: pki.identity("441800"),
            outputDirectory: temp.url, id: ArchiveID.make())
    }

    /// Both CAs trusted, the other CA's CRL first, then `mainCRL`.
    func verify(mainCRL: String, now: Date = Date()) throws -> VerificationReport {
        let other = try pki.crl(at: temp.path("other-\(UUID().uuidString).crl.pem"), caDir: pki.other)
        let trust = try TrustStore(caFiles: [pki.ca, "\(pki.other)/ca.pem"], crlFiles: [other, mainCRL])
        return try ArchiveVerifier(trust: trust, expectedDestination: "430100").verify(path: packed.path, now: now)
    }

    @Test func aSignerRevokedInTheSecondCRLFileIsRevoked() throws {
        let report = try verify(mainCRL: try pki.crl(revoking: ["441800"], at: temp.path("revoked.crl.pem")))
        #expect(report.codes == ["revoked-signer"], "\(report.reasons)")
    }

    @Test func aCRLIssuedAfterTheSigningDoesNotFailTheArchive() throws {
        // Signed now; the CRL is issued a minute later and judged two minutes later.
        let later = try pki.crl(at: temp.path("later.crl.pem"), thisUpdate: Date().addingTimeInterval(60))
        #expect(try verify(mainCRL: later, now: Date().addingTimeInterval(120)).valid)
        // Judged before that CRL is valid, revocation cannot be decided: transient, not a verdict.
        let early = try verify(mainCRL: later)
        #expect(early.codes == ["revocation-unavailable"] && early.reasons.allSatisfy(\.isTransient), "\(early.reasons)")
    }

    @Test func aCRLPastItsNextUpdateIsTransient() throws {
        let stale = try pki.crl(
            at: temp.path("stale.crl.pem"), thisUpdate: Date().addingTimeInterval(-7200),
            nextUpdate: Date().addingTimeInterval(-3600))
        let report = try verify(mainCRL: stale)
        #expect(report.codes == ["revocation-unavailable"] && report.reasons.allSatisfy(\.isTransient), "\(report.reasons)")
    }
}
