import Foundation

/// Counts for `dossierctl status` and the admin API: a value snapshot.
public struct OutboxSummary: Sendable, Equatable {
    /// Entries per state (states with none are absent).
    public var byState: [OutboxState: Int] = [:]
    /// Entries per destination and state.
    public var byDestination: [String: [OutboxState: Int]] = [:]
    /// Age of the oldest entry still waiting for delivery (queued, deferred or sending), or nil.
    public var oldestWaitingAge: TimeInterval?
    /// Destinations whose circuit is open (only one probe attempt at a time).
    public var openCircuits: [String] = []
    /// When the last delivery to each destination was recorded (the latest delivered entry per
    /// destination is kept across compactions, so this survives restarts).
    public var lastDelivered: [String: Date] = [:]
}
