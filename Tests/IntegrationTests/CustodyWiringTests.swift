import DossierArchive
import DossierCustody
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The custody log in a running daemon (docs/custody-log.md): each side logs its events, the
/// receiver's receipts point at its log under a signed checkpoint, a peer gets consistency
/// proofs between checkpoints it holds, and the logs verify offline afterwards.
@Suite(.serialized) struct CustodyWiringTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test func receiptsPointAtTheReceiversLogAndItsCheckpointsAreConsistent() async throws {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
        try await destination.start()
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: try destination.url)])
        try await origin.start()

        var references: [(id: String, custody: CustodyReference, checkpoint: SignedCheckpoint)] = []
        for seed in [91, 92] {
            let sample = try SampleDossier.make(in: temp, seed: seed)
            let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
            let line = try #require(try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])
            let id = try #require(line["id"] as? String)
            let digest = try #require(line["digest"] as? String ?? line["sha256"] as? String)
            _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
            let signed = [UInt8](try Data(contentsOf: origin.state.appendingPathComponent("receipts/\(id).receipt.p7m")))
            let receipt = try Receipt.open(signed, trust: try pki.trust(), receiver: "430100", archiveId: id, digest: digest)
            let custody = try #require(receipt.custody, "the receipt carries no custody reference")
            let checkpoint = try SignedCheckpoint(
                statement: [UInt8](try #require(Data(base64Encoded: custody.checkpoint))),
                signature: [UInt8](try #require(Data(base64Encoded: custody.signature))))
            #expect(checkpoint.signatureFault(trust: try pki.trust()) == nil)
            #expect(checkpoint.checkpoint.authority == "430100")
            #expect(checkpoint.checkpoint.treeSize == custody.treeSize && custody.treeSize > custody.leafIndex)
            references.append((id, custody, checkpoint))
        }
        let (first, second) = (references[0].checkpoint.checkpoint, references[1].checkpoint.checkpoint)
        #expect(first.treeSize < second.treeSize)

        // The origin asks the destination to prove its second checkpoint extends the first.
        let answer = try await consistency(destination, from: first.treeSize, to: second.treeSize)
        #expect(answer.status == 200)
        let proof = try JSONDecoder().decode(PeerProtocol.ConsistencyProof.self, from: Data(answer.body))
        let hashes = proof.proof.compactMap(TreeHash.init(hex:))
        #expect(hashes.count == proof.proof.count)
        #expect(
            MerkleTree.verifyConsistency(
                oldSize: first.treeSize, newSize: second.treeSize, oldRoot: first.rootHash, newRoot: second.rootHash, proof: hashes))
        #expect(try await consistency(destination, from: 2, to: 1_000_000).status == 400)
        #expect(try await consistency(destination, from: 0, to: 1).status == 400)

        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)

        // Both logs verify offline; the origin's holds packed, sent and receiptKept for each.
        for node in [origin, destination] {
            let verified = try dossierctl(["audit", "verify", "--state", node.state.path, "--trust", pki.ca])
            #expect(verified.status == 0, "\(node.code): \(verified.stdout) \(verified.stderr)")
        }
        let proved = try dossierctl(["audit", "prove", references[0].id, "--state", origin.state.path])
        #expect(proved.status == 0, "\(proved.stderr)")
        for kind in ["packed", "sent", "receiptKept"] { #expect(proved.stdout.contains("\"\(kind)\""), "\(kind): \(proved.stdout)") }
        let received = try dossierctl(["audit", "prove", references[0].id, "--state", destination.state.path])
        #expect(received.stdout.contains("\"received\""), "\(received.stdout)")
    }

    /// Consistency proofs are computed one at a time (found in review: each may hash the whole
    /// log on the blocking pool, which also verifies and stores every peer's uploads): while one
    /// is held at the `proving` pause, another gets 503 `busy` + `Retry-After`.
    @Test func consistencyProofsAreComputedOneAtATime() async throws {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
        try await destination.start(environment: ["DOSSIERD_TEST_PAUSE_AT": "proving"])
        async let first = consistency(destination, from: 1, to: 1)
        let deadline = Date().addingTimeInterval(20)
        while !destination.log.contains("test pause") && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(destination.log.contains("step=proving"), "\(destination.log.suffix(1000))")
        let second = try await consistency(destination, from: 1, to: 1)
        #expect(second.status == 503, "\(String(decoding: second.body, as: UTF8.self))")
        #expect(String(decoding: second.body, as: UTF8.self).contains("\"busy\""))
        _ = try await destination.stop(signal: SIGKILL)
        _ = try await first
    }

    /// `GET /v1/audit/consistency` as authority 441800.
    private func consistency(_ daemon: DaemonProcess, from: UInt64, to: UInt64) async throws -> (status: Int, body: [UInt8]) {
        let body = temp.path("consistency-\(UUID().uuidString)")
        let result = try await runDetached(
            "curl",
            [
                "-sS", "-o", body, "-w", "%{http_code}", "--cert", pki.cert("441800"), "--key", pki.key("441800"), "--cacert", pki.ca,
                "\(try daemon.url)\(PeerProtocol.consistencyPath)?from=\(from)&to=\(to)",
            ])
        return (Int(result.stdout) ?? 0, [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: body))) ?? Data()))
    }
}
