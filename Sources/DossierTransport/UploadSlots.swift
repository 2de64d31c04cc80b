import Synchronization

/// A counting limit on concurrent uploads that never waits: beyond the limit the caller is
/// told to come back later (503 + Retry-After) instead of queueing bytes in memory.
/// Thread-safe.
final class UploadSlots: Sendable {
    private let limit: Int
    private let inUse = Mutex(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot; false when all are taken.
    func tryAcquire() -> Bool {
        inUse.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() {
        inUse.withLock { $0 = max(0, $0 - 1) }
    }
}
