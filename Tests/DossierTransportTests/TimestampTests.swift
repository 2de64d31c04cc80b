@testable import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// RFC 3161 timestamps on archive signatures (CAdES-T, docs/archive-format.md "Timestamp"),
/// against `dossier-mock-tsa` (OpenSSL's TS responder) as a real process over HTTP on
/// loopback, and checked with the `openssl` command line.
@Suite struct TimestampTests {
    let temp: TempDir
    let sample: SampleDossier
    let tsa = TimestampPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 31)
    }

    func pack(
        identity: SigningIdentity? = nil, now: Date = Date(), timestamping: Timestamping?, into folder: String = "out"
    ) throws -> PackResult {
        let output = temp.url.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate, schema: "dossier/1",
            sourceOrganization: "Qingyuan Vehicle Administration Office")
        return try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: try identity ?? tsa.pki.identity("441800"), outputDirectory: output,
            now: now, timestamping: timestamping)
    }

    func timestamping(_ url: String, required: Bool = true, trusted: Bool = true, wait: TimeInterval = 10) throws -> Timestamping {
        Timestamping(
            source: CurlTimestampSource(url: url, timeout: 3), trust: trusted ? try tsa.tsaTrust() : nil, required: required, wait: wait,
            retryDelay: 0.2)
    }

    /// Verifies as 430100 would, trusting the shared CA and the backdated certificate's.
    func verify(_ path: String, required: Bool) throws -> VerificationReport {
        try ArchiveVerifier(
            trust: TrustStore(caFiles: [tsa.pki.ca, tsa.pastCA]), expectedDestination: "430100",
            timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: required)
        ).verify(path: path)
    }

    @Test func aTimestampedArchiveVerifiesAtTheTSAsTime() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let packed = try pack(timestamping: try timestamping(mock.url))
        #expect(packed.timestampProblem == nil)
        let report = try verify(packed.path, required: true)
        #expect(report.valid, "\(report.reasons)")
        let timestamp = try #require(report.timestamp)
        #expect(timestamp.trusted && timestamp.authority == "dossierd test TSA")
        #expect(abs(timestamp.time.timeIntervalSinceNow) < 60)
    }

    /// `openssl cms -verify` accepts the signature with its unsigned attribute, and `openssl ts
    /// -verify` the token cut out of it by `openssl asn1parse`, over the signature value.
    @Test func theOpenSSLCommandLineAcceptsSignatureAndToken() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let packed = try pack(timestamping: try timestamping(mock.url))
        let evidence = try SignatureEvidence(archive: packed, temp: temp)
        let cms = try run(
            "openssl",
            [
                "cms", "-verify", "-binary", "-inform", "PEM", "-in", evidence.signaturePath, "-content", evidence.tagManifestPath,
                "-CAfile", tsa.pki.ca, "-purpose", "any", "-out", "/dev/null",
            ])
        #expect(cms.status == 0, "\(cms.stderr)")
        let ts = try run(
            "openssl",
            ["ts", "-verify", "-in", evidence.tokenPath, "-token_in", "-data", evidence.signatureValuePath, "-CAfile", tsa.pki.ca])
        #expect(ts.status == 0 && ts.stdout.contains("Verification: OK"), "\(ts.stdout) \(ts.stderr)")
    }

    /// A genuine token of archive A put on archive B's signature: the imprint is A's.
    @Test func aTokenMovedOntoAnotherSignatureIsRefused() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let first = try pack(timestamping: try timestamping(mock.url), into: "a")
        let token = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try SignatureEvidence(archive: first, temp: temp).tokenPath)))
        let tagManifest = Array("another tag manifest\n".utf8)
        let forged = try tsa.pki.identity("441800").signDetached(tagManifest, at: Date()) { (_) throws(ArchiveError) -> [UInt8]? in token }
        let result = SignatureCheck.verifyDetached(
            signature: forged, content: tagManifest, trust: try tsa.pki.trust(),
            timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true))
        #expect(result.findings.map(\.code) == ["timestamp-mismatch"], "\(result.findings)")
        #expect(result.timestamp?.trusted == false)
    }

    /// The backdating attack: a signer whose certificate expired 10 days ago signs now and
    /// claims a signingTime inside its validity.
    @Test func aBackdatedSignatureIsRefusedWhenATimestampIsRequired() async throws {
        let forged = try pack(identity: try tsa.backdatedIdentity(), now: tsa.backdatedSigningTime, timestamping: nil, into: "forged")
        // Judged at its own word, it passes; a receiver requiring a timestamp refuses it.
        let trusting = try verify(forged.path, required: false)
        #expect(trusting.valid, "\(trusting.reasons)")
        let requiring = try verify(forged.path, required: true)
        #expect(requiring.codes == ["timestamp-missing"], "\(requiring.reasons)")
        // With a genuine token, the signer is judged at the TSA's time, when it had expired.
        let mock = try await MockTSAProcess.launch(in: temp)
        let stamped = try pack(
            identity: try tsa.backdatedIdentity(), now: tsa.backdatedSigningTime, timestamping: try timestamping(mock.url), into: "stamped")
        #expect(try verify(stamped.path, required: false).codes == ["expired-signer"])
    }

    @Test func dossierctlVerifyShowsTheTrustedTimeAndTheTSA() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let stamped = try pack(timestamping: try timestamping(mock.url), into: "stamped")
        let ca = tsa.pki.ca
        let trusted = try dossierctl(["verify", stamped.path, "--trust", ca, "--tsa-trust", ca, "--require-timestamp"])
        #expect(trusted.status == 0, "\(trusted.stdout) \(trusted.stderr)")
        #expect(trusted.stdout.contains("trusted time: ") && trusted.stdout.contains("by TSA dossierd test TSA"), "\(trusted.stdout)")
        let json = try dossierctl(["verify", stamped.path, "--trust", ca, "--tsa-trust", ca, "--json"])
        #expect(json.stdout.contains("dossierd test TSA") && json.stdout.contains("\"trusted\""), "\(json.stdout)")
        // Without TSA trust the token is shown, not used.
        let unjudged = try dossierctl(["verify", stamped.path, "--trust", ca])
        #expect(unjudged.status == 0 && unjudged.stdout.contains("untrusted signing time"), "\(unjudged.stdout)")
        let plain = try pack(timestamping: nil, into: "plain")
        let refused = try dossierctl(["verify", plain.path, "--trust", ca, "--tsa-trust", ca, "--require-timestamp"])
        #expect(refused.status == 1 && refused.stdout.contains("timestamp-missing"), "\(refused.stdout)")
        #expect(refused.stdout.contains("untrusted signing time"), "\(refused.stdout)")
    }

    @Test func aTokenOfAnUntrustedTSAIsRefused() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, untrusted: true)
        // The packer that trusts the TSA's CA does not embed it; one that checks nothing does.
        #expect(throws: ArchiveError.self) { try pack(timestamping: try timestamping(mock.url, wait: 0)) }
        let packed = try pack(timestamping: try timestamping(mock.url, trusted: false))
        #expect(try verify(packed.path, required: true).codes == ["timestamp-untrusted"])
    }

    /// The TSA's chain is judged with the CRLs: a revoked TSA is untrusted; a TSA whose CA has no
    /// CRL among those loaded cannot be judged now (transient: the daemon answers 503, not 422).
    @Test func theTSAsCertificateIsCheckedForRevocation() async throws {
        let ca = tsa.pki.ca
        let otherCA = "\(tsa.pki.other)/ca.pem"
        let ours = try await MockTSAProcess.launch(in: temp)
        let theirs = try await MockTSAProcess.launch(in: temp, untrusted: true)
        let packed = try pack(timestamping: try timestamping(ours.url, trusted: false), into: "ours")
        let other = try pack(timestamping: try timestamping(theirs.url, trusted: false), into: "theirs")
        func verify(_ path: String, tsaTrust: TrustStore) throws -> VerificationReport {
            try ArchiveVerifier(
                trust: tsa.pki.trust(), expectedDestination: "430100", timestamps: TimestampPolicy(trust: tsaTrust, required: true)
            ).verify(path: path)
        }
        let revoked = try tsa.pki.crl(revoking: ["tsa"], at: temp.path("tsa-revoked.crl.pem"))
        let refused = try verify(packed.path, tsaTrust: TrustStore(caFiles: [ca], crlFiles: [revoked]))
        #expect(refused.codes == ["timestamp-untrusted"] && refused.reasons[0].detail.contains("revoked"), "\(refused.reasons)")
        let current = try tsa.pki.crl(at: temp.path("tsa-current.crl.pem"))
        #expect(try verify(packed.path, tsaTrust: TrustStore(caFiles: [ca], crlFiles: [current])).valid)
        let unknown = try verify(other.path, tsaTrust: TrustStore(caFiles: [ca, otherCA], crlFiles: [current]))
        #expect(unknown.codes == ["revocation-unavailable"] && unknown.reasons.allSatisfy(\.isTransient), "\(unknown.reasons)")
    }

    @Test func aTokenOverAnotherImprintIsNotEmbedded() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, fault: "wrong-imprint")
        let error = #expect(throws: ArchiveError.self) { try pack(timestamping: try timestamping(mock.url, wait: 0)) }
        guard case .timestamp(.badResponse)? = error else { Issue.record("\(String(describing: error))"); return }
        // Not required: the archive is packed without a token, and says why.
        let packed = try pack(timestamping: try timestamping(mock.url, required: false))
        #expect(packed.timestampProblem?.contains("imprint") == true, "\(packed.timestampProblem ?? "")")
        #expect(try verify(packed.path, required: false).timestamp == nil)
    }

    @Test func aSlowTSAIsCutOffAtTheTimeout() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, fault: "slow", slowSeconds: 10)
        let started = Date()
        let error = #expect(throws: ArchiveError.self) { try pack(timestamping: try timestamping(mock.url, wait: 0)) }
        guard case .timestamp(.unreachable)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(Date().timeIntervalSince(started) < 8)
    }

    /// A TSA outage delays packing, never loses it: refused connections and 503s are retried
    /// until the TSA answers (bounded by `wait`), and nothing is left behind when it gives up.
    @Test func packingWaitsForATSAThatIsDown() async throws {
        let closed = try timestamping("http://127.0.0.1:1/", wait: 0.5)
        #expect(throws: ArchiveError.self) { try pack(timestamping: closed, into: "refused") }
        #expect(temp.contents("refused").isEmpty)

        let mock = try await MockTSAProcess.launch(in: temp, fault: "down")
        let policy = try timestamping(mock.url, wait: 30)
        let started = Date()
        // Packing blocks its thread while it waits, as on the daemon's blocking pool.
        async let waited = onOwnThread { [self] in try pack(timestamping: policy, into: "waited") }
        try await Task.sleep(for: .seconds(1.5))
        try await mock.setFault("none")
        let packed = try await waited
        #expect(Date().timeIntervalSince(started) >= 1.5)
        #expect(try verify(packed.path, required: true).valid)
    }
}

/// Runs blocking `body` on a thread of its own, not the cooperative pool's.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The pieces of a packed archive's signature the `openssl` command line needs, cut out with
/// `tar` and `openssl asn1parse` (not with this project's code).
struct SignatureEvidence {
    var signaturePath: String
    var tagManifestPath: String
    /// The SignerInfo's signature value (the octets the token's imprint is over).
    var signatureValuePath: String
    /// The id-aa-timeStampToken attribute's value: a DER ContentInfo.
    var tokenPath: String

    init(archive: PackResult, temp: TempDir) throws {
        let dir = temp.path("evidence-\(archive.id)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard try run("tar", ["-xf", archive.path, "-C", dir]).status == 0 else { throw HarnessError.failed("tar -xf") }
        signaturePath = "\(dir)/\(archive.id)/signatures/tagmanifest-sha256.txt.p7s"
        tagManifestPath = "\(dir)/\(archive.id)/tagmanifest-sha256.txt"
        let der = "\(dir)/signature.der"
        let converted = try run("openssl", ["cms", "-cmsout", "-inform", "PEM", "-in", signaturePath, "-outform", "DER", "-out", der])
        guard converted.status == 0 else { throw HarnessError.failed("openssl cms -cmsout: \(converted.stderr)") }
        let lines = try run("openssl", ["asn1parse", "-inform", "DER", "-in", der]).stdout.split(separator: "\n").map(String.init)
        guard let attribute = lines.firstIndex(where: { $0.hasSuffix(":id-smime-aa-timeStampToken") }),
            let unsigned = lines[..<attribute].lastIndex(where: { $0.contains("cont [ 1 ]") }),
            let value = lines[..<unsigned].last(where: { $0.contains("prim: OCTET STRING") }),
            let hex = value.components(separatedBy: "[HEX DUMP]:").last, attribute + 2 < lines.count,
            let token = Self.position(lines[attribute + 2])
        else { throw HarnessError.failed("no timestamp token in the signature:\n\(lines.joined(separator: "\n"))") }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: der)))
        tokenPath = "\(dir)/token.der"
        signatureValuePath = "\(dir)/signature-value.bin"
        try Data(bytes[token.offset..<(token.offset + token.length)]).write(to: URL(fileURLWithPath: tokenPath))
        try Data(Self.bytes(hex: hex)).write(to: URL(fileURLWithPath: signatureValuePath))
    }

    /// Offset and total length of the element on an asn1parse line (`off:d=N  hl=H l=  L ...`).
    private static func position(_ line: String) -> (offset: Int, length: Int)? {
        guard let match = line.firstMatch(of: /^\s*(\d+):d=\d+\s+hl=\s*(\d+)\s+l=\s*(\d+)/),
            let offset = Int(match.1), let header = Int(match.2), let length = Int(match.3)
        else { return nil }
        return (offset, header + length)
    }

    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.trimmingCharacters(in: .whitespaces).utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).compactMap {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)
        }
    }
}
