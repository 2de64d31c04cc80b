import DossierTestSupport
import Foundation
import Testing

/// A receipt's timestamp token is judged like an archive's (docs/archive-format.md
/// "Timestamp"): an origin that trusts TSAs does not take a receipt whose token comes from a TSA
/// it does not trust as proof of delivery; it retries, and says why.
@Suite(.serialized) struct ReceiptTimestampTests {
    let temp: TempDir
    let tsa = TimestampPKI.shared

    init() throws { temp = try TempDir() }

    @Test func aReceiptStampedByAnUntrustedTSAIsNoProofOfDelivery() async throws {
        let untrusted = try await MockTSAProcess.launch(in: temp, untrusted: true)
        let trusted = try await MockTSAProcess.launch(in: temp)
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: tsa.pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
            extra: "[timestamp]\nurl = \"\(untrusted.url)\"\n")
        try await destination.start()
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: try destination.url)],
            extra: "[timestamp]\nurl = \"\(trusted.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\n")
        try await origin.start()
        let sample = try SampleDossier.make(in: temp, seed: 47)
        #expect(try origin.ctl(["submit", sample.dir.path, "--to", "430100"]).status == 0)
        let lines = try await origin.waitForQueue { lines in
            lines.contains { ($0["attempts"] as? Int ?? 0) >= 2 && ($0["lastError"] as? String)?.contains("timestamp-untrusted") == true }
        }
        #expect(lines.allSatisfy { $0["state"] as? String != "delivered" && $0["state"] as? String != "dead" }, "\(lines)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
