import Foundation

/// One step of an entry's history: the state it entered, when, and the failure that caused it.
public struct OutboxTransition: Sendable, Hashable {
    /// When the change was recorded.
    public var at: Date
    /// The state entered.
    public var state: OutboxState
    /// The failed attempt behind a `deferred` or `dead`, if any.
    public var outcome: DeliveryOutcome?
}
