import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// `TrustStore.admit(revocationList:)`, what a fetched CRL must prove before it is let in
/// (docs/protocol.md, Identity, "CRL refresh"): an anchor's signature, currency, no rollback,
/// and no crash on any bytes.
@Suite struct RevocationListAdmissionTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func aCurrentCRLOfAnAnchorIsAdmittedAsPEMWithWhatItSays() throws {
        let crl = try pki.crl(revoking: ["110000"], at: temp.path("good.crl.pem"))
        let admitted = try TrustStore(caFiles: [pki.ca]).admit(revocationList: try bytes(crl)).get()
        #expect(admitted.list.revokedCount == 1)
        #expect(admitted.list.issuer == (try pki.identity("441800")).info.issuer)
        #expect(String(decoding: admitted.pem, as: UTF8.self).hasPrefix("-----BEGIN X509 CRL-----"))
        // The PEM it returns is what a store loads.
        try Data(admitted.pem).write(to: temp.url.appendingPathComponent("kept.crl.pem"))
        #expect(try TrustStore(caFiles: [pki.ca], crlFiles: [temp.path("kept.crl.pem")]).revocationLists.count == 1)
    }

    @Test func everyOtherCRLIsRefusedWithItsReason() throws {
        let store = try TrustStore(caFiles: [pki.ca])
        let strangers = try pki.crl(at: temp.path("other.crl.pem"), caDir: pki.other)
        guard case .failure(.unknownIssuer) = store.admit(revocationList: try bytes(strangers)) else {
            Issue.record("a CRL of a CA that is not an anchor was admitted")
            return
        }
        let future = try pki.crl(at: temp.path("future.crl.pem"), thisUpdate: Date().addingTimeInterval(3600))
        guard case .failure(.notYetValid) = store.admit(revocationList: try bytes(future)) else {
            Issue.record("a CRL issued an hour from now was admitted")
            return
        }
        let expired = try pki.crl(
            at: temp.path("expired.crl.pem"), thisUpdate: Date().addingTimeInterval(-7200), nextUpdate: Date().addingTimeInterval(-3600))
        guard case .failure(.expired) = store.admit(revocationList: try bytes(expired)) else {
            Issue.record("an expired CRL was admitted")
            return
        }
        // Rollback: an older list than the one in force could hide a revocation.
        let older = try pki.crl(at: temp.path("older.crl.pem"), thisUpdate: Date().addingTimeInterval(-600))
        let newer = try pki.crl(revoking: ["110000"], at: temp.path("newer.crl.pem"), thisUpdate: Date().addingTimeInterval(-60))
        let inForce = try TrustStore(caFiles: [pki.ca], crlFiles: [newer])
        guard case .failure(.older) = inForce.admit(revocationList: try bytes(older)) else {
            Issue.record("an older CRL than the one in force was admitted")
            return
        }
        // Garbage, truncation and a flipped signature byte: refused, never a crash.
        let good = try bytes(try pki.crl(at: temp.path("fine.crl.pem")))
        #expect(throws: RevocationListRefusal.unreadable) { try store.admit(revocationList: Array("not a CRL".utf8)).get() }
        #expect(throws: RevocationListRefusal.unreadable) { try store.admit(revocationList: Array(good.prefix(good.count / 2))).get() }
        #expect(throws: RevocationListRefusal.unreadable) { try store.admit(revocationList: []).get() }
        let der = temp.path("fine.crl.der")
        #expect(try run("openssl", ["crl", "-in", temp.path("fine.crl.pem"), "-outform", "DER", "-out", der]).status == 0)
        var flipped = try bytes(der)
        flipped[flipped.count - 1] ^= 0x01
        guard case .failure(.badSignature) = store.admit(revocationList: flipped) else {
            Issue.record("a CRL with a broken signature was admitted")
            return
        }
    }
}
