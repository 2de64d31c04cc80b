import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// The report's figures that come from the cases, on two real daemons: packing to completion
/// (a completion notice that went from the destination to the origin), the cases past
/// `[sla] transfer_days` (0 at the origin: every case it has not completed at once is late),
/// and the rejections by reason on both sides (a push the destination rejects).
extension OperatorTests {
    /// 430100 (destination, 64 KiB documents at most) and 441800 (origin, `[sla]
    /// transfer_days = 0`), each knowing the other.
    func slaPair() async throws -> (origin: DaemonProcess, destination: DaemonProcess) {
        let limits = "[limits]\nmax_document_size = \"64KiB\""
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [], extra: limits)
        try await destination.start(notifying: true)
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: try destination.url)],
            extra: "[sla]\ntransfer_days = 0")
        try await origin.start(notifying: true)
        try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: try origin.url)], extra: limits)
        try destination.reload()
        return (origin, destination)
    }

    /// Submits a sample to 430100 and waits until its entry is in `state`; returns its id.
    func submitted(_ origin: DaemonProcess, _ sample: SampleDossier, until state: String) async throws -> String {
        let result = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["id"] as? String)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == state } }
        return id
    }

    @Test func reportGivesCompletionTimesRejectionsAndCasesPastTheSLA() async throws {
        let (origin, destination) = try await slaPair()
        let completed = try await submitted(origin, try SampleDossier.make(in: temp, seed: 61), until: "delivered")
        let open = try await submitted(origin, try SampleDossier.make(in: temp, seed: 62), until: "delivered")
        let large = try SampleDossier.make(in: temp, seed: 63, documents: 2, documentSize: 256 << 10)
        let rejected = try await submitted(origin, large, until: "dead")
        #expect(try destination.ctl(["complete", completed, "--registered"]).status == 0)
        // The notice reaches the origin; the destination logs it sent once the origin answered.
        func completedOn(_ node: DaemonProcess) throws -> Bool {
            try node.ctl([AdminProtocol.Case].self, ["cases"]).contains { $0.archiveId == completed && $0.state == "completed" }
        }
        for _ in 0..<100 where try !(completedOn(origin) && completedOn(destination)) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try completedOn(origin) && completedOn(destination))

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let sent = try decoder.decode(AdminProtocol.Report.self, from: Data(try report(origin, format: "json").stdout.utf8))
        let toCompletion = try #require(sent.sentCompletionLatency, "\(sent)")
        #expect(toCompletion.count == 1 && toCompletion.median > 0 && toCompletion.max < 120, "\(toCompletion)")
        // Packing to completion includes packing to receipt.
        #expect(toCompletion.max >= (sent.sentLatency?.max ?? .infinity), "\(sent)")
        #expect(sent.receivedCompletionLatency == nil && sent.slaDays == 0)
        // Both cases the destination accepted are late; the rejected one has nothing to complete.
        #expect(sent.pastSLA.map(\.archiveId) == [completed, open], "\(sent.pastSLA)")
        #expect(sent.pastSLA.map(\.state) == ["completed", "open"] && sent.pastSLA.allSatisfy { $0.peer == "430100" })
        #expect(sent.pastSLA.first?.completed != nil && sent.pastSLA.last?.completed == nil)
        #expect(!sent.pastSLA.contains { $0.archiveId == rejected })
        let byPeer = try #require(sent.rejectedByPeers.first, "no rejection by reason: \(sent)")
        #expect(sent.rejectedByPeers.count == 1 && byPeer.count == 1 && !byPeer.reason.isEmpty, "\(sent.rejectedByPeers)")

        let received = try decoder.decode(AdminProtocol.Report.self, from: Data(try report(destination, format: "json").stdout.utf8))
        #expect(received.receivedCompletionLatency?.count == 1 && received.sentCompletionLatency == nil, "\(received)")
        // The default SLA (15 days): nothing late at the destination.
        #expect(received.slaDays == 15 && received.pastSLA.isEmpty)
        #expect(received.rejectedByUs == sent.rejectedByPeers, "\(received.rejectedByUs) ≠ \(sent.rejectedByPeers)")

        let text = try report(origin, format: "text").stdout
        for phrase in ["packing to completion", "past the SLA of 0 days  2 cases", "\(open)  → 430100  open", byPeer.reason] {
            #expect(text.contains(phrase), "text report lacks \(phrase):\n\(text)")
        }
        let chinese = try report(origin, format: "text", lang: "zh_CN.UTF-8").stdout
        for phrase in ["封装至办结用时", "超过办理时限（0 天）  2 件", "已办结", "办理中", "对端拒收"] {
            #expect(chinese.contains(phrase), "Chinese report lacks \(phrase):\n\(chinese)")
        }
        let csv = try report(origin, format: "csv").stdout.split(separator: "\n").map(String.init)
        #expect(csv.first == "section,month,peer,reason,sent,received,count,median_s,p95_s,max_s,archive_id,direction,state,days")
        #expect(csv.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 14 }, "\(csv)")
        #expect(csv.contains { $0.hasPrefix("completion-sent,,,,,,1,") }, "\(csv)")
        #expect(csv.contains("rejected-by-peers,,,\(byPeer.reason),,,1,,,,,,,"), "\(csv)")
        #expect(csv.contains { $0.hasPrefix("past-sla,") && $0.contains(",430100,") && $0.contains(",\(open),out,open,") }, "\(csv)")
        let html = try report(origin, format: "html").stdout
        for phrase in ["Packing to completion", "Cases past the SLA of 0 days", completed, open, byPeer.reason] {
            #expect(html.contains(phrase), "HTML report lacks \(phrase)")
        }
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}
