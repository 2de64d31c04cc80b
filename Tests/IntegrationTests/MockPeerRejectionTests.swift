import DossierArchive
import DossierOutbox
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// A peer's 422 whose signed rejection names the archive's digest in another form than ours:
/// the push keeps the signed rejection and gives the peer's reasons, instead of losing both.
extension ClientAgainstMockPeerTests {
    @Test func aRejectionNamingAnotherDigestIsKeptWithThePeersReasons() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let ops = try operations()
        defer { ops.client.shutdown() }
        var packed = try archive(seed: 87)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: packed.path))
        // A byte in the middle of the first document: the mock rejects the archive.
        let at = try #require(bytes.range(of: Data("data/documents/".utf8))).upperBound + 2048
        bytes[at] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: packed.path))
        packed.sha256 = SHA256.hex(of: bytes)
        try await mock.control("POST", "/faults", json: #"{"wrongDigest": 1}"#)

        let result = await push(ops, mock, packed)
        guard case let .failed(.rejected(detail), rejection?) = result else {
            Issue.record("expected a rejection, got \(result)")
            return
        }
        let signed = try #require(rejection.signed, "the signed rejection was lost")
        #expect(rejection.receipt == nil, "a receipt for another digest was read as this archive's")
        #expect(!rejection.reasons.isEmpty && detail == rejection.reasons.joined(separator: "; "), "\(detail)")
        #expect(rejection.reasons.allSatisfy { $0.contains(": ") }, "\(rejection.reasons)")
        // What was kept is the mock's own signature over a rejection naming the other digest.
        let check = SignatureCheck.verifyAttached(signature: signed, trust: try pki.trust())
        #expect(check.findings.isEmpty && check.signer?.authority == "430100")
        let content = try JSONSerialization.jsonObject(with: Data(try #require(check.content))) as? [String: Any]
        #expect(content?["status"] as? String == "rejected" && content?["digest"] as? String != packed.sha256)
    }
}
