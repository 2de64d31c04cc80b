import COpenSSL
@testable import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// The shortcut that reuses carried certificates parsed before (`CarriedCertificates`) must give
/// every signature, genuine or damaged, the verdict a full parse gives.
@Suite struct CarriedCertificatesTests {
    let pki = TestPKI.shared

    /// What a verdict is made of, minus OpenSSL's wording of its errors.
    struct Verdict: Equatable {
        var codes: [String]
        var signer: String?
        var content: [UInt8]?
        var signingTime: Date?
    }

    func verdict(_ signature: [UInt8], trust: TrustStore, certificates: CertificateCache?) -> Verdict {
        let result = SignatureCheck.verify(
            signature: signature, detachedContent: nil, trust: trust, timestamps: .none, profile: nil, now: Date(),
            certificates: certificates)
        return Verdict(
            codes: result.findings.map(\.code), signer: result.signer?.subject, content: result.content, signingTime: result.signingTime)
    }

    @Test func splitTakesOutExactlyTheCarriedCertificate() throws {
        let signed = try pki.identity("430100").signAttached(Array(#"{"receipt":true}"#.utf8))
        let split = try #require(CarriedCertificates.split(signed))
        #expect(split.certificates.count == 1)
        let pem = try String(contentsOfFile: pki.cert("430100"), encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(Array(split.certificates[0]) == Array(try #require(Data(base64Encoded: body))))
        // What is left parses as SignedData that carries no certificate.
        let rest = try #require(OpenSSL.withMemoryBIO(split.rest) { d2i_CMS_bio($0, nil) } ?? nil)
        defer { CMS_ContentInfo_free(rest) }
        #expect(CMS_get1_certs(rest) == nil)
    }

    @Test func whatIsNotPlainDERSignedDataWithCertificatesIsLeftToTheFullParse() throws {
        let signed = try pki.identity("430100").signAttached(Array("x".utf8))
        #expect(CarriedCertificates.split(Array("-----BEGIN CMS-----\n".utf8) + signed) == nil)
        #expect(CarriedCertificates.split(signed + [0]) == nil, "trailing bytes")
        #expect(CarriedCertificates.split(Array(signed.dropLast())) == nil, "truncated")
        #expect(CarriedCertificates.split([0x30, 0x80, 0x00, 0x00]) == nil, "indefinite length")
        #expect(CarriedCertificates.split([]) == nil)
        let bare = try #require(CarriedCertificates.split(signed)).rest
        #expect(CarriedCertificates.split(bare) == nil, "no certificates to take out")
    }

    @Test func genuineAndDamagedSignaturesGetTheVerdictOfAFullParse() throws {
        let trust = try pki.trust()
        let cache = CertificateCache(limit: 16)
        var signatures = [
            try pki.identity("430100").signAttached(Array(#"{"archiveId":"a","status":"accepted"}"#.utf8)),
            try pki.expiredIdentity("441800").signAttached(Array("expired".utf8)),
            try pki.untrustedIdentity("441800").signAttached(Array("untrusted".utf8)),
            try pki.sm2Identity("430100").signAttached(Array("sm2".utf8)),
        ]
        // Bounded and reproducible: 400 single-byte changes and 40 truncations of the first.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let genuine = signatures[0]
        for _ in 0..<400 {
            var damaged = genuine
            damaged[next(damaged.count)] ^= UInt8(1 + next(255))
            signatures.append(damaged)
        }
        for _ in 0..<40 { signatures.append(Array(genuine.prefix(next(genuine.count)))) }
        for signature in signatures {
            let full = verdict(signature, trust: trust, certificates: nil)
            #expect(verdict(signature, trust: trust, certificates: cache) == full)
            // A second time, with the certificate now known.
            #expect(verdict(signature, trust: trust, certificates: cache) == full)
        }
        #expect(verdict(genuine, trust: trust, certificates: cache).codes.isEmpty)
    }

    @Test func theCacheIsBoundedSharesWhatItParsedAndKeepsNoSM2Certificate() throws {
        let cache = CertificateCache(limit: 4)
        let der = try #require(CarriedCertificates.split(try pki.identity("430100").signAttached([1]))).certificates[0]
        let first = try #require(cache.certificate(der: der))
        #expect(cache.certificate(der: der) === first)
        for index in 0..<10 { #expect(cache.certificate(der: [0x30, 0x01, UInt8(index)]) == nil) }
        #expect(cache.count <= 4)
        let sm2 = try #require(CarriedCertificates.split(try pki.sm2Identity("430100").signAttached([1]))).certificates[0]
        #expect(cache.certificate(der: sm2) == nil)
        #expect(cache.certificate(der: ArraySlice(repeating: 0x30, count: CertificateCache.largestKept + 1)) == nil)
    }
}
