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

    private func json(_ result: ProcessResult) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]) ?? [:]
    }

    /// The origin's registry holds the vehicle of `sample` (a registration then changes it).
    private func register(_ sample: SampleDossier, at node: DaemonProcess) throws -> URL {
        let folder = node.state.appendingPathComponent("registry/\(sample.vin)")
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: folder)
        return folder
    }

    /// 430100 timestamps with the mock TSA; 441800 requires timestamps on what it receives.
    @Test func completionNoticesAreTimestampedAndRequiredTokensEnforced() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
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

        let sample = try SampleDossier.make(in: temp, seed: 73)
        let submitted = try origin.ctl(["submit", try register(sample, at: origin).path, "--to", "430100", "--json"])
        let id = try #require(json(submitted)["id"] as? String, "\(submitted.stderr)")
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        let archive = try Data(contentsOf: destination.state.appendingPathComponent("inbox/\(id).dva"))
        let digest = SHA256.hex(of: Array(archive))

        // A notice without a token: refused, nothing recorded.
        let unstamped = try CompletionNotice(
            archiveId: id, digest: digest, status: .registered, registeredAt: Date(), newPlate: "湘A12345", reasons: []
        ).signed(by: try tsa.pki.identity("430100"))
        let peer = PeerOperations(client: try tsa.pki.client("430100"), trust: try tsa.pki.currentTrust())
        let refused = await peer.sendCompletion(baseURL: try origin.url, peer: PeerIdentity(code: "441800"), id: id, signed: unstamped)
        guard case let .failed(.refused(status, detail)) = refused else { Issue.record("\(refused)"); return }
        #expect(status == 422 && detail.contains("timestamp-missing"), "\(status) \(detail)")
        #expect(json(try origin.ctl(["show", id, "--json"]))["completion"] == nil)

        // The destination's own notice carries a trusted token, and the origin records it.
        let completed = try destination.ctl(["complete", id, "--registered", "--plate", "湘A12345"])
        #expect(completed.status == 0, "\(completed.stderr)")
        let kept = [UInt8](try Data(contentsOf: destination.state.appendingPathComponent("completions/sent/\(id).p7m")))
        let checked = SignatureCheck.verifyAttached(
            signature: kept, trust: try tsa.pki.trust(), timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true))
        #expect(checked.findings.isEmpty && checked.timestamp?.trusted == true, "\(checked.findings)")
        let recorded = try await eventually(seconds: 20) {
            ((try? origin.ctl(["show", id, "--json"])).map(json)?["completion"] as? [String: Any])?["status"] as? String == "registered"
        }
        #expect(recorded, "\((try? origin.ctl(["show", id]))?.stdout ?? "")")
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
