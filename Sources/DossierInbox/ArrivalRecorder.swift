import DossierTransport

/// Where the inbox logs each decided arrival before it signs the receipt (the daemon's
/// custody log), so that the receipt can point at the log entry.
public protocol ArrivalRecorder: Sendable {
    /// Records the arrival `entry` (accepted or rejected) durably and returns where it was
    /// logged, with a signed checkpoint covering it. Blocking: the inbox calls it from the
    /// thread that verifies the archive, never from the cooperative pool.
    /// - Throws: when it cannot be recorded; the inbox then stores nothing and the sender retries.
    func record(_ entry: InboxEntry) throws -> CustodyReference
}
