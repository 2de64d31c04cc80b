/// Where an outbox entry stands (docs/architecture.md "Entry states").
///
/// `delivered` and `cancelled` are final; `dead` waits for an operator to requeue or cancel it.
public enum OutboxState: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case queued = 1
    case sending = 2
    case delivered = 3
    case deferred = 4
    case dead = 5
    case cancelled = 6

    /// Whether the entry still holds a spool file and a place in the queue.
    public var isFinal: Bool { self == .delivered || self == .cancelled }

    /// The states an entry may move to from this one; everything else is an illegal transition.
    ///
    /// `sending → queued` is only taken when a claim is released (a restart found the entry
    /// in flight), never by an operator.
    public var successors: Set<OutboxState> {
        switch self {
        case .queued: [.sending, .cancelled]
        case .sending: [.delivered, .deferred, .dead, .queued]
        case .deferred: [.sending, .queued, .dead, .cancelled]
        case .dead: [.queued, .cancelled]
        case .delivered, .cancelled: []
        }
    }

    /// A one-line text for logs and `dossierctl`.
    public var description: String {
        switch self {
        case .queued: "queued"
        case .sending: "sending"
        case .delivered: "delivered"
        case .deferred: "deferred"
        case .dead: "dead"
        case .cancelled: "cancelled"
        }
    }
}
