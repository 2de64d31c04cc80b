import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// `CompletionNotice.open`: only the archive's destination's signature over a notice about
/// exactly this archive is taken; the SM2 profile signs and verifies like the default one.
@Suite struct CompletionNoticeTests {
    let pki = TestPKI.shared
    let notice = CompletionNotice(
        archiveId: "0193a5c4-0000-7000-8000-000000000001", digest: String(repeating: "ab", count: 32), status: .registered,
        registeredAt: Date(timeIntervalSince1970: 1_765_000_000), newPlate: "湘A12345", reasons: [])

    private func open(_ signed: [UInt8], destination: String = "430100", id: String? = nil) throws -> Result<
        CompletionNotice, CompletionNotice.Problem
    > {
        let trust = try pki.trust()
        do throws(CompletionNotice.Problem) {
            return .success(
                try CompletionNotice.open(
                    signed, trust: trust, destination: destination, archiveId: id ?? notice.archiveId, digest: notice.digest))
        } catch { return .failure(error) }
    }

    @Test func theDestinationsNoticeOpensAsSigned() throws {
        for identity in [try pki.identity("430100"), try pki.sm2Identity("430100")] {
            #expect(try open(try notice.signed(by: identity)) == .success(notice))
        }
    }

    @Test func anotherSignerArchiveOrGarbageIsRefused() throws {
        let signed = try notice.signed(by: try pki.identity("430100"))
        #expect(try open(signed, destination: "110000") == .failure(.wrongSigner(expected: "110000", actual: "430100")))
        guard case .failure(.wrongArchive) = try open(signed, id: "another-archive") else { Issue.record("another archive taken"); return }
        guard case .failure(.malformed) = try open(Array("not cms".utf8)) else { Issue.record("garbage taken"); return }
        guard case .failure(.badSignature) = try open(try notice.signed(by: try pki.untrustedIdentity("441800")), destination: "441800")
        else {
            Issue.record("untrusted signer taken"); return
        }
        // Signed content that is not a notice.
        guard case .failure(.malformed) = try open(try pki.identity("430100").signAttached(Array("{}".utf8))) else {
            Issue.record("not a notice taken"); return
        }
    }

    @Test func theSameDecisionIsToldApartFromAnother() {
        var later = notice
        later.registeredAt = later.registeredAt.addingTimeInterval(3600)
        #expect(notice.decidesLike(later))
        var refused = notice
        refused.status = .refused
        #expect(!notice.decidesLike(refused))
        var otherPlate = notice
        otherPlate.newPlate = "湘A54321"
        #expect(!notice.decidesLike(otherPlate))
    }
}
