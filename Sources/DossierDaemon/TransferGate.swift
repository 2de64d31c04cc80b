/// At most a peer's `max_concurrent` transfers to it at once, whatever else its claimed
/// archives are doing: the push service claims up to twice that many, so that the ones whose
/// transfer has ended keep their receipt and record their outcome (about three syncs) off the
/// peer's share. Waiters get a freed place in the order they came.
actor TransferGate {
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Returns once fewer than `limit` transfers to `peer` run, counting this one in.
    func enter(_ peer: String, limit: Int) async {
        if running[peer, default: 0] < max(1, limit) {
            running[peer, default: 0] += 1
            return
        }
        // The place is handed over by `leave`, which leaves `running` as it is.
        await withCheckedContinuation { waiting[peer, default: []].append($0) }
    }

    /// Ends a transfer `enter` admitted: its place goes to the first waiter, if any.
    func leave(_ peer: String) {
        if var queue = waiting[peer], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[peer] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            let left = running[peer, default: 1] - 1
            running[peer] = left > 0 ? left : nil
        }
    }
}
