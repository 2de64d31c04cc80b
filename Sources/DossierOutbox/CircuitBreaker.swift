/// A destination's circuit (docs/architecture.md "Entry states"): after `threshold` consecutive failures only one
/// attempt at a time is let through, until one succeeds. Held in memory only: a restart
/// closes every circuit, which at worst costs one round of failed attempts.
struct CircuitBreaker {
    private(set) var consecutiveFailures = 0

    func isOpen(threshold: Int) -> Bool { consecutiveFailures >= threshold }

    /// How many attempts may be in flight at once.
    func allowedInFlight(threshold: Int, normalLimit: Int) -> Int {
        isOpen(threshold: threshold) ? 1 : normalLimit
    }

    mutating func recordSuccess() { consecutiveFailures = 0 }
    mutating func recordFailure() { consecutiveFailures += 1 }
}
