import Foundation

/// An archive waiting for delivery, or the record of one that was delivered or given up.
///
/// A value snapshot: it does not change when the outbox does.
public struct OutboxEntry: Sendable, Hashable {
    /// The archive's id, unique in the outbox, also its spool file name.
    public let id: String
    /// The destination authority's code.
    public let destination: String
    /// The spool file holding the archive until it is delivered or cancelled.
    public let archivePath: String
    /// The archive's digest, as given at enqueue.
    public let digest: String
    /// The archive's size in bytes.
    public let size: UInt64
    /// When it was enqueued.
    public let createdAt: Date
    /// The current state.
    public internal(set) var state: OutboxState
    /// When the next attempt is due (for `queued` and `deferred` entries).
    public internal(set) var nextAttemptAt: Date?
    /// The peer's receipt, once `delivered`.
    public internal(set) var receiptPath: String?
    /// Every state change since enqueue, oldest first.
    public internal(set) var history: [OutboxTransition]

    /// The same entry with its spool file at `path`.
    func relocated(to path: String) -> OutboxEntry {
        OutboxEntry(
            id: id, destination: destination, archivePath: path, digest: digest, size: size, createdAt: createdAt,
            state: state, nextAttemptAt: nextAttemptAt, receiptPath: receiptPath, history: history)
    }

    /// The failed attempts, oldest first.
    public var failures: [OutboxTransition] { history.filter { $0.outcome != nil } }

    /// When it was delivered, for a `delivered` entry.
    public var deliveredAt: Date? {
        state == .delivered ? history.last { $0.state == .delivered }?.at : nil
    }

    /// How many times delivery was started.
    public var attemptCount: Int { history.count { $0.state == .sending } }
}
