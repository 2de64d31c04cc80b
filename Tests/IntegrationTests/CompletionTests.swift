import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The completion notice (docs/protocol.md, `POST /v1/archives/{id}/completion`) between two real
/// daemons: 441800 (origin, with 110000 as a second, unreachable peer) and 430100 (destination).
@Suite(.serialized) struct CompletionTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// Submits `folder` to 430100 and waits until it is delivered; returns the archive id.
    private func deliver(_ folder: URL, from origin: DaemonProcess) async throws -> String {
        let submitted = try origin.ctl(["submit", folder.path, "--to", "430100", "--json"])
        let id = try #require(jsonObject(submitted)["id"] as? String, "\(submitted.stderr)")
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        return id
    }

    /// The completion `show --json` reports for `id` on `node` (nested in the entry at the
    /// origin, alone at the destination).
    private func completion(_ node: DaemonProcess, _ id: String) throws -> [String: Any]? {
        let shown = jsonObject(try node.ctl(["show", id, "--json"]))
        return (shown["completion"] as? [String: Any]) ?? (shown["archiveId"] == nil ? nil : shown)
    }

    /// `<status> <code>` of a notice the origin refused; nil when it was recorded or got no answer.
    private func refusal(_ delivery: CompletionDelivery) -> String? {
        guard case let .failed(.refused(status, detail)) = delivery else { return nil }
        return "\(status) \(detail.prefix { $0 != ":" })"
    }

    /// The state `cases --json` gives archive `id`'s case on `node`.
    private func caseState(_ node: DaemonProcess, _ id: String) throws -> String? {
        let cases = (try JSONSerialization.jsonObject(with: Data(try node.ctl(["cases", "--json"]).stdout.utf8)) as? [[String: Any]]) ?? []
        return cases.first { $0["archiveId"] as? String == id }?["state"] as? String
    }

    /// Another dossier of the same vehicle (other documents), for `destination`.
    private func sameVehicle(seed: Int, destination: String) throws -> SampleDossier {
        try SampleDossier.make(in: temp, seed: seed, documents: 7, documentSize: 4096, destination: destination)
    }

    @Test func aRegistrationMarksTheVehicleTransferredOutAndClosesItsCase() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let sample = try SampleDossier.make(in: temp, seed: 71)
        let folder = origin.state.appendingPathComponent("registry/\(sample.vin)")
        try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: folder)
        let id = try await deliver(folder, from: origin)

        #expect(try destination.ctl(["complete", "no-such-archive", "--registered"]).status == 1)
        let completed = try destination.ctl(["complete", id, "--registered", "--plate", "湘A12345"])
        #expect(completed.status == 0, "\(completed.stderr)")
        #expect(
            try await eventually(seconds: 20) { (try? completion(destination, id))?["state"] as? String == "delivered" },
            "\((try? destination.ctl(["show", id]))?.stdout ?? "")")
        let received = try #require(try completion(origin, id))
        #expect(received["status"] as? String == "registered" && received["newPlate"] as? String == "湘A12345", "\(received)")
        #expect(received["role"] as? String == "received")

        // The registry holds the vehicle as transferred out, the rest of its record unchanged.
        let record = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("dossier.json"))) as? [String: Any])
        #expect((record["registration"] as? [String: Any])?["status"] as? String == "B", "\(record)")
        let history = (record["history"] as? [[String: Any]]) ?? []
        #expect(history.contains { $0["event"] as? String == "transfer-out" && $0["office"] as? String == "430100" }, "\(history)")
        #expect((record["vehicle"] as? [String: Any])?["vin"] as? String == sample.vin)

        // The case stays closed: another dossier of the vehicle, to anyone, is refused naming the completion.
        let again = try sameVehicle(seed: 71, destination: "110000")
        let refused = try origin.ctl(["submit", again.dir.path, "--to", "110000"])
        #expect(refused.status == 1, "\(refused.stdout)")
        #expect(refused.stderr.contains("already-transferred") && refused.stderr.contains(id), "\(refused.stderr)")
        #expect(refused.stderr.contains("registered there"), "names the completion: \(refused.stderr)")

        // Idempotent: the same decision again is "already completed"; another is refused.
        let same = try destination.ctl(["complete", id, "--registered", "--plate", "湘A12345"])
        #expect(same.status == 0 && same.stdout.contains("already completed"), "\(same.stdout) \(same.stderr)")
        let other = try destination.ctl(["complete", id, "--refused", "--reason", "changed my mind"])
        #expect(other.status == 1 && other.stderr.contains("already completed as registered"), "\(other.stderr)")
        // At the origin: the same signed notice again is 200, another decision 409.
        let destinationPeer = PeerOperations(client: try pki.client("430100"), trust: try pki.currentTrust())
        let kept = try [UInt8](Data(contentsOf: destination.state.appendingPathComponent("completions/sent/\(id).p7m")))
        let resent = await destinationPeer.sendCompletion(baseURL: try origin.url, peer: PeerIdentity(code: "441800"), id: id, signed: kept)
        guard case let .recorded(recorded, again) = resent else { Issue.record("\(resent)"); return }
        #expect(again && recorded.status == .registered)
        let digest = try #require(received["digest"] as? String)
        let changed = try CompletionNotice(
            archiveId: id, digest: digest, status: .refused, registeredAt: Date(), newPlate: nil, reasons: ["changed"]
        ).signed(by: try pki.identity("430100"))
        let conflicting = await destinationPeer.sendCompletion(
            baseURL: try origin.url, peer: PeerIdentity(code: "441800"), id: id, signed: changed)
        #expect(refusal(conflicting) == "409 completion-conflict", "\(conflicting)")
        #expect(try completion(origin, id)?["status"] as? String == "registered")
        #expect(origin.log.contains("completion received") && destination.log.contains("completion delivered"))
        #expect(try caseState(origin, id) == "completed" && caseState(destination, id) == "completed")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)

        // The custody logs hold the completion on each side, once.
        let atOrigin = try dossierctl(["audit", "prove", id, "--state", origin.state.path]).stdout
        for kind in ["completionReceived", "transferredOut"] {
            #expect(atOrigin.components(separatedBy: "\"\(kind)\"").count == 2, "\(kind): \(atOrigin)")
        }
        let atDestination = try dossierctl(["audit", "prove", id, "--state", destination.state.path]).stdout
        #expect(atDestination.components(separatedBy: "\"completionSent\"").count == 2, "\(atDestination)")
    }

    @Test func aRefusalReopensTheCaseForANewTransfer() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let sample = try SampleDossier.make(in: temp, seed: 72)
        let id = try await deliver(sample.dir, from: origin)
        let elsewhere = try sameVehicle(seed: 72, destination: "110000")
        let before = try origin.ctl(["submit", elsewhere.dir.path, "--to", "110000"])
        #expect(before.status == 1 && before.stderr.contains("already-transferred"), "delivered, awaiting completion: \(before.stderr)")

        #expect(try destination.ctl(["complete", id, "--refused"]).status == 2, "--refused needs a reason")
        let refused = try destination.ctl(["complete", id, "--refused", "--reason", "the buyer withdrew"])
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(try await eventually(seconds: 20) { (try? completion(origin, id))?["status"] as? String == "refused" })
        #expect((try completion(origin, id)?["reasons"] as? [String]) == ["the buyer withdrew"])
        #expect(try caseState(origin, id) == "refused")

        let after = try origin.ctl(["submit", elsewhere.dir.path, "--to", "110000", "--json"])
        #expect(after.status == 0, "the case is open again: \(after.stderr)")
        #expect(jsonObject(after)["id"] as? String != id)
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    @Test func aNoticeNotSignedByTheDestinationIsRefusedAndNothingRecorded() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let sample = try SampleDossier.make(in: temp, seed: 73)
        let id = try await deliver(sample.dir, from: origin)
        let digest = try #require(jsonObject(try origin.ctl(["show", id, "--json"]))["digest"] as? String)
        let notice = CompletionNotice(
            archiveId: id, digest: digest, status: .registered, registeredAt: Date(), newPlate: nil, reasons: [])
        let forged = try notice.signed(by: try pki.identity("110000"))
        let trust = try pki.currentTrust()
        let url = try origin.url
        let originPeer = PeerIdentity(code: "441800")

        // 110000 is a peer of the origin, but the archive was not sent to it.
        let third = PeerOperations(client: try pki.client("110000"), trust: trust)
        let byThird = await third.sendCompletion(baseURL: url, peer: originPeer, id: id, signed: forged)
        #expect(refusal(byThird) == "403 forbidden", "\(byThird)")
        // The destination's connection carrying a notice signed by someone else.
        let carried = PeerOperations(client: try pki.client("430100"), trust: trust)
        let relayed = await carried.sendCompletion(baseURL: url, peer: originPeer, id: id, signed: forged)
        #expect(refusal(relayed) == "403 wrong-signer", "\(relayed)")
        // Signed by the destination, but not about this archive as it was sent: another digest
        // (an archive altered on the way, or another packing), or another archive's id.
        for (archive, claimed) in [(id, String(digest.reversed())), ("another-archive", digest)] {
            let mismatched = try CompletionNotice(
                archiveId: archive, digest: claimed, status: .registered, registeredAt: Date(), newPlate: nil, reasons: []
            ).signed(by: try pki.identity("430100"))
            let answer = await carried.sendCompletion(baseURL: url, peer: originPeer, id: id, signed: mismatched)
            #expect(refusal(answer) == "422 bad-completion", "\(archive) \(claimed): \(answer)")
        }
        // Garbage, and an archive never sent.
        let garbage = await carried.sendCompletion(baseURL: url, peer: originPeer, id: id, signed: Array("not cms".utf8))
        #expect(refusal(garbage) == "422 bad-completion", "\(garbage)")
        let unknown = await carried.sendCompletion(baseURL: url, peer: originPeer, id: "unknown-archive", signed: forged)
        #expect(refusal(unknown) == "404 not-found", "\(unknown)")

        #expect(try completion(origin, id) == nil)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: origin.state.appendingPathComponent("completions/received").path).isEmpty)
        #expect(try origin.ctl(["submit", try sameVehicle(seed: 73, destination: "110000").dir.path, "--to", "110000"]).status == 1)
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    @Test func aNoticeCompletedWhileTheOriginIsDownIsDeliveredWhenItIsBack() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let sample = try SampleDossier.make(in: temp, seed: 74)
        let id = try await deliver(sample.dir, from: origin)
        #expect(try await origin.stop() == 0)

        #expect(try destination.ctl(["complete", id, "--registered"]).status == 0)
        #expect(try await eventually(seconds: 10) { ((try? completion(destination, id))?["attempts"] as? Int ?? 0) >= 2 })
        #expect(jsonObject(try destination.ctl(["status", "--json"]))["completionsUndelivered"] as? Int == 1)
        #expect(try destination.ctl(["status"]).stdout.contains("completions not yet delivered 1"))
        let metrics = try run("curl", ["-s", "--unix-socket", destination.socket, "http://dossierd/metrics"]).stdout
        let gauge = metrics.split(separator: "\n").first { $0.hasPrefix("dossierd_completions_undelivered ") }
        #expect(gauge.flatMap { Double($0.split(separator: " ").last ?? "") } == 1, "\(metrics)")

        try await origin.start(notifying: true)
        try point(destination, at: origin, pki: pki)
        #expect(
            try await eventually(seconds: 20) { (try? completion(destination, id))?["state"] as? String == "delivered" },
            "\((try? destination.ctl(["show", id]))?.stdout ?? "")")
        #expect(try completion(origin, id)?["status"] as? String == "registered")
        #expect(jsonObject(try destination.ctl(["status", "--json"]))["completionsUndelivered"] as? Int == 0)
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
