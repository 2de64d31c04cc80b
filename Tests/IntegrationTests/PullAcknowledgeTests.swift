import DossierAdmin
import DossierArchive
import DossierModel
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// `POST /v1/archives/{id}/receipt` is idempotent (docs/protocol.md): the puller whose 204 got
/// lost sends the same signed receipt again and gets 204 again, while a contradicting receipt
/// for an archive already decided is refused.
extension TwoDaemonTests {
    @Test func aPulledArchiveAcknowledgedAgainAnswers204Again() async throws {
        let (origin, destination) = try await pair(pull: true)
        let id = try submit(origin, seed: 43)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        let delivered = try origin.ctl(AdminProtocol.EntryDetail.self, ["show", id])
        #expect(delivered.entry.state == "delivered")
        let kept = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try #require(delivered.receiptPath))))

        // The destination's own receipt, as it sent it, twice more: 204 each time, nothing changes.
        let puller = PeerOperations(client: try pki.client("430100"), trust: try pki.currentTrust())
        defer { puller.client.shutdown() }
        let originPeer = PeerIdentity(code: "441800")
        for _ in 0..<2 {
            try await puller.acknowledge(baseURL: try origin.url, peer: originPeer, id: id, signedReceipt: kept)
        }
        let after = try origin.ctl(AdminProtocol.EntryDetail.self, ["show", id])
        #expect(after.entry.state == "delivered" && after.history.count == delivered.history.count, "\(after.history)")

        // A rejection of the same archive by the same puller, signed: refused, the archive stays delivered.
        let rejection = try Receipt(
            archiveId: id, digest: delivered.digest, sender: "441800", receiver: "430100", receivedAt: Date(),
            status: .rejected, reasons: [Finding(.integrity, "digest-mismatch", "changed its mind")]
        ).signed(by: pki.identity("430100"))
        do {
            try await puller.acknowledge(baseURL: try origin.url, peer: originPeer, id: id, signedReceipt: rejection)
            Issue.record("a rejection of a delivered archive was taken")
        } catch let failure as PeerOperations.Failure {
            #expect(failure.status == 422 && failure.detail.contains("already delivered"), "\(failure)")
        }
        #expect(try origin.ctl(AdminProtocol.EntryDetail.self, ["show", id]).entry.state == "delivered")
        _ = try await origin.stop()
        _ = try await destination.stop()
    }
}
