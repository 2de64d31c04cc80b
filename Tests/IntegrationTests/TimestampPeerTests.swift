import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Timestamps between daemons beyond archives and receipts (docs/protocol.md, "Completion";
/// docs/archive-format.md "Timestamp"): completion notices carry a token and a receiver that
/// requires timestamps refuses a notice without one; a peer's request for an archive waits for
/// a TSA that is down (503 `timestamp-unavailable`) instead of failing.
@Suite(.serialized) struct TimestampPeerTests {
    let temp: TempDir
    let tsa = TimestampPKI.shared

    init() throws { temp = try TempDir() }

    /// The origin's registry holds the vehicle of `sample` (a registration then changes it).
    private func register(_ sample: SampleDossier, at node: DaemonProcess) throws -> URL {
        let folder = node.state.appendingPathComponent("registry/\(sample.vin)")
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: folder)
        return folder
    }

    /// 430100, timestamping with `mock`, and 441800, requiring timestamps on what it receives,
    /// peered; one archive delivered from 441800 to 430100: its id and digest.
    private func pairWithDelivery(_ mock: MockTSAProcess, seed: Int) async throws -> (
        origin: DaemonProcess, destination: DaemonProcess, id: String, digest: String
    ) {
        let stamping = "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\ntimeout = \"3s\"\n"
        let requiring = "[timestamp]\ntrust = [\"\(tsa.pki.ca)\"]\nrequire_timestamp = true\n"
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: tsa.pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")], extra: stamping)
        try await destination.start(notifying: true)
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: try destination.url)], extra: requiring)
        try await origin.start(notifying: true)
        try destination.writeConfig(pki: tsa.pki, peers: [.init(code: "441800", url: try origin.url)], extra: stamping)
        try destination.reload()

        let sample = try SampleDossier.make(in: temp, seed: seed)
        let submitted = try origin.ctl(["submit", try register(sample, at: origin).path, "--to", "430100", "--json"])
        let id = try #require(jsonObject(submitted)["id"] as? String, "\(submitted.stderr)")
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        let archive = try Data(contentsOf: destination.state.appendingPathComponent("inbox/\(id).dva"))
        return (origin, destination, id, SHA256.hex(of: Array(archive)))
    }

    /// Whether `origin` recorded a registration of archive `id` (waiting up to 20 s).
    private func registered(_ id: String, at origin: DaemonProcess) async throws -> Bool {
        try await eventually(seconds: 20) {
            ((try? origin.ctl(["show", id, "--json"])).map(jsonObject)?["completion"] as? [String: Any])?["status"] as? String == "registered"
        }
    }

    @Test func completionNoticesAreTimestampedAndRequiredTokensEnforced() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let (origin, destination, id, digest) = try await pairWithDelivery(mock, seed: 73)

        // A notice without a token: refused, nothing recorded.
        let unstamped = try CompletionNotice(
            archiveId: id, digest: digest, status: .registered, registeredAt: Date(), newPlate: "湘A12345", reasons: []
        ).signed(by: try tsa.pki.identity("430100"))
        let peer = PeerOperations(client: try tsa.pki.client("430100"), trust: try tsa.pki.currentTrust())
        let refused = await peer.sendCompletion(baseURL: try origin.url, peer: PeerIdentity(code: "441800"), id: id, signed: unstamped)
        guard case let .failed(.refused(status, detail)) = refused else { Issue.record("\(refused)"); return }
        #expect(status == 422 && detail.contains("timestamp-missing"), "\(status) \(detail)")
        #expect(jsonObject(try origin.ctl(["show", id, "--json"]))["completion"] == nil)

        // The destination's own notice carries a trusted token, and the origin records it.
        let completed = try destination.ctl(["complete", id, "--registered", "--plate", "湘A12345"])
        #expect(completed.status == 0, "\(completed.stderr)")
        let kept = [UInt8](try Data(contentsOf: destination.state.appendingPathComponent("completions/sent/\(id).p7m")))
        let checked = SignatureCheck.verifyAttached(
            signature: kept, trust: try tsa.pki.trust(), timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true))
        #expect(checked.findings.isEmpty && checked.timestamp?.trusted == true, "\(checked.findings)")
        #expect(try await registered(id, at: origin), "\((try? origin.ctl(["show", id]))?.stdout ?? "")")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// The destination's TSA down when it completes: its notice goes without a token, the origin
    /// refuses it for good (422), and completing again once the TSA answers signs it afresh, with
    /// a token, and it is recorded.
    @Test func aNoticeRefusedForWantOfATokenIsSignedAfreshWhenCompletedAgain() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let (origin, destination, id, _) = try await pairWithDelivery(mock, seed: 75)
        try await mock.setFault("down")
        #expect(try destination.ctl(["complete", id, "--registered", "--plate", "湘A54321"]).status == 0)
        let failed = try await eventually(seconds: 20) {
            ((try? destination.ctl(["show", id, "--json"])).map(jsonObject)?["state"] as? String) == "failed"
        }
        #expect(failed, "\((try? destination.ctl(["show", id]))?.stdout ?? "")")
        try await mock.setFault("none")
        let again = try destination.ctl(["complete", id, "--registered", "--plate", "湘A54321"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await registered(id, at: origin), "\((try? destination.ctl(["show", id]))?.stdout ?? "")")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// A notice whose TSA's chain the origin cannot judge for revocation now (the TSA's CA has
    /// no CRL among the origin's): 503 `try-later`, never refused, so the destination keeps
    /// trying, and the notice is recorded once the origin has that CRL.
    @Test func aNoticeWhoseTSARevocationCannotBeJudgedIsAskedAgain() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let (origin, destination, id, _) = try await pairWithDelivery(mock, seed: 76)
        let otherCA = "\(tsa.pki.other)/ca.pem"
        let mainCRL = try tsa.pki.crl(at: temp.path("main.crl.pem"))
        let originPeers: [DaemonProcess.Peer] = [.init(code: "430100", url: try destination.url)]
        let originTrust = "[timestamp]\ntrust = [\"\(tsa.pki.ca)\", \"\(otherCA)\"]\n"
        try origin.writeConfig(pki: tsa.pki, peers: originPeers, extra: originTrust, tls: "crl = [\"\(mainCRL)\"]")
        try origin.reload()
        // The destination now timestamps with a TSA of the other CA.
        let theirs = try await MockTSAProcess.launch(in: temp, untrusted: true)
        try destination.writeConfig(
            pki: tsa.pki, peers: [.init(code: "441800", url: try origin.url)],
            extra: "[timestamp]\nurl = \"\(theirs.url)\"\ntrust = [\"\(otherCA)\"]\ntimeout = \"3s\"\n")
        try destination.reload()

        #expect(try destination.ctl(["complete", id, "--registered"]).status == 0)
        let kept = destination.state.appendingPathComponent("completions/sent/\(id).p7m").path
        let answer = try run(
            "curl",
            [
                "-sS", "-w", "\n%{http_code}", "--cert", tsa.pki.cert("430100"), "--key", tsa.pki.key("430100"), "--cacert", tsa.pki.ca,
                "-H", "Content-Type: \(PeerProtocol.completionMediaType)", "--data-binary", "@\(kept)",
                "\(try origin.url)\(PeerProtocol.completionPath(id))",
            ])
        #expect(answer.stdout.hasSuffix("\n503") && answer.stdout.contains("try-later"), "\(answer.stdout) \(answer.stderr)")
        #expect(answer.stdout.contains("revocation-unavailable"), "\(answer.stdout)")
        try await Task.sleep(for: .seconds(2))
        let state = (try? destination.ctl(["show", id, "--json"])).map(jsonObject)?["state"] as? String
        #expect(state == "pending", "still being sent, not failed: \(state ?? "none")")

        let otherCRL = try tsa.pki.crl(at: temp.path("other.crl.pem"), caDir: tsa.pki.other)
        try origin.writeConfig(pki: tsa.pki, peers: originPeers, extra: originTrust, tls: "crl = [\"\(mainCRL)\", \"\(otherCRL)\"]")
        try origin.reload()
        #expect(try await registered(id, at: origin), "\((try? destination.ctl(["show", id]))?.stdout ?? "")")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// `[timestamp] required` and the TSA down: a peer asking for a vehicle's archive is told
    /// 503 `timestamp-unavailable` with Retry-After, and gets it once the TSA answers.
    @Test func aPeersRequestWaitsForTheTSA() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, fault: "down")
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
            extra: "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\nrequired = true\ntimeout = \"1s\"\nwait = \"1s\"\n")
        try await origin.start()
        let sample = try SampleDossier.make(in: temp, seed: 74)
        _ = try register(sample, at: origin)
        let ask = { [tsa] in
            try run(
                "curl",
                [
                    "-sS", "-D", "-", "-w", "\n%{http_code}", "--cert", tsa.pki.cert("430100"), "--key", tsa.pki.key("430100"), "--cacert",
                    tsa.pki.ca, "-H", "Content-Type: application/json", "--data",
                    #"{"vin": "\#(sample.vin)", "plate": "\#(sample.plate)"}"#, "\(try origin.url)/v1/requests",
                ])
        }
        let waiting = try ask()
        #expect(waiting.stdout.hasSuffix("\n503"), "\(waiting.stdout) \(waiting.stderr)")
        #expect(
            waiting.stdout.contains("timestamp-unavailable") && waiting.stdout.lowercased().contains("retry-after: 60"), "\(waiting.stdout)"
        )
        let queue = try origin.ctl(["queue", "--json"]).stdout
        #expect((try JSONSerialization.jsonObject(with: Data(queue.utf8)) as? [Any])?.isEmpty == true, "nothing queued: \(queue)")

        // For `wait` after a failure the daemon answers without asking the TSA: asked again until then.
        try await mock.setFault("none")
        var accepted = try ask()
        let deadline = Date().addingTimeInterval(15)
        while accepted.stdout.hasSuffix("\n503"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(300))
            accepted = try ask()
        }
        #expect(accepted.stdout.hasSuffix("\n202") || accepted.stdout.hasSuffix("\n200"), "\(accepted.stdout)")
        #expect(try await origin.stop() == 0)
    }
}
