import DossierAdmin
import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Revocation as a running `dossierd` applies it (docs/protocol.md, Identity): a signer revoked
/// and loaded by SIGHUP is refused on the next archive, though the sender's TLS certificate is
/// still good; a CRL past its nextUpdate is shown to the operator.
@Suite(.serialized) struct RevocationReloadTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test func aSignerRevokedBySIGHUPIsRefusedOnTheNextArchive() async throws {
        // A second certificate of 441800 from the same CA signs the archives; the first one
        // stays the TLS identity, so only the signature can be what is refused.
        let signer = try secondCertificate("441800")
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:9")])
        let none = try pki.crl(at: temp.path("none.crl.pem"))
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:9")], tls: "crl = [\"\(none)\"]")
        try await destination.start(notifying: true)
        let client = try pki.client("441800")
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        let peer = PeerIdentity(code: "430100")
        let url = try destination.url

        let before = try archive(seed: 811, signer: signer)
        let first = await operations.push(
            baseURL: url, peer: peer, id: before.id, path: before.path, size: before.size, digest: before.sha256)
        guard case .delivered = first else {
            Issue.record("expected the archive signed before the revocation to be accepted, got \(first)")
            return
        }

        let revoking = try pki.crl(revoking: ["441800"], at: temp.path("revoked.crl.pem"), caDir: signer.dir)
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:9")], tls: "crl = [\"\(revoking)\"]")
        let messages = try destination.reload()
        #expect(messages.contains { $0.contains("STATUS=reloaded") }, "\(messages)")

        let after = try archive(seed: 812, signer: signer)
        let second = await operations.push(
            baseURL: url, peer: peer, id: after.id, path: after.path, size: after.size, digest: after.sha256)
        guard case let .failed(outcome, rejection) = second, case .rejected = outcome else {
            Issue.record("expected a rejection of the archive of the revoked signer, got \(second)")
            return
        }
        #expect(rejection?.reasons.contains { $0.contains("revoked-signer") } == true, "\(String(describing: rejection))")
        #expect(rejection?.signed != nil, "the rejection receipt is signed and kept")
        let inbox = try destination.ctl([AdminProtocol.InboxLine].self, ["inbox"])
        #expect(inbox.first { $0.id == before.id }?.status == "accepted", "\(inbox)")
        #expect(inbox.first { $0.id == after.id }?.status != "accepted", "\(inbox)")
        #expect(try await destination.stop() == 0)
    }

    @Test func aCRLPastItsNextUpdateIsAWarningInStatus() async throws {
        let stale = try pki.crl(
            at: temp.path("stale.crl.pem"), thisUpdate: Date().addingTimeInterval(-2 * 86400),
            nextUpdate: Date().addingTimeInterval(-86400))
        let node = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [])
        try node.writeConfig(pki: pki, peers: [], tls: "crl = [\"\(stale)\"]")
        try await node.start()
        let status = try node.ctl(AdminProtocol.Status.self, ["status"])
        #expect(status.warnings.contains { $0.contains("is past its nextUpdate") }, "\(status.warnings)")
        let fresh = try DaemonProcess(code: "440100", in: temp.url, pki: pki, peers: [])
        try fresh.writeConfig(pki: pki, peers: [], tls: "crl = [\"\(try pki.crl(at: temp.path("fresh.crl.pem")))\"]")
        try await fresh.start()
        #expect(try fresh.ctl(AdminProtocol.Status.self, ["status"]).warnings.allSatisfy { !$0.contains("nextUpdate") })
        #expect(try await node.stop() == 0)
        #expect(try await fresh.stop() == 0)
    }

    /// A certificate and key of `code` issued by the test CA (another serial than `pki`'s own),
    /// in a folder of their own with a copy of the CA, so a CRL can revoke this one alone.
    private func secondCertificate(_ code: String) throws -> (dir: String, identity: SigningIdentity) {
        let dir = temp.path("second-\(code)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["ca.pem", "ca.key"] { try FileManager.default.copyItem(atPath: "\(pki.dir)/\(file)", toPath: "\(dir)/\(file)") }
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        let made = try run(script, [dir, code])
        try #require(made.status == 0, "\(made.stderr)")
        return (dir, try SigningIdentity(certificateFile: "\(dir)/\(code).pem", keyFile: "\(dir)/\(code).key"))
    }

    private func archive(seed: Int, signer: (dir: String, identity: SigningIdentity)) throws -> PackResult {
        let sample = try SampleDossier.make(in: temp, seed: seed, documentSize: 32 << 10)
        return try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: signer.identity, policy: .default,
            outputDirectory: temp.url)
    }
}
