import COpenSSL
import DossierTestSupport
import Foundation
import Testing

@testable import DossierArchive

/// A signer chain found trusted is judged again whenever what the verdict rests on may no
/// longer hold (`ChainVerdicts`): the signing time, the CRLs' currency, the clock.
@Suite struct ChainVerdictTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let signer: OpaquePointer
    let now = Date()

    init() throws {
        temp = try TempDir()
        guard let signer = OpenSSL.certificates(pem: try readSmallFile(pki.cert("441800"))).first else {
            throw TestPKI.TestPKIError.crl("no certificate in \(pki.cert("441800"))")
        }
        self.signer = signer
    }

    /// The trusted CA with one CRL of it, valid from `thisUpdate` to `nextUpdate`.
    func trust(crlFrom thisUpdate: Date, until nextUpdate: Date) throws -> TrustStore {
        let crl = try pki.crl(at: temp.path("\(UUID().uuidString).crl.pem"), thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        return try TrustStore(caFiles: [pki.ca], crlFiles: [crl])
    }

    @Test func aTrustedChainIsKeptAndARefusedOneIsNot() throws {
        defer { X509_free(signer) }
        let trust = try TrustStore(caFiles: [pki.ca])
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now) == nil)
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now) == nil)
        #expect(trust.verdicts.count == 1)
        let stranger = try TrustStore(caFiles: ["\(pki.other)/ca.pem"])
        #expect(stranger.check(signer: signer, untrusted: nil, at: now, now: now)?.code == "untrusted-signer")
        #expect(stranger.verdicts.count == 0)
    }

    @Test func aKeptVerdictDoesNotCoverASigningTimeOutsideTheChainsValidity() throws {
        defer { X509_free(signer) }
        let info = CertificateInfo(x509: signer)
        let (notBefore, notAfter) = try (#require(info.notBefore), #require(info.notAfter))
        let trust = try TrustStore(caFiles: [pki.ca])
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now) == nil)
        #expect(trust.check(signer: signer, untrusted: nil, at: notAfter.addingTimeInterval(86400), now: now)?.code == "expired-signer")
        #expect(trust.check(signer: signer, untrusted: nil, at: notBefore.addingTimeInterval(-86400), now: now)?.code == "expired-signer")
    }

    @Test func aKeptVerdictEndsWithTheFirstCRLsNextUpdate() throws {
        defer { X509_free(signer) }
        let trust = try trust(crlFrom: now.addingTimeInterval(-60), until: now.addingTimeInterval(60))
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now) == nil)
        #expect(trust.verdicts.count == 1)
        let later = now.addingTimeInterval(120)
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: later)?.code == "revocation-unavailable")
    }

    @Test func aKeptVerdictIsNotUsedBeforeItWasJudged() throws {
        defer { X509_free(signer) }
        // A CRL valid from a minute on: judged two minutes on, then (the clock set back) now.
        let trust = try trust(crlFrom: now.addingTimeInterval(60), until: now.addingTimeInterval(3600))
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now.addingTimeInterval(120)) == nil)
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now)?.code == "revocation-unavailable")
    }

    @Test func aKeptVerdictEndsWithItsLifetime() throws {
        defer { X509_free(signer) }
        let trust = try TrustStore(caFiles: [pki.ca])
        #expect(trust.check(signer: signer, untrusted: nil, at: now, now: now) == nil)
        let key = try #require(ChainVerdicts.key(signer: signer, untrusted: nil))
        let (before, at) = (now.addingTimeInterval(ChainVerdicts.lifetime - 1), now.addingTimeInterval(ChainVerdicts.lifetime))
        let (keptBefore, keptAt) = (trust.verdicts.trusts(key, at: now, now: before), trust.verdicts.trusts(key, at: now, now: at))
        #expect(keptBefore && !keptAt)
    }

    @Test func keptChainsAreDigestsAndBoundedInNumber() throws {
        defer { X509_free(signer) }
        #expect(ChainVerdicts.key(signer: signer, untrusted: nil)?.count == 32)
        let verdicts = ChainVerdicts(limit: 2)
        let verdict = ChainVerdicts.Verdict(
            validAfter: .distantPast, validBefore: .distantFuture, judgedAt: now, holdsUntil: .distantFuture)
        for key in 0..<3 { verdicts.remember([UInt8(key)], verdict) }
        #expect(verdicts.count == 1)
    }
}
