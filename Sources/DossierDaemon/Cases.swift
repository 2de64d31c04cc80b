import DossierAdmin
import DossierArchive
import DossierCustody
import DossierOutbox
import DossierSystem
import DossierText
import Foundation
import Metrics
import Synchronization

/// The vehicle transfers of this authority (`dossierctl cases`, docs/operations.md "Cases"),
/// assembled on demand from what is durable: the custody log (packed, receipt kept, received,
/// rejected, completion events; never compacted), the outbox and its kept history (first
/// attempt, cancellation) and the requests kept in `history/requests/`.
///
/// The custody log is read whole (on the blocking pool) and its events kept until the log holds
/// more entries; a scrape or `status` on an idle authority reads nothing. Thread-safe (a mutex
/// over that cache).
final class CaseBook: Sendable {
    private let cache = Mutex<(entries: UInt64, events: [CustodyEvent])?>(nil)

    /// Every case known, oldest first: open ones always, finished ones whose last step is within
    /// `[sla] history_days`.
    /// - Throws: `CustodyError` or `SystemError` when the custody log cannot be read.
    func cases(_ authority: Authority, now: Date = Date()) async throws -> [AdminProtocol.Case] {
        var finished = try await history(authority)
        for state in OutboxState.allCases {
            for entry in await authority.outbox.entries(in: state) { finished[entry.id] = TransferHistory.Entry(entry) }
        }
        let outbox = finished
        let (layout, sla, custody) = (authority.layout, authority.config.sla, authority.custody.log)
        let (events, requests) = try await authority.pool.run { [self] in
            (
                try self.events(of: custody, directory: layout.root.appendingPathComponent(CustodyLog.stateSubdirectory).path),
                CaseRequests(directory: layout.caseRequests).all()
            )
        }
        return Self.assemble(events: events, outbox: outbox, requests: requests, sla: sla, now: now)
    }

    /// The outbox history kept past compaction, by id.
    func history(_ authority: Authority) async throws -> [String: TransferHistory.Entry] {
        let history = TransferHistory(file: authority.layout.transferHistory)
        return try await authority.pool.run { try history.load() }
    }

    /// The events of `log` (open in `directory`), re-read only when it holds more entries. Not
    /// by the file's size: zeros are written ahead of the log's end, a megabyte at a time, so
    /// the size stays the same over many entries. Entries counted before the read are durable,
    /// so the file read holds at least as many. Blocking.
    private func events(of log: CustodyLog, directory: String) throws -> [CustodyEvent] {
        let entries = log.treeSize
        if let cached = cache.withLock({ $0 }), cached.entries == entries { return cached.events }
        let events = try CustodyContents.read(directory: directory).events
        cache.withLock { $0 = (entries, events) }
        return events
    }

    /// A case while it is being put together.
    private struct Building {
        var line: AdminProtocol.Case
        var rejected = false
        var cancelled = false
        var refused = false
    }

    /// The cases told by `events`, `outbox` and `requests` (pure: the tests of the rules need
    /// no daemon). Which step each source gives is documented in docs/operations.md, "Cases".
    static func assemble(
        events: [CustodyEvent], outbox: [String: TransferHistory.Entry], requests: [String: CaseRequests.Request],
        sla: DaemonConfig.SLA, now: Date
    ) -> [AdminProtocol.Case] {
        var cases: [String: Building] = [:]
        func update(_ id: String, peer: String, direction: String, _ change: (inout Building) -> Void) {
            var building =
                cases[id]
                ?? Building(line: AdminProtocol.Case(archiveId: id, vin: nil, peer: peer, direction: direction, state: "open"))
            change(&building)
            cases[id] = building
        }
        for event in events {
            let (id, peer, time) = (event.archiveId, event.peer, event.time)
            switch event.kind {
            case .packed:
                update(id, peer: peer, direction: "out") {
                    $0.line.packed = $0.line.packed ?? time
                    $0.line.vin = $0.line.vin ?? event.detail
                }
            case .sent: update(id, peer: peer, direction: "out") { $0.line.sent = $0.line.sent ?? time }
            case .receiptKept:
                update(id, peer: peer, direction: "out") {
                    $0.line.received = $0.line.received ?? time
                    if event.detail == "rejection" { $0.rejected = true } else { $0.line.verified = $0.line.verified ?? time }
                }
            case .received:
                update(id, peer: peer, direction: "in") {
                    $0.line.received = $0.line.received ?? time
                    $0.line.verified = $0.line.verified ?? time
                    $0.rejected = false
                }
            case .rejected:
                update(id, peer: peer, direction: "in") {
                    $0.line.received = $0.line.received ?? time
                    $0.rejected = $0.line.verified == nil
                }
            case .completionReceived, .completionSent:
                update(id, peer: peer, direction: event.kind == .completionSent ? "in" : "out") {
                    $0.line.completed = time
                    $0.refused = event.detail?.contains("refused") == true
                }
            case .transferredOut:
                update(id, peer: peer, direction: "out") {
                    $0.line.completed = $0.line.completed ?? time
                    $0.refused = false
                }
            }
        }
        for (id, entry) in outbox {
            update(id, peer: entry.destination, direction: "out") {
                // Queued: the custody `packed` follows the enqueue, possibly after the first attempt.
                $0.line.packed = min(entry.createdAt, $0.line.packed ?? entry.createdAt)
                // The first attempt: the custody log's `sent` is logged when the receipt comes back.
                if let first = entry.firstSending { $0.line.sent = min(first, $0.line.sent ?? first) }
                $0.cancelled = entry.state == OutboxState.cancelled.description
            }
        }
        for (id, request) in requests {
            update(id, peer: request.peer, direction: request.direction) {
                $0.line.requested = request.at
                $0.line.vin = $0.line.vin ?? request.vin
            }
        }
        let overdueBefore = now.addingTimeInterval(-Double(sla.transferDays) * 86_400)
        let keptAfter = now.addingTimeInterval(-Double(sla.historyDays) * 86_400)
        return cases.values.compactMap { building -> AdminProtocol.Case? in
            var line = building.line
            line.state =
                line.completed != nil
                ? (building.refused ? "refused" : "completed")
                : building.rejected ? "rejected" : building.cancelled ? "cancelled" : "open"
            if line.state == "open" {
                line.overdue = (line.start ?? now) < overdueBefore
            } else if let last = line.steps.compactMap({ $0.at }).max(), last < keptAfter {
                return nil
            }
            return line
        }.sorted { ($0.start ?? .distantPast, $0.archiveId) < ($1.start ?? .distantPast, $1.archiveId) }
    }

    /// The `status` warning for open cases past `[sla] transfer_days`, if any.
    static func overdueWarning(_ cases: [AdminProtocol.Case], days: Int) -> Bilingual? {
        let overdue = cases.filter(\.overdue)
        guard !overdue.isEmpty else { return nil }
        let ids = overdue.prefix(3).map(\.archiveId).joined(separator: ", ") + (overdue.count > 3 ? ", …" : "")
        return Bilingual(
            "\(overdue.count) transfer case(s) open for more than \(days) day(s) ([sla] transfer_days): \(ids); "
                + "see dossierctl cases --open",
            "\(overdue.count) 个转递案件已超过 \(days) 天未办结（[sla] transfer_days）：\(ids)；请执行 dossierctl cases --open 查看")
    }
}

extension DaemonMetrics {
    /// Open transfer cases, and those open longer than `[sla] transfer_days`, by direction.
    func cases(_ cases: [AdminProtocol.Case]) {
        for direction in ["out", "in"] {
            let open = cases.filter { $0.direction == direction && $0.state == "open" }
            Gauge(label: "dossierd_cases_open", dimensions: [("direction", direction)]).record(open.count)
            Gauge(label: "dossierd_cases_overdue", dimensions: [("direction", direction)]).record(open.count { $0.overdue })
        }
    }
}
