import COpenSSL
@testable import DossierArchive
import DossierModel
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// A signer's revocation judged at a trusted token's genTime (docs/archive-format.md,
/// "Timestamp"): revoked after the TSA saw the signature, the signature stands; revoked before,
/// or without a token to prove when it was made, it is `revoked-signer`. Each CRL here is
/// issued after the token, so it also shows that a CRL newer than the genTime is judged as of now.
@Suite struct TimestampRevocationTests {
    let temp: TempDir
    let sample: SampleDossier
    let tsa = TimestampPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 37)
    }

    func pack(timestampedBy url: String?, into folder: String) throws -> PackResult {
        let output = temp.url.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate, schema: "dossier/1",
            sourceOrganization: "Qingyuan Vehicle Administration Office")
        let timestamping = try url.map {
            Timestamping(source: CurlTimestampSource(url: $0, timeout: 3), trust: try tsa.tsaTrust(), required: true, retryDelay: 0.2)
        }
        let packed = try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: try tsa.pki.identity("441800"), outputDirectory: output,
            timestamping: timestamping)
        #expect(packed.timestampProblem == nil)
        return packed
    }

    /// A CRL revoking 441800, whose revocationDate is now.
    func revokeSigner(_ name: String) throws -> String {
        try tsa.pki.crl(revoking: ["441800"], at: temp.path(name))
    }

    /// Verified as 430100 would, with `crl` and the TSA trusted.
    func verify(_ packed: PackResult, crl: String) throws -> VerificationReport {
        try ArchiveVerifier(
            trust: TrustStore(caFiles: [tsa.pki.ca], crlFiles: [crl]), expectedDestination: "430100",
            timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: false)
        ).verify(path: packed.path)
    }

    /// Times are to the second (genTime and revocationDate alike): waits into the next one.
    func nextSecond() {
        let now = Date().timeIntervalSince1970
        Thread.sleep(forTimeInterval: now.rounded(.down) + 1.05 - now)
    }

    @Test func aSignerRevokedAfterTheTokensTimeStillVerifies() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let packed = try pack(timestampedBy: mock.url, into: "stamped")
        nextSecond()
        let report = try verify(packed, crl: try revokeSigner("after.crl.pem"))
        #expect(report.valid, "\(report.reasons)")
        #expect(report.timestamp?.trusted == true)
        // The same archive with the TSA not trusted has no trusted time: revoked.
        let untrusted = try ArchiveVerifier(
            trust: TrustStore(caFiles: [tsa.pki.ca], crlFiles: [try revokeSigner("again.crl.pem")]), expectedDestination: "430100"
        ).verify(path: packed.path)
        #expect(untrusted.codes == ["revoked-signer"], "\(untrusted.reasons)")
    }

    /// Revoked after the token, but for a key compromised a day before it (invalidityDate): the
    /// token proves nothing about who held the key then.
    @Test func aKeyCompromisedBeforeTheTokensTimeIsRevoked() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let packed = try pack(timestampedBy: mock.url, into: "stamped")
        nextSecond()
        let crl = try tsa.pki.crl(
            revoking: ["441800"], at: temp.path("compromised.crl.pem"), compromisedAt: Date().addingTimeInterval(-86_400))
        let report = try verify(packed, crl: crl)
        #expect(report.codes == ["revoked-signer"], "\(report.reasons)")
        #expect(report.timestamp?.trusted == true)
    }

    @Test func aSignerRevokedBeforeTheTokensTimeIsRevoked() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let crl = try revokeSigner("before.crl.pem")
        // The packer does not check its own revocation; the token is made after the revocation.
        let packed = try pack(timestampedBy: mock.url, into: "stamped")
        let report = try verify(packed, crl: crl)
        #expect(report.codes == ["revoked-signer"], "\(report.reasons)")
        #expect(report.timestamp?.trusted == true)
    }

    @Test func withoutATokenARevokedSignerIsRevokedWhenever() throws {
        let packed = try pack(timestampedBy: nil, into: "plain")
        nextSecond()
        let report = try verify(packed, crl: try revokeSigner("after.crl.pem"))
        #expect(report.codes == ["revoked-signer"], "\(report.reasons)")
        #expect(report.timestamp == nil)
    }

    /// A TSA's certificate must have extendedKeyUsage timeStamping: the test TSA's has it, an
    /// authority's TLS and signing certificate of the same CA does not.
    @Test func aTSACertificateWithoutTheTimeStampingUsageIsRefused() throws {
        let trust = try tsa.tsaTrust()
        func check(_ path: String) throws -> Finding? {
            let certs = OpenSSL.certificates(pem: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            defer { certs.forEach { X509_free($0) } }
            let certificate = try #require(certs.first)
            return trust.checkTimestampAuthority(certificate, untrusted: nil)
        }
        #expect(try check(tsa.tsaCertificate) == nil)
        let refused = try check(tsa.pki.cert("441800"))
        #expect(refused?.code == "untrusted-signer" && refused?.detail.contains("purpose") == true, "\(String(describing: refused))")
    }
}
