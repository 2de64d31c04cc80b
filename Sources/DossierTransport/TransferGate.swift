/// At most `limit` transfers to a peer at once, and at most `total` transfers in all, whatever
/// else the callers are doing: a transfer is the request and its answer (`PeerOperations.send`),
/// not the receipt's check (`judge`) nor what the caller records afterwards. The daemon's push
/// service claims up to twice a peer's `max_concurrent`, so that the archives whose transfer
/// has ended check and keep their receipt and record their outcome (about three syncs) off the
/// peer's share; the overall cap keeps a network of hundreds of peers from running hundreds of
/// uploads at once on a few cores. Waiters get a freed place in the order they came, each as
/// soon as both its peer and the total have room.
public actor TransferGate {
    private let total: Int
    private var runningAll = 0
    private var running: [String: Int] = [:]
    private var waiting: [(peer: String, limit: Int, resume: CheckedContinuation<Void, Never>)] = []

    /// A gate admitting at most `total` transfers in all.
    public init(total: Int) { self.total = max(1, total) }

    /// Returns once fewer than `limit` transfers to `peer`, and fewer than the total in all,
    /// run, counting this one in.
    public func enter(_ peer: String, limit: Int) async {
        // Every waiter is blocked (`leave` admits all it can at once), so a transfer with room
        // overtakes none that could run: peers blocked by their own limit do not hold up others.
        if admits(peer, limit) {
            admit(peer)
            return
        }
        // `leave` counts the transfer in when it hands over the place.
        await withCheckedContinuation { waiting.append((peer, limit, $0)) }
    }

    /// Ends a transfer `enter` admitted, and admits the waiters that now have room, in order.
    public func leave(_ peer: String) {
        runningAll -= 1
        let left = running[peer, default: 1] - 1
        running[peer] = left > 0 ? left : nil
        var index = 0
        while index < waiting.count, runningAll < total {
            let next = waiting[index]
            guard admits(next.peer, next.limit) else {
                index += 1
                continue
            }
            waiting.remove(at: index)
            admit(next.peer)
            next.resume.resume()
        }
    }

    private func admits(_ peer: String, _ limit: Int) -> Bool {
        runningAll < total && running[peer, default: 0] < max(1, limit)
    }

    private func admit(_ peer: String) {
        runningAll += 1
        running[peer, default: 0] += 1
    }
}
