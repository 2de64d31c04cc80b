import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// Two daemons that sign with SM2 (`[signing]`) over EC TLS (`[tls]`): the archive travels in the
/// `sm2-sm3` profile, the receiver requires it, and the receipt comes back signed with SM2.
@Suite(.serialized) struct SM2TwoDaemonTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    static func signing(_ pki: TestPKI, _ code: String, require: Bool) -> String {
        "[signing]\ncertificate = \"\(pki.cert("\(code)-sm2"))\"\nkey = \"\(pki.key("\(code)-sm2"))\"\n"
            + (require ? "require_profile = \"sm2-sm3\"\n" : "")
    }

    @Test func sm2ArchiveDeliveredWithAnSM2Receipt() async throws {
        let destinationExtra = Self.signing(pki, "430100", require: true)
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")], extra: destinationExtra)
        try await destination.start(notifying: true)
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: try destination.url)],
            extra: Self.signing(pki, "441800", require: false))
        try await origin.start(notifying: true)
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: try origin.url)], extra: destinationExtra)
        try destination.reload()

        let sample = try SampleDossier.make(in: temp, seed: 41)
        let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }

        let show = try origin.ctl(["show", id, "--json"])
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        // What the destination stored (the origin's spool copy is gone once delivered).
        let archive = destination.state.appendingPathComponent("inbox/\(id).dva").path
        let verified = try dossierctl([
            "verify", archive, "--trust", pki.ca, "--trust", pki.sm2CA, "--require-profile", "sm2-sm3", "--json",
        ])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("\"sm2-sm3\""), "\(verified.stdout)")
        let receiptPath = try #require(shown["receiptPath"] as? String)
        let receipt = SignatureCheck.verifyAttached(
            signature: Array(try Data(contentsOf: URL(fileURLWithPath: receiptPath))), trust: try pki.trust())
        #expect(receipt.findings.isEmpty, "\(receipt.findings)")
        #expect(receipt.profile == .sm2SM3)
        #expect(receipt.signer?.authority == "430100")

        // SIGHUP: a signer of another authority is refused and the running one kept.
        let peers: [DaemonProcess.Peer] = [.init(code: "430100", url: try destination.url)]
        try origin.writeConfig(pki: pki, peers: peers, extra: Self.signing(pki, "430100", require: false))
        let refused = try origin.reload()
        #expect(refused.contains { $0.contains("reload refused") }, "\(refused)")
        #expect(origin.log.contains("signing.certificate"), "\(origin.log)")
        // Back to the TLS certificate as signer (sha256 profile): the destination, requiring
        // sm2-sm3, refuses the next archive for its profile.
        try origin.writeConfig(pki: pki, peers: peers)
        #expect(try origin.reload().contains { $0.contains("STATUS=reloaded") })
        let other = try SampleDossier.make(in: temp, seed: 42)
        #expect(try origin.ctl(["submit", other.dir.path, "--to", "430100"]).status == 0)
        var inbox = ""
        for _ in 0..<300 where !inbox.contains("rejected") {
            try await Task.sleep(for: .milliseconds(100))
            inbox = try destination.ctl(["inbox", "--json"]).stdout
        }
        let rejected = try #require(
            (try JSONSerialization.jsonObject(with: Data(inbox.utf8)) as? [[String: Any]])?.first { $0["status"] as? String == "rejected" })
        let reason = destination.state.appendingPathComponent("quarantine/441800/\(rejected["id"] as? String ?? "")/reason.json")
        let reasons = (try? String(contentsOf: reason, encoding: .utf8)) ?? ""
        #expect(reasons.contains("profile-refused"), "\(reasons)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
