import DossierTestSupport
import Foundation
import Testing

/// A TSA outage delays, never drops (issue 14): 50 dossiers dropped into intake while the
/// required TSA is down all wait in intake, and once it answers all 50 are delivered, once each.
@Suite(.serialized) struct TimestampOutageTests {
    let temp: TempDir
    let tsa = TimestampPKI.shared

    init() throws { temp = try TempDir() }

    @Test func fiftyDossiersQueuedDuringATSAOutageAreAllDeliveredOnce() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, fault: "down")
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: tsa.pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
        try await destination.start()
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: try destination.url)],
            extra: "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\nrequired = true\ntimeout = \"1s\"\nwait = \"1s\"\n")
        try await origin.start()

        let samples = temp.url.appendingPathComponent("fifty")
        let made = try dossierctl([
            "sample", "--out", samples.path, "--count", "50", "--seed", "500", "--documents", "2", "--document-size", "1024",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let intake = origin.state.appendingPathComponent("intake/430100")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).sorted()
        #expect(names.count == 50)
        for name in names {
            try FileManager.default.moveItem(at: samples.appendingPathComponent(name), to: intake.appendingPathComponent(name))
        }

        // Down: every folder waits where it is; nothing is refused, queued or lost.
        try await Task.sleep(for: .seconds(4))
        #expect(try FileManager.default.contentsOfDirectory(atPath: intake.path).count == 50)
        let failed = (try? FileManager.default.contentsOfDirectory(atPath: origin.state.appendingPathComponent("intake/failed").path)) ?? []
        #expect(failed.isEmpty, "\(failed)")

        // Back: all 50 are packed with a token and delivered, once each.
        try await mock.setFault("none")
        let lines = try await origin.waitForQueue(timeout: 180) { lines in
            lines.count == 50 && lines.allSatisfy { $0["state"] as? String == "delivered" }
        }
        #expect(Set(lines.compactMap { $0["id"] as? String }).count == 50)
        let inbox = try JSONSerialization.jsonObject(with: Data(try destination.ctl(["inbox", "--json"]).stdout.utf8)) as? [[String: Any]]
        #expect(inbox?.count == 50 && inbox?.allSatisfy { $0["status"] as? String == "accepted" } == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: intake.path).isEmpty)
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
