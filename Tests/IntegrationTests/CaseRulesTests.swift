import DossierAdmin
import DossierCustody
@testable import DossierDaemon
import Foundation
import Testing

/// How `CaseBook.assemble` turns custody events, outbox history and kept requests into cases:
/// the states a case ends in, the overdue flag and the `history_days` horizon.
struct CaseRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    func event(_ kind: CustodyEvent.Kind, _ id: String, daysAgo: Double, peer: String = "430100", detail: String? = nil) -> CustodyEvent {
        CustodyEvent(kind: kind, archiveId: id, peer: peer, digest: "00", time: now.addingTimeInterval(-daysAgo * day), detail: detail)
    }

    func assemble(_ events: [CustodyEvent], sla: DaemonConfig.SLA = .init()) -> [String: AdminProtocol.Case] {
        Dictionary(
            uniqueKeysWithValues: CaseBook.assemble(events: events, outbox: [:], requests: [:], sla: sla, now: now).map {
                ($0.archiveId, $0)
            })
    }

    @Test func completionRejectionAndAgeDecideTheState() {
        let cases = assemble([
            event(.packed, "open-late", daysAgo: 20, detail: "LSVAU2180N2183294"),
            event(.packed, "open-recent", daysAgo: 2),
            event(.packed, "done", daysAgo: 30), event(.receiptKept, "done", daysAgo: 29, detail: "receipt"),
            event(.completionReceived, "done", daysAgo: 25, detail: "registered"), event(.transferredOut, "done", daysAgo: 25),
            event(.packed, "refused", daysAgo: 30), event(.completionReceived, "refused", daysAgo: 25, detail: "refused"),
            event(.packed, "bounced", daysAgo: 3), event(.receiptKept, "bounced", daysAgo: 3, detail: "rejection"),
            event(.rejected, "arrived", daysAgo: 4, peer: "441800"), event(.received, "arrived", daysAgo: 3, peer: "441800"),
            event(.completionSent, "arrived", daysAgo: 1, peer: "441800", detail: "registered"),
        ])
        #expect(cases["open-late"]?.state == "open" && cases["open-late"]?.overdue == true)
        #expect(cases["open-late"]?.vin == "LSVAU2180N2183294")
        #expect(cases["open-recent"]?.state == "open" && cases["open-recent"]?.overdue == false)
        #expect(cases["done"]?.state == "completed" && cases["done"]?.verified != nil && cases["done"]?.overdue == false)
        #expect(cases["refused"]?.state == "refused")
        #expect(cases["bounced"]?.state == "rejected" && cases["bounced"]?.verified == nil && cases["bounced"]?.received != nil)
        // Rejected once, accepted when pushed again, then registered at this destination.
        #expect(cases["arrived"]?.direction == "in" && cases["arrived"]?.state == "completed" && cases["arrived"]?.verified != nil)
    }

    @Test func finishedCasesPastHistoryDaysAreDroppedOpenOnesNever() {
        let sla = DaemonConfig.SLA(transferDays: 15, historyDays: 10)
        let cases = assemble(
            [
                event(.packed, "old-done", daysAgo: 40), event(.transferredOut, "old-done", daysAgo: 30),
                event(.packed, "old-open", daysAgo: 40),
                event(.packed, "new-done", daysAgo: 8), event(.transferredOut, "new-done", daysAgo: 5),
            ], sla: sla)
        #expect(cases["old-done"] == nil)
        #expect(cases["old-open"]?.overdue == true)
        #expect(cases["new-done"]?.state == "completed")
    }

    @Test func slaKeysAreReadAndChecked() throws {
        let base = "[authority]\ncode = \"441800\"\n[tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\ntrust = [\"ca.pem\"]\n"
        let config = try DaemonConfig.parse(base + "[sla]\ntransfer_days = 0\nhistory_days = 30\n", file: "/etc/dossierd/dossierd.toml")
        #expect(config.sla == DaemonConfig.SLA(transferDays: 0, historyDays: 30))
        #expect(
            try DaemonConfig.parse(base, file: "/etc/dossierd/dossierd.toml").sla == DaemonConfig.SLA(transferDays: 15, historyDays: 400))
        #expect(throws: ConfigError.self) {
            try DaemonConfig.parse(base + "[sla]\nhistory_days = 0\n", file: "/etc/dossierd/dossierd.toml")
        }
        #expect(throws: ConfigError.self) { try DaemonConfig.parse(base + "[sla]\noverdue = 3\n", file: "/etc/dossierd/dossierd.toml") }
    }
}
