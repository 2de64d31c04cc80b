import Hummingbird
import Synchronization

/// Events a minute per caller, as token buckets (docs/protocol.md): each caller's bucket holds up
/// to `perMinute` tokens, refilled evenly over a minute. Requests take a token each as they come
/// (`take`); rejected archives are charged after the fact (`charge`) and may run the bucket into
/// debt, down to one minute's worth, which is then paid off before the caller's next upload
/// (`wait`). Memory is one bucket per authenticated caller (peers are the certificates the CA
/// issued). Thread-safe.
final class RequestRate: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let capacity: Double
    private let perSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perMinute: Int) {
        capacity = Double(max(1, perMinute))
        perSecond = capacity / 60
    }

    /// Takes a token for `caller`; nil when granted, else the whole seconds until one is there.
    func take(caller: String, now: ContinuousClock.Instant = .now) -> Int? {
        withBucket(of: caller, now: now) { bucket in
            guard bucket.tokens >= 1 else { return wait(for: bucket) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Nil when `caller` has a token, else the whole seconds until it has one; takes nothing.
    func wait(caller: String, now: ContinuousClock.Instant = .now) -> Int? {
        withBucket(of: caller, now: now) { bucket in bucket.tokens >= 1 ? nil : wait(for: bucket) }
    }

    /// Takes a token from `caller`'s bucket whether or not one is there.
    func charge(caller: String, now: ContinuousClock.Instant = .now) {
        withBucket(of: caller, now: now) { bucket in bucket.tokens = max(-capacity, bucket.tokens - 1) }
    }

    private func wait(for bucket: Bucket) -> Int { Int(((1 - bucket.tokens) / perSecond).rounded(.up)) }

    /// Runs `body` on `caller`'s bucket refilled up to `now`.
    private func withBucket<T>(of caller: String, now: ContinuousClock.Instant, _ body: (inout Bucket) -> T) -> T {
        buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = Double((now - bucket.updated) / .milliseconds(1)) / 1000
            bucket.tokens = min(capacity, bucket.tokens + max(0, elapsed) * perSecond)
            bucket.updated = now
            defer { buckets[caller] = bucket }
            return body(&bucket)
        }
    }
}

/// Answers 429 + `Retry-After` to a caller whose `RequestRate` bucket is empty, before routing.
struct RequestRateMiddleware: RouterMiddleware {
    typealias Context = PeerRequestContext
    let rate: RequestRate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Certificates without an authority code (answered 403 anyway) share one bucket.
        if let wait = rate.take(caller: await context.callerAuthority() ?? "") {
            throw PeerHTTPError(.tooManyRequests, "too-many-requests", "more requests than allowed a minute", retryAfter: wait)
        }
        return try await next(request, context)
    }
}
