@testable import DossierArchive
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

    @Test func aCRLIsJudgedByItsSignatureBeforeItsEntriesAreParsed() throws {
        let store = try TrustStore(caFiles: [pki.ca])
        let der = temp.path("genuine.crl.der")
        _ = try pki.crl(at: temp.path("genuine.crl.pem"))
        #expect(try run("openssl", ["crl", "-in", temp.path("genuine.crl.pem"), "-outform", "DER", "-out", der]).status == 0)
        let genuine = try #require(SignedCRL(try bytes(der)))
        // 200,000 entries OpenSSL cannot parse (a revoked certificate of NULL), which a parse
        // before the signature would have read first and called unreadable.
        let entries = DERWriter.tlv(0x30, Array([[UInt8]](repeating: [0x30, 0x02, 0x05, 0x00], count: 200_000).joined()))
        let time = DERWriter.tlv(0x17, Array("261201000000Z".utf8))
        func forged(issuer: ArraySlice<UInt8>, inner: ArraySlice<UInt8> = genuine.algorithm) -> [UInt8] {
            let tbs = DERWriter.tlv(0x30, [0x02, 0x01, 0x01] + inner + issuer + time + time + entries)
            return DERWriter.tlv(0x30, tbs + genuine.algorithm + genuine.signature)
        }
        let anchor = try #require(store.admit(revocationList: try bytes(der)).map(\.list.issuer).get() as String?)
        #expect(throws: RevocationListRefusal.badSignature(issuer: anchor)) {
            try store.admit(revocationList: forged(issuer: genuine.issuerName)).get()
        }
        let pem =
            "-----BEGIN X509 CRL-----\n\(Data(forged(issuer: genuine.issuerName)).base64EncodedString(options: .lineLength64Characters))\n-----END X509 CRL-----\n"
        #expect(throws: RevocationListRefusal.badSignature(issuer: anchor)) { try store.admit(revocationList: Array(pem.utf8)).get() }
        let nobody = DERWriter.tlv(
            0x30, DERWriter.tlv(0x31, DERWriter.tlv(0x30, [0x06, 0x03, 0x55, 0x04, 0x03] + DERWriter.tlv(0x0C, Array("nobody".utf8)))))
        #expect(throws: RevocationListRefusal.unknownIssuer("CN=nobody")) {
            try store.admit(revocationList: forged(issuer: nobody[...])).get()
        }
        // The algorithm named inside what is signed must be the one outside.
        let other = DERWriter.tlv(0x30, [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03])
        #expect(throws: RevocationListRefusal.unreadable) {
            try store.admit(revocationList: forged(issuer: genuine.issuerName, inner: other[...])).get()
        }
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
