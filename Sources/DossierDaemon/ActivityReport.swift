import DossierAdmin
import DossierArchive
import DossierInbox
import DossierOutbox
import DossierSystem
import DossierTransport
import Foundation

/// `dossierctl report`: the period's figures, read from what the daemon keeps anyway, with no
/// bookkeeping of its own. Sent: every peer's signed receipt in `receipts/` (kept for good,
/// unlike outbox entries, which compaction forgets once delivered); while the outbox entry
/// exists its times (packed, receipt kept, to the microsecond) are used, else the archive id's
/// UUIDv7 time and the receipt's own time (whole seconds). Received: the inbox and quarantine
/// index. Intake refusals: `intake/failed/*/reason.txt`. Completions and cases past the SLA:
/// the cases `CaseBook` assembles from the custody log, the outbox and its kept history.
struct ActivityReport {
    /// Why a period was refused.
    enum PeriodError: Error, CustomStringConvertible {
        case badDate(String)
        case reversed(from: String, to: String)

        var description: String {
            switch self {
            case let .badDate(text): return "\"\(text)\" is not a date YYYY-MM-DD"
            case let .reversed(from, to): return "the period ends (\(to)) before it starts (\(from))"
            }
        }
    }

    /// Whole days `from`…`to` (inclusive) in `calendar`'s time zone, as `[start, end)`.
    let from: String
    let to: String
    let start: Date
    let end: Date
    let calendar: Calendar

    /// - Throws: `PeriodError` for a date that is not `YYYY-MM-DD` or a period ending before it starts.
    init(from: String, to: String, timeZone: TimeZone = .current) throws(PeriodError) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = try Self.day(from, calendar)
        let last = try Self.day(to, calendar)
        guard start <= last, let end = calendar.date(byAdding: .day, value: 1, to: last) else {
            throw .reversed(from: from, to: to)
        }
        self.from = from
        self.to = to
        self.start = start
        self.end = end
        self.calendar = calendar
    }

    private static func day(_ text: String, _ calendar: Calendar) throws(PeriodError) -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard text.utf8.count == 10, parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day))
        else { throw .badDate(text) }
        // 2026-02-30 would roll over into March: only a date that reads back the same is one.
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { throw .badDate(text) }
        return date
    }

    /// One archive sent, as its receipt tells.
    struct Sent {
        var peer: String
        var packedAt: Date?
        /// When the receipt was kept (the outbox's delivery time), else the receipt's time.
        var receiptAt: Date
        var receipt: Receipt
    }

    /// Builds the report (blocking file reads: run it on the pool). `cases` are those of
    /// `CaseBook.cases`, `slaDays` is `[sla] transfer_days`.
    func build(
        authority code: String, name: String, layout: StateLayout, outboxEntries: [String: OutboxEntry], inbox: [InboxEntry],
        cases: [AdminProtocol.Case] = [], slaDays: Int = 0, now: Date = Date()
    ) -> AdminProtocol.Report {
        var cells: [String: AdminProtocol.Report.Cell] = [:]
        func count(_ at: Date, _ peer: String, sent: Int = 0, received: Int = 0) {
            let month = monthKey(at)
            cells[month + " " + peer, default: .init(month: month, peer: peer, sent: 0, received: 0)].sent += sent
            cells[month + " " + peer, default: .init(month: month, peer: peer, sent: 0, received: 0)].received += received
        }
        var sentSeconds: [Double] = []
        var rejectedByPeers: [String: Int] = [:]
        for sent in sentArchives(layout: layout, outboxEntries: outboxEntries) where contains(sent.receiptAt) {
            switch sent.receipt.status {
            case .accepted:
                count(sent.receiptAt, sent.peer, sent: 1)
                // A receipt's own time has whole seconds: one within the packing second counts 0 s.
                if let packed = sent.packedAt { sentSeconds.append(max(0, sent.receiptAt.timeIntervalSince(packed))) }
            case .rejected:
                for code in Set(sent.receipt.reasons.map(\.code)) { rejectedByPeers[code, default: 0] += 1 }
            }
        }
        var receivedSeconds: [Double] = []
        var rejectedByUs: [String: Int] = [:]
        for entry in inbox where contains(entry.receivedAt) {
            switch entry.status {
            case .accepted:
                count(entry.receivedAt, entry.sender, received: 1)
                if let packed = ArchiveID.timestamp(of: entry.archiveId) {
                    receivedSeconds.append(max(0, entry.receivedAt.timeIntervalSince(packed)))
                }
            case .rejected:
                for code in Set(entry.reasons.map(\.code)) { rejectedByUs[code, default: 0] += 1 }
            }
        }
        return AdminProtocol.Report(
            authority: code, authorityName: name, from: from, to: to, timeZone: calendar.timeZone.identifier, generatedAt: now,
            cells: cells.values.sorted { ($0.month, $0.peer) < ($1.month, $1.peer) },
            sentLatency: Self.latency(sentSeconds), receivedLatency: Self.latency(receivedSeconds),
            rejectedByUs: Self.counts(rejectedByUs), rejectedByPeers: Self.counts(rejectedByPeers),
            intakeRefusals: Self.counts(intakeRefusals(layout.intakeFailed)),
            sentCompletionLatency: Self.latency(completionSeconds(cases, direction: "out")),
            receivedCompletionLatency: Self.latency(completionSeconds(cases, direction: "in")),
            slaDays: slaDays, pastSLA: pastSLA(cases, days: slaDays, now: now))
    }

    /// Packing to completion, in seconds, of the `direction` cases completed (registered or
    /// refused) in the period. Packing is the custody log's at the origin, the archive id's
    /// UUIDv7 time at the destination (which never sees it).
    func completionSeconds(_ cases: [AdminProtocol.Case], direction: String) -> [Double] {
        cases.compactMap { line in
            guard line.direction == direction, let completed = line.completed, contains(completed),
                let packed = line.packed ?? ArchiveID.timestamp(of: line.archiveId)
            else { return nil }
            return max(0, completed.timeIntervalSince(packed))
        }
    }

    /// The cases whose deadline (first step + `days`) fell in the period and before `now`,
    /// and which were open at it: still open, or completed (registered or refused) after it.
    func pastSLA(_ cases: [AdminProtocol.Case], days: Int, now: Date) -> [AdminProtocol.Report.LateCase] {
        cases.compactMap { line -> AdminProtocol.Report.LateCase? in
            guard ["open", "completed", "refused"].contains(line.state), let started = line.start else { return nil }
            let deadline = started.addingTimeInterval(Double(days) * 86_400)
            guard contains(deadline), deadline < now, (line.completed ?? now) > deadline else { return nil }
            return AdminProtocol.Report.LateCase(
                archiveId: line.archiveId, peer: line.peer, direction: line.direction, state: line.state, started: started,
                deadline: deadline, completed: line.completed, days: (line.completed ?? now).timeIntervalSince(started) / 86_400)
        }.sorted { ($0.deadline, $0.archiveId) < ($1.deadline, $1.archiveId) }
    }

    private func contains(_ date: Date) -> Bool { date >= start && date < end }

    private func monthKey(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// Every receipt kept in `receipts/` (`<id>.receipt.p7m`, `<id>.rejection.p7m`), read
    /// without judging the signature again (it was verified when it was kept). Unreadable
    /// files are skipped.
    private func sentArchives(layout: StateLayout, outboxEntries: [String: OutboxEntry]) -> [Sent] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let names = (try? FileIO.list(layout.receipts.path)) ?? []
        return names.filter { $0.hasSuffix(".p7m") }.compactMap { name in
            guard let signed = try? FileIO.readAll(layout.receipts.appendingPathComponent(name).path, limit: 1 << 20),
                let content = SignatureCheck.unverifiedContent(of: signed),
                let receipt = try? decoder.decode(Receipt.self, from: Data(content))
            else { return nil }
            let entry = outboxEntries[receipt.archiveId]
            return Sent(
                peer: receipt.receiver, packedAt: entry?.createdAt ?? ArchiveID.timestamp(of: receipt.archiveId),
                receiptAt: entry?.deliveredAt ?? receipt.receivedAt, receipt: receipt)
        }
    }

    /// Refused intake folders in the period, one count per rule their `reason.txt` names (the
    /// problem lines `  <code>[ (<field>)]: …`, English and Chinese), `other` when it names none.
    private func intakeRefusals(_ failed: URL) -> [String: Int] {
        var counts: [String: Int] = [:]
        for folder in (try? FileIO.list(failed.path)) ?? [] {
            guard
                let bytes = try? FileIO.readAll(
                    failed.appendingPathComponent(folder).appendingPathComponent("reason.txt").path, limit: 1 << 20)
            else { continue }
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard let stamp = lines.first(where: { $0.hasPrefix("refused at: ") })?.dropFirst("refused at: ".count),
                let at = try? Date(String(stamp), strategy: .iso8601), contains(at)
            else { continue }
            // A rule is the problem line's leading reason code (a-z, 0-9, -), in whichever
            // language the line is written.
            let rules = Set(
                lines.filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.compactMap { line -> String? in
                    let code = line.dropFirst(2).prefix { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
                    return code.isEmpty ? nil : String(code)
                })
            for rule in rules.isEmpty ? ["other"] : rules { counts[rule, default: 0] += 1 }
        }
        return counts
    }

    private static func counts(_ counts: [String: Int]) -> [AdminProtocol.Report.Count] {
        counts.map { AdminProtocol.Report.Count(reason: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.reason) < ($0.count, $1.reason) }
    }

    /// Median, 95th percentile (nearest rank) and maximum; nil for no values.
    static func latency(_ values: [Double]) -> AdminProtocol.Report.Latency? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let n = sorted.count
        let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        let rank = Int((0.95 * Double(n)).rounded(.up))
        return AdminProtocol.Report.Latency(count: n, median: median, p95: sorted[max(0, rank - 1)], max: sorted[n - 1])
    }
}
