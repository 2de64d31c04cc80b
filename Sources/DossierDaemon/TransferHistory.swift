import DossierAdmin
import DossierArchive
import DossierOutbox
import DossierSystem
import Foundation

extension StateLayout {
    /// Delivered and cancelled outbox entries kept past journal compaction (`TransferHistory`).
    var transferHistory: URL { root.appendingPathComponent("history/outbox.json") }
    /// When a vehicle's archive was requested, one file per archive (`CaseRequests`).
    var caseRequests: URL { root.appendingPathComponent("history/requests") }
}

/// The finished outbox entries (delivered, cancelled) that journal compaction forgets, kept in
/// `history/outbox.json` for `[sla] history_days` so that `dossierctl show ID` and `cases` still
/// find them (docs/architecture.md, "History").
///
/// Written only by the compaction service, just before it compacts: the file is the union of
/// what it held and the outbox's finished entries, less those finished more than `days` ago;
/// durable on return (temp + fsync + rename + fsync of the folder). A crash between the write
/// and the compaction leaves an entry in both places, which readers tolerate (the outbox wins).
/// Not thread-safe for writers: one compaction at a time (`CompactionService`). Readers may
/// read at any time: the rename makes each version whole.
struct TransferHistory: Sendable {
    /// One finished entry, as `show` needs it.
    struct Entry: Codable, Sendable {
        var id: String
        var destination: String
        var state: String
        var size: UInt64
        var digest: String
        var createdAt: Date
        var archivePath: String
        /// As the journal recorded it (relative to the state directory).
        var receiptPath: String?
        var history: [AdminProtocol.Transition]

        /// When it became final: its last transition.
        var finishedAt: Date { history.last?.at ?? createdAt }

        init(_ entry: OutboxEntry) {
            id = entry.id
            destination = entry.destination
            state = entry.state.description
            size = entry.size
            digest = entry.digest
            createdAt = entry.createdAt
            archivePath = entry.archivePath
            receiptPath = entry.receiptPath
            history = entry.history.map {
                AdminProtocol.Transition(at: $0.at, state: $0.state.description, outcome: $0.outcome.map { "\($0)" })
            }
        }

        /// When delivery was first attempted.
        var firstSending: Date? { history.first { $0.state == OutboxState.sending.description }?.at }
    }

    let file: URL

    /// The entries kept, by id; empty when there is no file yet.
    /// - Throws: `SystemError` when the file exists but cannot be read, `DecodingError` when it
    ///   is not what this type wrote.
    func load() throws -> [String: Entry] {
        Dictionary(try stored().map { ($0.id, $0) }) { _, later in later }
    }

    /// The file's entries in their stored order.
    private func stored() throws -> [Entry] {
        guard FileIO.exists(file.path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([Entry].self, from: Data(try FileIO.readAll(file.path)))
    }

    /// Adds the finished entries among `entries`, drops those finished before `now - days`,
    /// and writes the file durably when that changed anything. A file that does not decode is
    /// kept aside as `outbox.json.damaged` (for an operator) and started afresh. Blocking: call
    /// it on the blocking pool.
    /// - Throws: `SystemError` naming the file; the previous version then stays in place.
    func keep(_ entries: [OutboxEntry], days: Int, now: Date = Date()) throws {
        var before: [Entry] = []
        do { before = try stored() } catch is DecodingError {
            try FileIO.rename(file.path, to: file.path + ".damaged")
        }
        var kept = Dictionary(before.map { ($0.id, $0) }) { _, later in later }
        for entry in entries where entry.state.isFinal { kept[entry.id] = Entry(entry) }
        let horizon = now.addingTimeInterval(-Double(days) * 86_400)
        let after = kept.values.filter { $0.finishedAt >= horizon }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        // A final entry never changes, so the same ids mean the same file (the times read back
        // are whole seconds: comparing entries would see a change every time).
        guard Set(after.map(\.id)) != Set(before.map(\.id)) else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        try FileIO.makeDirectory(file.deletingLastPathComponent().path)
        try DurableFile.write([UInt8](try encoder.encode(after)), to: file)
    }
}

/// When this authority asked for (destination) or was asked for (origin) a vehicle's archive:
/// `history/requests/<archive id>.json`, written durably once the archive id is known, so that
/// a case shows its `requested` step and, at a destination, its VIN. Pruned with the history.
/// Thread-safe: each archive has its own file, written whole by rename.
struct CaseRequests: Sendable {
    /// One request.
    struct Request: Codable, Sendable, Equatable {
        var vin: String
        /// The other authority: the origin asked (`in`), or the destination that asked (`out`).
        var peer: String
        /// `in` at the destination that asked, `out` at the origin that was asked.
        var direction: String
        var at: Date
    }

    let directory: URL

    /// Records that archive `id` was requested at `at`; durable on return. An id that is not a
    /// safe file name (a peer's answer) is not recorded.
    /// - Throws: `SystemError` naming the file.
    func record(id: String, _ request: Request) throws(SystemError) {
        guard ArchiveID.isSafe(id) else { return }
        try FileIO.makeDirectory(directory.path)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try DurableFile.write((try? encoder.encode(request)).map { [UInt8]($0) } ?? [], to: directory.appendingPathComponent(id + ".json"))
    }

    /// Every request kept, by archive id; unreadable files are skipped. Blocking.
    func all() -> [String: Request] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var requests: [String: Request] = [:]
        for name in (try? FileIO.list(directory.path)) ?? [] where name.hasSuffix(".json") {
            guard let bytes = try? FileIO.readAll(directory.appendingPathComponent(name).path, limit: 4096),
                let request = try? decoder.decode(Request.self, from: Data(bytes))
            else { continue }
            requests[String(name.dropLast(5))] = request
        }
        return requests
    }

    /// Removes the requests made before `now - days`. Blocking; best effort (a file that cannot
    /// be removed is tried again at the next compaction).
    func prune(days: Int, now: Date = Date()) {
        let horizon = now.addingTimeInterval(-Double(days) * 86_400)
        for (id, request) in all() where request.at < horizon {
            try? FileIO.remove(directory.appendingPathComponent(id + ".json").path)
        }
    }
}

extension DaemonConfig {
    /// `[sla]` (docs/operations.md, "Cases"): an open transfer case older than `transferDays`
    /// is overdue (a `status` warning, `dossierd_cases_overdue`); finished cases and the outbox
    /// history behind `show` are kept `historyDays`.
    public struct SLA: Sendable, Equatable {
        /// Days a case may stay open (0: every open case is overdue at once). Default 15.
        public var transferDays = 15
        /// Days a finished case and its outbox history are kept. Default 400.
        public var historyDays = 400

        static func parse(_ table: TOMLReader?) throws(ConfigError) -> SLA {
            var sla = SLA()
            guard var table else { return sla }
            sla.transferDays = try table.int("transfer_days", range: 0...3650) ?? sla.transferDays
            sla.historyDays = try table.int("history_days", range: 1...36_500) ?? sla.historyDays
            try table.rejectUnknownKeys()
            return sla
        }
    }
}

extension TransferHistory.Entry {
    /// The entry as `GET /entries/{id}` answers for a live one; its receipt's content when it
    /// still verifies against `trust`.
    func detail(layout: StateLayout, trust: TrustStore) -> AdminProtocol.EntryDetail {
        AdminProtocol.EntryDetail(
            entry: AdminProtocol.QueueLine(
                id: id, destination: destination, state: state, size: size, createdAt: createdAt,
                attempts: history.count { $0.state == OutboxState.sending.description }, nextAttemptAt: nil,
                lastError: history.last { $0.outcome != nil }?.outcome),
            digest: digest, archivePath: archivePath, history: history, receiptPath: receiptPath.map { layout.resolve($0).path },
            receipt: AdminService.receiptText(receiptPath, layout: layout, trust: trust))
    }
}

extension Authority {
    /// Keeps the outbox's finished entries in the history and prunes it and the kept requests
    /// past `[sla] history_days`; true when done. A failure is logged and shown in `status`,
    /// and the caller must not compact (the journal still holds what the history lacks).
    func keepHistory() async -> Bool {
        let finished = await outbox.entries(in: .delivered) + outbox.entries(in: .cancelled)
        let (history, requests, days) = (
            TransferHistory(file: layout.transferHistory), CaseRequests(directory: layout.caseRequests), config.sla.historyDays
        )
        do {
            try await pool.run {
                try history.keep(finished, days: days)
                requests.prune(days: days)
            }
            return true
        } catch {
            logger.error("outbox history not kept; compaction postponed", metadata: ["file": "\(history.file.path)", "error": "\(error)"])
            errors.record(id: nil, peer: nil, error: "history \(history.file.path): \(error)")
            return false
        }
    }

    /// Records when archive `id` was requested; a failure is logged, not thrown: the transfer
    /// goes on, its case only lacks the `requested` step.
    func noteRequest(id: String, _ request: CaseRequests.Request) async {
        let requests = CaseRequests(directory: layout.caseRequests)
        do { try await pool.run { try requests.record(id: id, request) } } catch {
            logger.warning("request not kept for cases", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }
}
