import DossierArchive
import DossierOutbox
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Tampered archives pushed to a real `dossierd` (430100) by an authenticated peer (441800):
/// each is answered 422 with a signed rejection receipt naming the reason, quarantined with a
/// reason file, and nothing reaches the inbox; the sender classifies it as permanent.
@Suite(.serialized) struct HostilePeerTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// A valid archive and its bytes.
    func packed(seed: Int, identity: SigningIdentity? = nil) throws -> (PackResult, Data) {
        let sample = try SampleDossier.make(in: temp, seed: seed)
        let result: PackResult
        if let identity {
            let bag = BagIdentity(origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
                                  schema: "dossier/1", sourceOrganization: "hostile")
            result = try ArchivePacker.pack(dossierDirectory: sample.dir, bag: bag, identity: identity, outputDirectory: temp.url)
        } else {
            result = try DossierPackager.pack(dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
                                             policy: .default, outputDirectory: temp.url)
        }
        return (result, try Data(contentsOf: URL(fileURLWithPath: result.path)))
    }

    @Test func everyTamperingIsRejectedQuarantinedAndPermanent() async throws {
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
        try await destination.start()
        let client = try pki.client()
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())

        var cases: [(name: String, id: String, bytes: Data, reason: String)] = []
        let (a, flipped) = try packed(seed: 91)
        var payloadFlip = flipped
        let documentOffset = try #require(payloadFlip.range(of: Data("documents/".utf8))).upperBound + 2048
        payloadFlip[documentOffset] ^= 0x20
        cases.append(("flipped payload byte", a.id, payloadFlip, "digest-mismatch"))
        let (b, whole) = try packed(seed: 92)
        cases.append(("trailing data", b.id, whole + Data("smuggled".utf8), "trailing-data"))
        let (c, untrusted) = try packed(seed: 93, identity: pki.untrustedIdentity("441800"))
        cases.append(("untrusted CA", c.id, untrusted, "untrusted-signer"))
        let (d, expired) = try packed(seed: 94, identity: pki.expiredIdentity("441800"))
        cases.append(("expired signer", d.id, expired, "expired-signer"))

        for hostile in cases {
            let path = temp.path("hostile-\(hostile.id).dva")
            try hostile.bytes.write(to: URL(fileURLWithPath: path))
            let digest = SHA256.hex(of: [UInt8](hostile.bytes))
            let result = await operations.push(baseURL: try destination.url, peer: PeerIdentity(code: "430100"), id: hostile.id, path: path,
                                               size: UInt64(hostile.bytes.count), digest: digest)
            guard case let .failed(outcome, rejection?) = result, case let .rejected(detail) = outcome else {
                Issue.record("\(hostile.name): expected a rejection, got \(result)")
                continue
            }
            #expect(!outcome.isRetryable)
            #expect(rejection.signed != nil, "\(hostile.name): the rejection receipt did not verify")
            #expect(rejection.receipt?.status == .rejected)
            #expect(rejection.receipt?.reasons.contains { $0.code == hostile.reason } == true, "\(hostile.name): \(detail)")
            let quarantined = destination.state.appendingPathComponent("quarantine/\(hostile.id)")
            #expect(FileManager.default.fileExists(atPath: quarantined.appendingPathComponent("reason.json").path), "\(hostile.name)")
            #expect(!FileManager.default.fileExists(atPath: destination.state.appendingPathComponent("inbox/\(hostile.id).dva").path))
        }
        let inbox = try destination.ctl(["inbox", "--json"])
        let lines = (try JSONSerialization.jsonObject(with: Data(inbox.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(!lines.contains { $0["status"] as? String == "accepted" })
        _ = try await destination.stop()
    }
}
