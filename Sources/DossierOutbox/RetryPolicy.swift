import Foundation

/// When to try a failed delivery again, and when to give up (docs/architecture.md "Entry states").
///
/// Exponential backoff with full jitter: after the n-th consecutive failure the delay is drawn
/// uniformly from `0...min(cap, firstDelay × factor^(n-1))`, and never less than the peer's
/// `Retry-After` up to `cap`: a peer cannot park an entry longer than the backoff's own longest
/// wait. An entry older than `giveUpAfter`, or one that got a permanent answer,
/// is given up. A pure value: thread-safe, no I/O.
public struct RetryPolicy: Sendable, Hashable {
    /// The backoff ceiling after the first failure.
    public let firstDelay: TimeInterval
    /// How much the ceiling grows with each further failure (≥ 1).
    public let factor: Double
    /// The largest backoff ceiling.
    public let cap: TimeInterval
    /// Age after which a still undelivered entry goes `dead`.
    public let giveUpAfter: TimeInterval

    /// Defaults of docs/architecture.md "Entry states": 5 s, ×2, capped at 10 min, give up after 72 h.
    public init(
        firstDelay: TimeInterval = 5, factor: Double = 2, cap: TimeInterval = 600,
        giveUpAfter: TimeInterval = 72 * 3600
    ) {
        self.firstDelay = max(0, firstDelay)
        self.factor = max(1, factor)
        self.cap = max(0, cap)
        self.giveUpAfter = max(0, giveUpAfter)
    }

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        /// Try again at this time.
        case retry(at: Date)
        /// Stop: the outcome was permanent or the entry is too old.
        case giveUp
    }

    /// The upper bound of the jittered delay after `failures` consecutive failures (≥ 1).
    /// Non-decreasing in `failures` and never above `cap`.
    public func ceiling(afterFailures failures: Int) -> TimeInterval {
        let exponent = Double(max(0, failures - 1))
        let raw = firstDelay * pow(factor, exponent)
        return raw.isFinite ? min(cap, raw) : cap
    }

    /// The delay before the next attempt: uniform in `0...ceiling`, raised to `retryAfter`
    /// but never above `cap` by it.
    public func delay(
        afterFailures failures: Int, retryAfter: TimeInterval?,
        using generator: inout some RandomNumberGenerator
    ) -> TimeInterval {
        let top = ceiling(afterFailures: failures)
        let jittered = top > 0 ? Double.random(in: 0...top, using: &generator) : 0
        guard let retryAfter, retryAfter.isFinite else { return jittered }
        return max(jittered, min(cap, retryAfter))
    }

    /// Retry or give up after `outcome`, the `failures`-th consecutive failure of an entry
    /// created at `createdAt`.
    public func decide(
        outcome: DeliveryOutcome, failures: Int, createdAt: Date, now: Date,
        using generator: inout some RandomNumberGenerator
    ) -> Decision {
        guard outcome.isRetryable, now.timeIntervalSince(createdAt) < giveUpAfter else { return .giveUp }
        let wait = delay(afterFailures: failures, retryAfter: outcome.retryAfter, using: &generator)
        return .retry(at: now.addingTimeInterval(wait))
    }
}
