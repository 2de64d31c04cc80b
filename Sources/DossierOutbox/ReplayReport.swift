/// What `Outbox.open` found: meant to be logged, and shown when it is not empty.
public struct ReplayReport: Sendable, Equatable {
    /// Segment and snapshot files read, in replay order.
    public var filesRead: [String] = []
    /// Records applied (snapshot entries included).
    public var recordsReplayed = 0
    /// Torn tails truncated (at most one, in the newest segment).
    public var tornTails: [TornTail] = []
    /// Damage outside the tail. Non-empty only when opened with `acceptDamage`.
    public var damage: [JournalDamage] = []
    /// Spool files with no journal entry, moved to `spool/orphans/` (paths after the move).
    public var spoolOrphans: [String] = []
    /// Ids of live entries whose spool file is missing.
    public var missingSpoolFiles: [String] = []
    /// Ids found `sending` (the previous run died mid-delivery), put back to `queued`.
    public var releasedClaims: [String] = []

    /// True when nothing needs an operator's attention (a torn tail is routine after a crash).
    public var isClean: Bool { damage.isEmpty && spoolOrphans.isEmpty && missingSpoolFiles.isEmpty }
}
