import DossierTestSupport
import Foundation
import Testing

/// The daemon's own pushes (libcurl, CURL_HTTP_VERSION_2TLS) travel over HTTP/2 when the
/// receiving daemon offers it (`[server] http2 = true`), and over HTTP/1.1 when it does not (the
/// default); the receiver's `dossierd_peer_requests_total{http=…}` shows which.
@Suite(.serialized) struct HTTP2DaemonTests {
    let pki = TestPKI.shared

    @Test(arguments: [true, false])
    func theDaemonsPushesUseHTTP2WhenTheReceiverOffersIt(http2: Bool) async throws {
        let temp = try TempDir()
        let server = http2 ? "http2 = true" : ""
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [], server: server)
        try await destination.start(notifying: true)
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: try destination.url)])
        try await origin.start(notifying: true)
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: try origin.url)], server: server)
        try destination.reload()

        let sample = try SampleDossier.make(in: temp, seed: 43)
        let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }

        let metrics = try run("curl", ["-sS", "--unix-socket", destination.socket, "http://dossierd/metrics"]).stdout
        func count(_ version: String) -> Int {
            metrics.split(separator: "\n").first { $0.hasPrefix("dossierd_peer_requests_total{http=\"\(version)\"}") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        if http2 {
            #expect(count("2") >= 1 && count("1.1") == 0, "\(metrics)")
        } else {
            #expect(count("1.1") >= 1 && count("2") == 0, "\(metrics)")
        }
    }
}
