import Synchronization

/// A counting limit on concurrent uploads, in all and per caller, that never waits: beyond
/// either limit the caller is told to come back later instead of queueing bytes in memory. One
/// caller can hold at most its own share, so the others always find slots. Thread-safe.
final class UploadSlots: Sendable {
    /// Why no slot was given.
    enum Refusal: Error, Equatable {
        /// Every slot is taken (503).
        case full(limit: Int)
        /// This caller holds its share already (429).
        case callerFull(limit: Int)
    }

    private let limit: Int
    private let perCaller: Int
    private let inUse = Mutex<(total: Int, byCaller: [String: Int])>((0, [:]))

    init(limit: Int, perCaller: Int) {
        self.limit = max(1, limit)
        self.perCaller = max(1, perCaller)
    }

    /// Takes a slot for `caller`; release it with `release(caller:)`.
    func acquire(caller: String) throws(Refusal) {
        let refusal: Refusal? = inUse.withLock { state in
            guard state.total < limit else { return .full(limit: limit) }
            let held = state.byCaller[caller, default: 0]
            guard held < perCaller else { return .callerFull(limit: perCaller) }
            state.total += 1
            state.byCaller[caller] = held + 1
            return nil
        }
        if let refusal { throw refusal }
    }

    func release(caller: String) {
        inUse.withLock { state in
            state.total = max(0, state.total - 1)
            let held = state.byCaller[caller, default: 0]
            state.byCaller[caller] = held > 1 ? held - 1 : nil
        }
    }
}
