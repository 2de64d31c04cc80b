import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// What operators read from two real daemons after a delivery: the alerting metrics on the
/// TCP metrics listener, each peer's last delivery, and `dossierctl report` in every format.
@Suite(.serialized) struct OperatorTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// 430100 (destination) and 441800 (origin, metrics on 127.0.0.1 port 0); one archive
    /// delivered by `submit`, one dossier refused at the origin's intake.
    func deliveredPair() async throws -> (origin: DaemonProcess, destination: DaemonProcess, id: String) {
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [])
        try await destination.start(notifying: true)
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: try destination.url)],
            admin: "metrics_listen = \"127.0.0.1:0\"")
        try await origin.start(notifying: true)
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: try origin.url)])
        try destination.reload()

        let sample = try SampleDossier.make(in: temp, seed: 41)
        let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String)
        let refused = try SampleDossier.make(in: temp, seed: 42, ineligible: "unsettled-violations")
        let intake = origin.state.appendingPathComponent("intake/430100")
        try FileManager.default.moveItem(at: refused.dir, to: intake.appendingPathComponent("refused"))
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        // The refused folder is moved aside first, its reason.txt written next.
        let failed = origin.state.appendingPathComponent("intake/failed")
        func reasonWritten() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: failed.path)) ?? []).contains {
                FileManager.default.fileExists(atPath: failed.appendingPathComponent($0).appendingPathComponent("reason.txt").path)
            }
        }
        for _ in 0..<100 where !reasonWritten() { try await Task.sleep(for: .milliseconds(100)) }
        return (origin, destination, id)
    }

    /// The port the origin's metrics listener bound, from its `metrics listening` log line.
    func metricsPort(_ node: DaemonProcess) async throws -> Int {
        for _ in 0..<100 {
            if let line = node.log.split(separator: "\n").first(where: { $0.contains("metrics listening") }),
                let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }), let port = Int(field.dropFirst(5))
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError.timeout("no metrics listening line in\n\(node.log)")
    }

    /// Today ± one day in this process's time zone (the daemon's), as YYYY-MM-DD.
    func day(_ offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let date = calendar.date(byAdding: .day, value: offset, to: Date()) ?? Date()
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    func report(_ node: DaemonProcess, format: String, lang: String = "C.UTF-8") throws -> ProcessResult {
        try node.ctl(["report", "--from", day(-1), "--to", day(1), "--format", format], environment: environment(lang: lang))
    }

    @Test func metricsListenerServesFreshAlertingGauges() async throws {
        let (origin, destination, _) = try await deliveredPair()
        // Only the TCP listener is read: it must sample the queue itself.
        let port = try await metricsPort(origin)
        let text = try run("curl", ["-sS", "http://127.0.0.1:\(port)/metrics"]).stdout
        /// The value of the series named exactly `series` (name and labels).
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("dossierd_queue_depth{state=\"delivered\"}") == 1, "\(text)")
        #expect(value("dossierd_queue_oldest_waiting_seconds") == 0)
        #expect(value("dossierd_peer_queue_depth{peer=\"430100\",state=\"delivered\"}") == 1, "\(text)")
        #expect(value("dossierd_peer_queue_depth{peer=\"430100\",state=\"queued\"}") == 0)
        #expect(value("dossierd_inbox_archives{status=\"accepted\"}") == 0)
        let received = try run("curl", ["-sS", "--unix-socket", destination.socket, "http://dossierd/metrics"]).stdout
        let accepted = received.split(separator: "\n").first { $0.hasPrefix("dossierd_inbox_archives{status=\"accepted\"} ") }
        #expect(accepted.flatMap { Double($0.split(separator: " ").last ?? "") } == 1, "\(received)")
        #expect(value("dossierd_peer_circuit_open{peer=\"430100\"}") == 0)
        #expect(value("dossierd_disk_reserve_bytes") == 1_073_741_824)
        #expect((value("dossierd_disk_free_bytes") ?? 0) > 0)
        let tls = try #require(value("dossierd_certificate_expiry_seconds{certificate=\"tls\"}"))
        #expect(tls > 0 && tls < 3 * 366 * 86400, "the test certificate's remaining life: \(tls)")
        #expect(text.contains("dossierd_certificate_expiry_seconds{certificate=\"anchor "), "\(text)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    @Test func peersShowTheLastDeliveryAndReceipt() async throws {
        let (origin, destination, _) = try await deliveredPair()
        let sent = try #require(try origin.ctl([AdminProtocol.PeerStatus].self, ["peers"]).first)
        #expect(sent.code == "430100" && sent.lastSuccess != nil && sent.lastReceived == nil)
        let originURL = try origin.url
        let received = try #require(try destination.ctl([AdminProtocol.PeerStatus].self, ["peers"]).first)
        #expect(received.code == "441800" && received.url == originURL && received.lastSuccess == nil)
        #expect(received.lastReceived != nil)
        let line = try origin.ctl(["peers"]).stdout
        #expect(line.contains("last delivered 20"), "\(line)")
        #expect(try destination.ctl(["peers"]).stdout.contains("last delivered never  last received 20"))
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    @Test func reportCountsSentReceivedAndRefusedInEveryFormat() async throws {
        let (origin, destination, _) = try await deliveredPair()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let sent = try decoder.decode(AdminProtocol.Report.self, from: Data(try report(origin, format: "json").stdout.utf8))
        #expect(sent.authority == "441800" && sent.timeZone == TimeZone.current.identifier)
        #expect(sent.cells.map(\.peer) == ["430100"] && sent.cells.map(\.sent) == [1] && sent.cells.map(\.received) == [0])
        let latency = try #require(sent.sentLatency)
        // From the outbox entry's times (microseconds): a real, positive duration.
        #expect(latency.count == 1 && latency.median > 0 && latency.median < 60, "\(latency)")
        #expect(latency.median == latency.max && latency.p95 == latency.max)
        #expect(sent.receivedLatency == nil && sent.rejectedByUs.isEmpty && sent.rejectedByPeers.isEmpty)
        #expect(sent.intakeRefusals.map(\.reason) == ["unsettled-violations"])

        let received = try decoder.decode(AdminProtocol.Report.self, from: Data(try report(destination, format: "json").stdout.utf8))
        #expect(received.byPeer.map(\.peer) == ["441800"] && received.byPeer.map(\.received) == [1])
        #expect(received.receivedLatency?.count == 1 && received.sentLatency == nil)

        let text = try report(origin, format: "text")
        #expect(text.status == 0 && text.stdout.contains("by month") && text.stdout.contains("unsettled-violations"), "\(text.stdout)")
        let chinese = try report(origin, format: "text", lang: "zh_CN.UTF-8")
        #expect(chinese.stdout.contains("按月") && chinese.stdout.contains("unsettled-violations"), "\(chinese.stdout)")
        #expect(try report(destination, format: "html", lang: "zh_CN.UTF-8").stdout.contains("<html lang=\"zh-CN\">"))
        let csv = try report(origin, format: "csv").stdout.split(separator: "\n")
        #expect(csv.first == "section,month,peer,reason,sent,received,count,median_s,p95_s,max_s,archive_id,direction,state,days")
        #expect(csv.contains { $0.hasPrefix("month-peer,") && $0.contains(",430100,,1,0,") }, "\(csv)")
        #expect(csv.contains("intake-refusal,,,unsettled-violations,,,1,,,,,,,"))
        let html = try report(destination, format: "html").stdout
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("441800"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="), "self-contained")

        // Empty period: no figures, still an answer.
        let empty = try origin.ctl(["report", "--from", "2001-01-01", "--to", "2001-01-31", "--format", "json"])
        let nothing = try decoder.decode(AdminProtocol.Report.self, from: Data(empty.stdout.utf8))
        #expect(nothing.cells.isEmpty && nothing.sentLatency == nil && nothing.intakeRefusals.isEmpty)
        // Not a date: usage (2); a period ending before it starts: the daemon refuses (1).
        #expect(try origin.ctl(["report", "--from", "yesterday", "--to", day(0)]).status == 2)
        let reversed = try origin.ctl(["report", "--from", day(1), "--to", day(-1)])
        #expect(reversed.status == 1 && reversed.stderr.contains("before it starts"), "\(reversed.stderr)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
