import Foundation

/// The outbox's state as the journal describes it: every event, live or replayed, goes
/// through `apply`, so a live change and its replay cannot disagree.
///
/// An entry's spool file is always `<spoolDirectory>/<id>.dva`: the path a journal recorded
/// (absolute in journals of the first build, `spool/<id>.dva` since) is not trusted, so a
/// state directory restored or moved elsewhere still finds every archive.
struct OutboxLedger {
    private(set) var entries: [String: OutboxEntry] = [:]
    /// The entries waiting for an attempt (queued or deferred), kept beside `entries` so that a
    /// push loop's every pass looks at these alone, not at the dead and delivered ones too.
    private(set) var waiting: [String: Waiting] = [:]
    /// How many entries are `sending`, per destination (no key: none).
    private(set) var sending: [String: Int] = [:]
    /// Where spool files are now.
    let spoolDirectory: String

    /// What a push loop needs of a waiting entry.
    struct Waiting {
        var destination: String
        var nextAttemptAt: Date
        var createdAt: Date
    }

    init(spoolDirectory: String) {
        self.spoolDirectory = spoolDirectory
    }

    /// How an enqueued archive's spool path is recorded in the journal: relative to the
    /// outbox's state directory.
    static func recordedSpoolPath(id: String) -> String { "spool/\(id).dva" }

    private func spoolPath(_ id: String) -> String { spoolDirectory + "/" + id + ".dva" }

    /// Applies `event`, or throws and changes nothing if it does not fit the current state.
    mutating func apply(_ event: OutboxEvent) throws(OutboxError) {
        switch event {
        case .enqueued(let id, let destination, _, let digest, let size, let at):
            guard entries[id] == nil else { throw .duplicateID(id) }
            let entry = OutboxEntry(
                id: id, destination: destination, archivePath: spoolPath(id), digest: digest, size: size,
                createdAt: at, state: .queued, nextAttemptAt: at, receiptPath: nil,
                history: [OutboxTransition(at: at, state: .queued, outcome: nil)])
            entries[id] = entry
            track(entry)
        case .snapshot(let entry):
            guard entries[entry.id] == nil else { throw .duplicateID(entry.id) }
            entries[entry.id] = entry.relocated(to: spoolPath(entry.id))
            track(entry)
        case .claimed(let id, let at):
            try move(id, to: .sending, at: at) { $0.nextAttemptAt = nil }
        case .delivered(let id, let at, let receiptPath):
            try move(id, to: .delivered, at: at) {
                $0.nextAttemptAt = nil; $0.receiptPath = receiptPath
            }
        case .deferred(let id, let at, let next, let outcome):
            try move(id, to: .deferred, at: at, outcome: outcome) { $0.nextAttemptAt = next }
        case .dead(let id, let at, let outcome):
            try move(id, to: .dead, at: at, outcome: outcome) { $0.nextAttemptAt = nil }
        case .requeued(let id, let at):
            try move(id, to: .queued, at: at) { $0.nextAttemptAt = at }
        case .cancelled(let id, let at):
            try move(id, to: .cancelled, at: at) { $0.nextAttemptAt = nil }
        }
    }

    private mutating func move(
        _ id: String, to state: OutboxState, at: Date, outcome: DeliveryOutcome? = nil,
        _ update: (inout OutboxEntry) -> Void
    ) throws(OutboxError) {
        guard let index = entries.index(forKey: id) else { throw .unknownID(id) }
        let current = entries.values[index].state
        guard current.successors.contains(state) else {
            throw .illegalTransition(id: id, from: current, to: state)
        }
        untrack(id: id, state: current, destination: entries.values[index].destination)
        // In place through the index: copying the entry out would copy its history each time.
        entries.values[index].state = state
        entries.values[index].history.append(OutboxTransition(at: at, state: state, outcome: outcome))
        update(&entries.values[index])
        track(entries.values[index])
    }

    private mutating func track(_ entry: borrowing OutboxEntry) {
        switch entry.state {
        case .queued, .deferred:
            waiting[entry.id] = Waiting(
                destination: entry.destination, nextAttemptAt: entry.nextAttemptAt ?? entry.createdAt, createdAt: entry.createdAt)
        case .sending: sending[entry.destination, default: 0] += 1
        case .delivered, .dead, .cancelled: break
        }
    }

    private mutating func untrack(id: String, state: OutboxState, destination: String) {
        switch state {
        case .queued, .deferred: waiting[id] = nil
        case .sending:
            let left = (sending[destination] ?? 1) - 1
            sending[destination] = left > 0 ? left : nil
        case .delivered, .dead, .cancelled: break
        }
    }

    /// Forgets delivered and cancelled entries among `ids` (after a snapshot without them).
    mutating func forgetFinal(_ ids: [String]) {
        for id in ids where entries[id]?.state.isFinal == true { entries[id] = nil }
    }
}
