import DossierSystem
import Foundation

/// The queue of archives waiting for delivery, whose state survives any crash (docs/architecture.md "Entry states").
///
/// State lives under a state directory: `journal/` (the `Journal`), `spool/<id>.dva` (the
/// archives) and `spool/orphans/` (spool files no entry claimed, kept for an operator).
/// Every change is journaled and durable before the call returns; a change that throws
/// `journalFailed` may or may not have reached the disk, and nothing more is accepted until the
/// outbox is reopened. Queries see every accepted change, including ones still being synced.
/// Delivery is at-least-once: an entry found `sending` at open is queued again.
public actor Outbox {
    /// Tuning; every duration is configurable.
    public struct Options: Sendable {
        /// Journal segment size and damage handling.
        public var journal: Journal.Options
        /// Backoff and give-up rules.
        public var retryPolicy: RetryPolicy
        /// Consecutive failures after which a destination gets one probe at a time.
        public var circuitThreshold: Int
        /// Attempts in flight per destination while its circuit is closed.
        public var maxInFlightPerDestination: Int

        /// Defaults: docs/architecture.md "Entry states" retry policy, circuit after 5 failures, 4 in flight per peer.
        public init(
            journal: Journal.Options = Journal.Options(), retryPolicy: RetryPolicy = RetryPolicy(),
            circuitThreshold: Int = 5, maxInFlightPerDestination: Int = 4
        ) {
            self.journal = journal
            self.retryPolicy = retryPolicy
            self.circuitThreshold = max(1, circuitThreshold)
            self.maxInFlightPerDestination = max(1, maxInFlightPerDestination)
        }
    }

    private let options: Options
    private let journal: Journal
    private let spoolDirectory: String
    private var ledger: OutboxLedger
    private var circuits: [String: CircuitBreaker] = [:]
    private var random = SystemRandomNumberGenerator()

    private init(options: Options, journal: Journal, spoolDirectory: String, ledger: OutboxLedger) {
        self.options = options
        self.journal = journal
        self.spoolDirectory = spoolDirectory
        self.ledger = ledger
    }

    /// Opens (creating if needed) the outbox in `stateDirectory`: replays the journal,
    /// reconciles the spool and queues again what was in flight.
    ///
    /// Throws `OutboxError.journalDamaged` on damage outside a torn tail unless
    /// `options.journal.acceptDamage` is set; then the damaged files are kept aside, what could
    /// be read is compacted into a fresh snapshot and the damage is listed in the report.
    public static func open(
        stateDirectory: URL, options: Options = Options()
    ) async throws(OutboxError) -> (Outbox, ReplayReport) {
        let root = stateDirectory.path
        let spool = root + "/spool"
        for dir in [root, root + "/journal", spool, spool + "/orphans"] { try system(FileIO.makeDirectory(dir, mode: 0o700)) }
        var ledger = OutboxLedger(spoolDirectory: spool)
        let (journal, partialReport) = try Journal.open(
            directory: root + "/journal", options: options.journal, commitDirectory: spool
        ) { (event) throws(OutboxError) in try ledger.apply(event) }
        var report = partialReport
        try reconcileSpool(spool, ledger: ledger, report: &report)
        let outbox = Outbox(options: options, journal: journal, spoolDirectory: spool, ledger: ledger)
        report.releasedClaims = try await outbox.releaseClaims()
        if !report.damage.isEmpty { try await outbox.compact() }
        return (outbox, report)
    }

    /// Moves spool files no live entry owns into `orphans/`, removes those of delivered or
    /// cancelled entries (a crash came between the durable record and the removal), and lists
    /// live entries whose file is missing.
    private static func reconcileSpool(
        _ spool: String, ledger: OutboxLedger, report: inout ReplayReport
    ) throws(OutboxError) {
        var expected = Set<String>()
        for entry in ledger.entries.values where !entry.state.isFinal { expected.insert(entry.id + ".dva") }
        var moved = false
        for name in try system(FileIO.list(spool)) where name != "orphans" && !expected.contains(name) {
            let path = spool + "/" + name
            if name.hasSuffix(".dva"), ledger.entries[String(name.dropLast(4))]?.state.isFinal == true {
                try system(FileIO.remove(path))
            } else {
                var target = spool + "/orphans/" + name
                var n = 1
                while FileIO.exists(target) {
                    n += 1
                    target = spool + "/orphans/" + name + ".\(n)"
                }
                try system(FileIO.rename(path, to: target))
                report.spoolOrphans.append(target)
            }
            moved = true
        }
        if moved {
            try system(FileIO.syncDirectory(spool + "/orphans"))
            try system(FileIO.syncDirectory(spool))
        }
        let present = Set(try system(FileIO.list(spool)))
        report.missingSpoolFiles = expected.subtracting(present).map { String($0.dropLast(4)) }.sorted()
    }

    private func releaseClaims() async throws(OutboxError) -> [String] {
        let now = Date()
        let ids = ledger.entries.values.filter { $0.state == .sending }.map(\.id).sorted()
        try await commit(ids.map { .requeued(id: $0, at: now) })
        return ids
    }

    /// Takes the finished archive at `archive` (already fsynced by the caller, on the same
    /// file system) into the spool as `spool/<id>.dva` and queues it; returns once the entry
    /// is durable.
    ///
    /// Throws `invalidID` (the id names the spool file), `duplicateID`, `file(.rename, …)`
    /// if the archive cannot be moved, or a journal error.
    public func enqueue(
        archive: URL, id: String, destination: String, digest: String, size: UInt64
    ) async throws(OutboxError) -> OutboxEntry {
        guard Self.isValidID(id) else { throw .invalidID(id) }
        guard ledger.entries[id] == nil else { throw .duplicateID(id) }
        let spoolPath = spoolDirectory + "/" + id + ".dva"
        try system(FileIO.rename(archive.path, to: spoolPath))
        let event = OutboxEvent.enqueued(
            id: id, destination: destination, archivePath: OutboxLedger.recordedSpoolPath(id: id), digest: digest, size: size,
            at: Date())
        return try await commit(event, syncSpool: true)
    }

    /// Marks up to `limit` due entries (`queued` or `deferred` with a next attempt at or before
    /// `now`, oldest due first) as `sending`, within each destination's in-flight limit and
    /// circuit, and returns them once that is durable.
    /// With `destinations`, only entries for those destinations are claimed (pull-mode peers
    /// fetch theirs instead), each within its own in-flight limit instead of
    /// `maxInFlightPerDestination`.
    public func claimDue(now: Date, limit: Int, destinations: [String: Int]? = nil) async throws(OutboxError) -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        var inFlight = ledger.sending
        var due: [(id: String, waiting: OutboxLedger.Waiting)] = []
        for (id, waiting) in ledger.waiting where waiting.nextAttemptAt <= now {
            guard destinations.map({ $0[waiting.destination] != nil }) ?? true else { continue }
            due.append((id, waiting))
        }
        due.sort { ($0.waiting.nextAttemptAt, $0.waiting.createdAt, $0.id) < ($1.waiting.nextAttemptAt, $1.waiting.createdAt, $1.id) }
        var claimed: [OutboxEvent] = []
        for (id, waiting) in due where claimed.count < limit {
            let allowed = circuits[waiting.destination, default: CircuitBreaker()].allowedInFlight(
                threshold: options.circuitThreshold,
                normalLimit: destinations?[waiting.destination] ?? options.maxInFlightPerDestination)
            guard inFlight[waiting.destination, default: 0] < allowed else { continue }
            inFlight[waiting.destination, default: 0] += 1
            claimed.append(.claimed(id: id, at: now))
        }
        return try await commit(claimed)
    }

    /// Claims one waiting entry by id, whatever its due time: a pull-mode peer acknowledged it.
    public func claim(id: String, now: Date = Date()) async throws(OutboxError) -> OutboxEntry {
        let current = try entry(id)
        guard current.state == .queued || current.state == .deferred else {
            throw .illegalTransition(id: id, from: current.state, to: .sending)
        }
        try await commit([.claimed(id: id, at: now)])
        return try entry(id)
    }

    /// The earliest next-attempt time of any waiting entry, for a push loop's sleep.
    public func nextAttemptDate(destinations: [String: Int]? = nil) -> Date? {
        ledger.waiting.values.lazy
            .filter { waiting in destinations.map { $0[waiting.destination] != nil } ?? true }
            .map(\.nextAttemptAt).min()
    }

    /// Records that the `sending` entry `id` was delivered and its receipt kept at
    /// `receiptPath`; once that is durable the spool file is removed. Returns the entry as
    /// this change left it.
    @discardableResult
    public func recordSuccess(id: String, receiptPath: String, now: Date = Date()) async throws(OutboxError)
        -> OutboxEntry
    {
        let destination = try entry(id).destination
        let updated = try await commit(.delivered(id: id, at: now, receiptPath: receiptPath))
        circuits[destination, default: CircuitBreaker()].recordSuccess()
        removeSpoolFile(of: id)
        return updated
    }

    /// Records a failed attempt of the `sending` entry `id`: `deferred` to a time chosen by the
    /// retry policy, or `dead` if the outcome is permanent or the entry is too old.
    /// Returns the entry as this change left it.
    @discardableResult
    public func recordFailure(id: String, outcome: DeliveryOutcome, now: Date = Date()) async throws(OutboxError)
        -> OutboxEntry
    {
        let current = try entry(id)
        guard current.state == .sending else {
            throw .illegalTransition(id: id, from: current.state, to: outcome.isRetryable ? .deferred : .dead)
        }
        let sinceQueued = current.history.lastIndex { $0.state == .queued } ?? 0
        let failures = current.history[sinceQueued...].count { $0.outcome != nil } + 1
        let event: OutboxEvent
        switch options.retryPolicy.decide(
            outcome: outcome, failures: failures, createdAt: current.createdAt, now: now, using: &random)
        {
        case .retry(let next): event = .deferred(id: id, at: now, next: next, outcome: outcome)
        case .giveUp: event = .dead(id: id, at: now, outcome: outcome)
        }
        let updated = try await commit(event)
        if outcome.concernsThePeer { circuits[current.destination, default: CircuitBreaker()].recordFailure() }
        return updated
    }

    /// Operator retry: puts a `deferred` or `dead` entry back to `queued`, due now.
    @discardableResult
    public func requeue(id: String) async throws(OutboxError) -> OutboxEntry {
        let current = try entry(id)
        guard current.state == .deferred || current.state == .dead else {
            throw .illegalTransition(id: id, from: current.state, to: .queued)
        }
        return try await commit(.requeued(id: id, at: Date()))
    }

    /// Operator retry of every `dead` entry; returns them as queued again.
    @discardableResult
    public func requeueAllDead() async throws(OutboxError) -> [OutboxEntry] {
        let now = Date()
        let ids = ledger.entries.values.filter { $0.state == .dead }.map(\.id).sorted()
        return try await commit(ids.map { .requeued(id: $0, at: now) })
    }

    /// Operator cancel of an entry that is not `sending` or final; its spool file is removed
    /// once the cancellation is durable.
    @discardableResult
    public func cancel(id: String) async throws(OutboxError) -> OutboxEntry {
        let updated = try await commit(.cancelled(id: id, at: Date()))
        removeSpoolFile(of: id)
        return updated
    }

    /// Writes the live entries (not delivered or cancelled) to a snapshot and removes the
    /// segments and snapshots it replaces; afterwards the journal's size is proportional to
    /// the live entries and the destinations. Delivered and cancelled entries are forgotten,
    /// except the latest delivered entry of each destination (its last delivery time).
    public func compact() async throws(OutboxError) {
        var live: [OutboxEntry] = []
        var final: [String] = []
        var latest: [String: OutboxEntry] = [:]
        for entry in ledger.entries.values {
            if entry.state == .delivered, let at = entry.deliveredAt,
                latest[entry.destination].flatMap(\.deliveredAt).map({ at > $0 }) ?? true
            {
                latest[entry.destination] = entry
            }
        }
        let kept = Set(latest.values.map(\.id))
        for entry in ledger.entries.values {
            if entry.state.isFinal && !kept.contains(entry.id) { final.append(entry.id) } else { live.append(entry) }
        }
        let seq = try await journal.roll()
        try await journal.writeSnapshot(live, seq: seq)
        ledger.forgetFinal(final)
    }

    /// Group commits of the journal since the outbox opened (for metrics). Thread-safe.
    public nonisolated var journalSyncs: Int { journal.syncCount }

    /// Finishes pending journal writes and stops accepting changes.
    public func close() async { await journal.close() }

    // MARK: queries

    /// One entry with its full history, or nil.
    public func entry(id: String) -> OutboxEntry? { ledger.entries[id] }

    /// The entries in `state`, oldest first.
    public func entries(in state: OutboxState) -> [OutboxEntry] {
        ledger.entries.values.filter { $0.state == state }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Counts by state and destination, the oldest waiting entry's age, open circuits.
    public func summary(now: Date = Date()) -> OutboxSummary {
        var summary = OutboxSummary()
        var oldest: Date?
        for entry in ledger.entries.values {
            summary.byState[entry.state, default: 0] += 1
            summary.byDestination[entry.destination, default: [:]][entry.state, default: 0] += 1
            if entry.state == .queued || entry.state == .deferred || entry.state == .sending {
                oldest = min(oldest ?? entry.createdAt, entry.createdAt)
            }
            if let at = entry.deliveredAt, summary.lastDelivered[entry.destination].map({ at > $0 }) ?? true {
                summary.lastDelivered[entry.destination] = at
            }
        }
        summary.oldestWaitingAge = oldest.map { now.timeIntervalSince($0) }
        summary.openCircuits = circuits.filter { $0.value.isOpen(threshold: options.circuitThreshold) }
            .map(\.key).sorted()
        return summary
    }

    // MARK: internals

    private func entry(_ id: String) throws(OutboxError) -> OutboxEntry {
        guard let entry = ledger.entries[id] else { throw .unknownID(id) }
        return entry
    }

    /// Applies `events` in memory and journals them; returns once durable. Applying first,
    /// with no suspension before the journal submission, keeps memory order and journal order
    /// the same under actor reentrancy. If an event does not apply, the ones before it are
    /// still journaled (memory already has them) and the error is thrown. Returns the entries
    /// as these events left them (later changes by other callers may follow before it returns).
    @discardableResult
    private func commit(_ events: [OutboxEvent], syncSpool: Bool = false) async throws(OutboxError) -> [OutboxEntry] {
        var updated: [OutboxEntry] = []
        var applied = 0
        var rejection: OutboxError?
        for event in events {
            do throws(OutboxError) { try ledger.apply(event) } catch {
                rejection = error
                break
            }
            applied += 1
            if let entry = ledger.entries[event.id] { updated.append(entry) }
        }
        if applied > 0 {
            try await journal.append(contentsOf: Array(events.prefix(applied)), syncCommitDirectory: syncSpool)
        }
        if let rejection { throw rejection }
        return updated
    }

    /// `commit` of a single event, returning its entry.
    private func commit(_ event: OutboxEvent, syncSpool: Bool = false) async throws(OutboxError) -> OutboxEntry {
        guard let entry = try await commit([event], syncSpool: syncSpool).first else { throw .unknownID(event.id) }
        return entry
    }

    /// Best effort: a spool file left behind here is removed by the next open's reconciliation.
    private func removeSpoolFile(of id: String) {
        try? FileIO.remove(spoolDirectory + "/" + id + ".dva")
    }

    static func isValidID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 200, id.first != "." else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }
}
