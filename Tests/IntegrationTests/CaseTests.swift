import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// `dossierctl cases` on two real daemons (docs/architecture.md, "Cases and history"): a transfer is a case on both
/// sides with its steps, `show` and `cases` keep a delivered archive after the journal
/// compaction forgot it, and `[sla] transfer_days` flags open cases in `status` and metrics.
extension TwoDaemonTests {
    @Test func aRequestedTransferIsACaseOnBothSidesAndOutlivesCompaction() async throws {
        let (origin, destination) = try await pair(originExtra: "compaction = \"500ms\"")
        let sample = try SampleDossier.make(in: temp, seed: 71)
        let registry = origin.state.appendingPathComponent("registry")
        try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: registry.appendingPathComponent(sample.vin))
        let asked = try destination.ctl(
            AdminProtocol.RequestAccepted.self, ["request", "--from", "441800", "--vin", sample.vin, "--plate", sample.plate])
        let id = try #require(asked.archiveId)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }

        // The origin: an open outgoing case with every step it sees, in order.
        let out = try #require(try origin.ctl([AdminProtocol.Case].self, ["cases"]).first { $0.archiveId == id })
        #expect(out.direction == "out" && out.peer == "430100" && out.vin == sample.vin && out.state == "open" && !out.overdue)
        let outSteps = [out.requested, out.packed, out.sent, out.received, out.verified].compactMap { $0 }
        #expect(outSteps.count == 5 && outSteps == outSteps.sorted() && out.completed == nil, "\(out)")
        // The destination: the incoming case, its VIN and request time from its own request.
        let into = try #require(try destination.ctl([AdminProtocol.Case].self, ["cases", "--open"]).first)
        #expect(into.archiveId == id && into.direction == "in" && into.peer == "441800" && into.vin == sample.vin, "\(into)")
        #expect(into.requested != nil && into.received != nil && into.verified != nil && into.packed == nil && into.state == "open")
        #expect(try destination.ctl([AdminProtocol.Case].self, ["cases", "--peer", "450100"]).isEmpty)
        #expect(try destination.ctl([AdminProtocol.Case].self, ["cases", "--peer", "441800"]).count == 1)
        let chinese = try origin.ctl(["cases"], environment: environment(lang: "zh_CN.UTF-8"))
        #expect(
            chinese.stdout.contains(sample.vin) && chinese.stdout.contains("办理中") && chinese.stdout.contains("验证 +"), "\(chinese.stdout)")
        let english = try origin.ctl(["cases", "--open"], environment: environment(lang: "C.UTF-8"))
        #expect(english.stdout.contains("→ 430100  open") && english.stdout.contains("completed -"), "\(english.stdout)")

        // A second delivery to the same destination: compaction then forgets the first.
        let second = try submit(origin, seed: 72)
        let deadline = Date().addingTimeInterval(30)
        var queue = try origin.ctl([AdminProtocol.QueueLine].self, ["queue"])
        while Date() < deadline,
            queue.contains(where: { $0.id == id }) || !queue.contains(where: { $0.id == second && $0.state == "delivered" })
        {
            try await Task.sleep(for: .milliseconds(200))
            queue = try origin.ctl([AdminProtocol.QueueLine].self, ["queue"])
        }
        #expect(!queue.contains { $0.id == id }, "the first entry was not compacted away: \(queue)")
        let shown = try origin.ctl(AdminProtocol.EntryDetail.self, ["show", id])
        #expect(shown.entry.state == "delivered" && shown.entry.destination == "430100" && shown.receipt?.contains("accepted") == true)
        #expect(shown.history.map(\.state).contains("sending"))
        let kept = try #require(try origin.ctl([AdminProtocol.Case].self, ["cases"]).first { $0.archiveId == id })
        #expect(kept.sent == out.sent && kept.verified == out.verified && kept.vin == sample.vin)
        // The second transfer's steps are there too, though `cases` was asked before they were
        // logged: the log's file does not grow with each entry (zeros are written ahead of its
        // end), so what the daemon keeps of it must follow the entries, not the file's size.
        let next = try #require(try origin.ctl([AdminProtocol.Case].self, ["cases"]).first { $0.archiveId == second })
        #expect(next.sent != nil && next.verified != nil, "\(next)")
        // … and across a restart.
        #expect(try await origin.stop() == 0)
        try await origin.start()
        #expect(try origin.ctl(AdminProtocol.EntryDetail.self, ["show", id]).entry.state == "delivered")
        _ = try await origin.stop()
        _ = try await destination.stop()
    }

    @Test func anSLAOfZeroDaysFlagsOpenCasesInStatusAndMetrics() async throws {
        let (origin, destination) = try await pair(originExtra: "[sla]\ntransfer_days = 0")
        let id = try submit(origin, seed: 73)
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        let status = try origin.ctl(AdminProtocol.Status.self, ["status"])
        #expect(status.warnings.contains { $0.contains("transfer_days") && $0.contains(id) }, "\(status.warnings)")
        #expect(status.warningsZh.contains { $0.contains("超过 0 天未办结") }, "\(status.warningsZh)")
        let cases = try origin.ctl([AdminProtocol.Case].self, ["cases", "--open"])
        #expect(cases.count == 1 && cases.first?.overdue == true)
        let metrics = try run("curl", ["-sS", "--unix-socket", origin.socket, "http://dossierd/metrics"]).stdout
        #expect(gauge(metrics, "dossierd_cases_overdue{direction=\"out\"}") == 1, "\(metrics)")
        #expect(gauge(metrics, "dossierd_cases_open{direction=\"out\"}") == 1, "\(metrics)")
        // The destination keeps the default of 15 days: open, not overdue, no warning.
        let other = try destination.ctl(AdminProtocol.Status.self, ["status"])
        #expect(!other.warnings.contains { $0.contains("transfer_days") }, "\(other.warnings)")
        let incoming = try run("curl", ["-sS", "--unix-socket", destination.socket, "http://dossierd/metrics"]).stdout
        #expect(gauge(incoming, "dossierd_cases_open{direction=\"in\"}") == 1, "\(incoming)")
        #expect(gauge(incoming, "dossierd_cases_overdue{direction=\"in\"}") == 0, "\(incoming)")
        _ = try await origin.stop()
        _ = try await destination.stop()
    }

    /// The value of the Prometheus sample `series` (name and labels as exported), if present.
    func gauge(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }
}
