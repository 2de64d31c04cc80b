import DossierArchive
import DossierOutbox
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the outbox to push-mode peers: claims due entries within each peer's limit, pushes
/// each through libcurl, keeps the receipt durably and records the outcome in the journal.
/// On graceful shutdown it stops claiming and lets transfers in flight finish (the caller
/// bounds how long); an entry interrupted mid-push is queued again at the next start.
final class PushService: Service, Sendable {
    private let authority: Authority
    private var outbox: Outbox { authority.outbox }
    private var logger: Logger { authority.logger }
    private var errors: RecentErrors { authority.errors }

    /// The peers' `max_concurrent` and `[push] max_transfers`, counted in transfers rather
    /// than claimed archives.
    private let gate: TransferGate

    init(authority: Authority) {
        self.authority = authority
        gate = TransferGate(total: authority.config.maxTransfers)
    }

    /// Peers we push to (mode push or both), from the current config: a suspended authority, or
    /// one no longer listed, is not among them, so its archives are held, not attempted.
    private var pushPeers: [String: DaemonConfig.Peer] {
        Dictionary(authority.config.peers.filter { $0.mode != .pull }.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private static let maxInFlight = 64

    func run() async throws {
        let inFlight = InFlightCounter()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = Self.maxInFlight - inFlight.value
                var claimed: [OutboxEntry] = []
                // One snapshot per round: an entry is pushed to the peer it was claimed for, even
                // when a reload or a directory swaps the peers meanwhile.
                let peers = pushPeers
                if free > 0 {
                    do {
                        // Twice the peer's limit claimed: while `max_concurrent` transfers run
                        // (`gate`), as many more keep receipts and journal records, or wait.
                        claimed = try await outbox.claimDue(
                            now: Date(), limit: free, destinations: peers.mapValues { 2 * $0.maxConcurrent })
                    } catch {
                        logger.error("outbox claim failed", metadata: ["error": "\(error)"])
                        errors.record(id: nil, peer: nil, error: "outbox: \(error)")
                    }
                }
                for entry in claimed {
                    inFlight.add(1)
                    group.addTask {
                        await self.deliver(entry, to: peers[entry.destination])
                        inFlight.add(-1)
                        self.authority.pushWake.signal()
                    }
                }
                let nextDue = await outbox.nextAttemptDate(destinations: peers.mapValues(\.maxConcurrent))
                let pause = nextDue.map { $0.timeIntervalSinceNow > 0 ? min(1, $0.timeIntervalSinceNow) : 1 } ?? 1
                let timeout = claimed.isEmpty ? pause : 0.001
                await cancelWhenGracefulShutdown { await self.authority.pushWake.wait(timeout: timeout) }
            }
        }
    }

    /// One push and its bookkeeping. Never throws: every outcome ends in the journal.
    private func deliver(_ entry: OutboxEntry, to peer: DaemonConfig.Peer?) async {
        let start = Date()
        var meta: Logger.Metadata = ["id": "\(entry.id)", "peer": "\(entry.destination)", "bytes": "\(entry.size)"]
        guard let peer else {
            await fail(entry, .local("peer \(entry.destination) is not configured"), meta: meta, start: start)
            return
        }
        await gate.enter(peer.code, limit: peer.maxConcurrent)
        let answer = await authority.operations.send(
            baseURL: peer.url, peer: peer.identity, id: entry.id, path: entry.archivePath,
            size: entry.size, digest: entry.digest)
        await gate.leave(peer.code)
        // The receipt is checked with the peer's place already free: a transfer still holding
        // it would leave the peer fewer uploads at once than `max_concurrent`, and the peer's
        // group commits smaller.
        let result = authority.operations.judge(answer)
        switch result {
        case let .delivered(_, signed, again):
            do {
                let path = try await authority.keepReceipt(
                    signed, id: entry.id, suffix: "receipt", peer: entry.destination, digest: entry.digest)
                try await outbox.recordSuccess(id: entry.id, receiptPath: path)
                meta["outcome"] = again ? "delivered-again" : "delivered"
                meta["seconds"] = "\(Self.threeDecimals(Date().timeIntervalSince(start)))"
                logger.info("transfer delivered", metadata: meta)
                authority.metrics.transfer(
                    peer: entry.destination, outcome: "delivered", bytes: entry.size, seconds: Date().timeIntervalSince(start))
            } catch {
                // The peer holds the archive; this side could not keep its receipt. The entry
                // must not stay `sending` (held against the peer's limit, beyond `retry` and
                // `cancel`, until a restart): it is deferred with backoff and pushed again, and
                // the peer answers the repeated push with its receipt. (Had the journal failed,
                // this record fails too; the entry is queued again at the next start.)
                logger.error("delivered but not recorded", metadata: meta.merging(["error": "\(error)"]) { $1 })
                await fail(entry, .unrecorded("\(error)"), meta: meta, start: start)
            }
        case let .failed(outcome, rejection):
            if let signed = rejection?.signed {
                do {
                    _ = try await authority.keepReceipt(
                        signed, id: entry.id, suffix: "rejection", peer: entry.destination, digest: entry.digest)
                } catch {
                    logger.error("the peer's signed rejection could not be kept", metadata: meta.merging(["error": "\(error)"]) { $1 })
                }
            }
            await fail(entry, outcome, meta: meta, start: start)
        }
    }

    /// `seconds` with three decimals; `String(format:)` costs more than the rest of the log line.
    static func threeDecimals(_ seconds: Double) -> String {
        let millis = Int((max(0, seconds) * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    private func fail(_ entry: OutboxEntry, _ outcome: DeliveryOutcome, meta: Logger.Metadata, start: Date) async {
        var meta = meta
        meta["outcome"] = "\(outcome)"
        do {
            let updated = try await outbox.recordFailure(id: entry.id, outcome: outcome)
            meta["state"] = "\(updated.state)"
            if let next = updated.nextAttemptAt { meta["next"] = "\(next.formatted(.iso8601))" }
        } catch {
            meta["journal"] = "\(error)"
        }
        logger.warning("transfer failed", metadata: meta)
        errors.record(id: entry.id, peer: entry.destination, error: "\(outcome)")
        authority.metrics.transfer(
            peer: entry.destination, outcome: outcome.metricLabel, bytes: 0, seconds: Date().timeIntervalSince(start))
    }
}

/// Transfers in flight, shared by the loop and its child tasks.
private final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }
}
