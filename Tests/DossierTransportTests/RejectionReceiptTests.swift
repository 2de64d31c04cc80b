import DossierArchive
import DossierModel
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// What a sender keeps of a peer's 422 (`Receipt.rejection`): the signed bytes whenever they
/// verify as the receiver's and name no other archive id, whatever else the JSON holds, and the peer's reasons as text whatever
/// their shape; a receipt only when it is one about this exact archive and digest.
@Suite struct RejectionReceiptTests {
    let pki = TestPKI.shared
    let id = "01JEXAMPLE0000000000000000"
    let digest = String(repeating: "ab", count: 32)

    /// A rejection receipt's JSON with `reasons` and `digest` as given, in the receiver's order.
    func json(reasons: String, digest: String? = nil) -> [UInt8] {
        Array(
            """
            {"archiveId":"\(id)","digest":"\(digest ?? self.digest)","reasons":\(reasons),"receivedAt":"2026-12-06T10:00:00Z",\
            "receiver":"430100","sender":"441800","status":"rejected"}
            """.utf8)
    }

    func rejection(_ signed: [UInt8]) throws -> PeerRejection {
        Receipt.rejection(signed, trust: try pki.trust(), receiver: "430100", archiveId: id, digest: digest)
    }

    @Test func plainStringReasonsAreKeptWithTheSignedRejection() throws {
        let signed = try pki.identity("430100").signAttached(json(reasons: #"["digest-mismatch: data/documents/a.pdf","too old"]"#))
        let kept = try rejection(signed)
        #expect(kept.signed.map { $0 == signed } == true, "the signed rejection was not kept")
        #expect(kept.receipt == nil)
        #expect(kept.reasons == ["digest-mismatch: data/documents/a.pdf", "too old"])
    }

    /// Uppercase hex or the RFC 9530 header form instead of the lowercase hex of receipts.
    @Test(arguments: ["AB", "sha-256=:q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=:"])
    func aDigestInAnotherFormKeepsTheSignedRejectionAndItsReasons(form: String) throws {
        let other = form == "AB" ? digest.uppercased() : form
        let signed = try Receipt(
            archiveId: id, digest: other, sender: "441800", receiver: "430100", receivedAt: Date(), status: .rejected,
            reasons: [Finding(.integrity, "digest-mismatch", "data/documents/a.pdf")]
        ).signed(by: pki.identity("430100"))
        let kept = try rejection(signed)
        #expect(kept.signed.map { $0 == signed } == true, "the signed rejection was not kept")
        #expect(kept.receipt == nil)
        #expect(kept.reasons == ["digest-mismatch: data/documents/a.pdf"])
    }

    @Test func aRejectionInTheExactFormIsReadAsAReceipt() throws {
        let signed = try pki.identity("430100").signAttached(
            json(reasons: #"[{"code":"digest-mismatch","detail":"data/documents/a.pdf","property":"integrity"}]"#))
        let kept = try rejection(signed)
        #expect(kept.signed.map { $0 == signed } == true, "the signed rejection was not kept")
        #expect(kept.receipt?.status == .rejected)
        #expect(kept.reasons == ["digest-mismatch: data/documents/a.pdf"])
    }

    /// The receiver's signed rejection of another archive, as a peer could replay it: no
    /// evidence about this one, so nothing is kept (found in review). One naming this id with
    /// another digest is kept (`MockPeerRejectionTests`).
    @Test func aSignedRejectionOfAnotherArchiveIsNotKept() throws {
        let reasons = #"[{"code":"digest-mismatch","detail":"data/documents/a.pdf","property":"integrity"}]"#
        let content = String(decoding: json(reasons: reasons), as: UTF8.self).replacingOccurrences(
            of: id, with: "01JOTHER00000000000000000")
        let kept = try rejection(try pki.identity("430100").signAttached(Array(content.utf8)))
        #expect(kept.signed == nil && kept.receipt == nil && kept.reasons.isEmpty, "\(kept.reasons)")
    }

    /// Another authority's signature, or none: nothing is kept and no reason is taken from the
    /// unproven text.
    @Test func onlyTheReceiversSignatureIsKept() throws {
        let content = json(reasons: #"["made up"]"#)
        for signed in [try pki.identity("441800").signAttached(content), content] {
            let kept = try rejection(signed)
            #expect(kept.signed == nil && kept.receipt == nil && kept.reasons.isEmpty, "\(kept.reasons)")
        }
    }
}
