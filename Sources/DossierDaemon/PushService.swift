import DossierArchive
import DossierOutbox
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle

/// Delivers the outbox to push-mode peers: claims due entries within each peer's limit, pushes
/// each through libcurl, keeps the receipt durably and records the outcome in the journal.
/// On graceful shutdown it stops claiming and lets transfers in flight finish (the caller
/// bounds how long); an entry interrupted mid-push is queued again at the next start.
final class PushService: Service, Sendable {
    private let outbox: Outbox
    private let operations: PeerOperations
    private let settings: Settings
    private let receiptsDirectory: URL
    private let errors: RecentErrors
    private let logger: Logger
    private let metrics = DaemonMetrics()
    /// Wakes the loop when something is enqueued or requeued.
    let wake = WakeSignal()

    /// The part of the config the service reads, swapped atomically on reload.
    final class Settings: @unchecked Sendable {
        // Safe: `peers` is only touched under `lock`.
        private let lock = NSLock()
        private var peers: [String: DaemonConfig.Peer]

        init(peers: [DaemonConfig.Peer]) { self.peers = Dictionary(uniqueKeysWithValues: peers.map { ($0.code, $0) }) }

        func update(_ peers: [DaemonConfig.Peer]) {
            lock.withLock { self.peers = Dictionary(uniqueKeysWithValues: peers.map { ($0.code, $0) }) }
        }

        func peer(_ code: String) -> DaemonConfig.Peer? { lock.withLock { peers[code] } }

        /// Peers we push to (push or both).
        var pushPeers: Set<String> { lock.withLock { Set(peers.values.filter { $0.mode != .pull }.map(\.code)) } }
    }

    init(outbox: Outbox, operations: PeerOperations, settings: Settings, receiptsDirectory: URL,
         errors: RecentErrors, logger: Logger) {
        self.outbox = outbox
        self.operations = operations
        self.settings = settings
        self.receiptsDirectory = receiptsDirectory
        self.errors = errors
        self.logger = logger
    }

    private static let maxInFlight = 64

    func run() async throws {
        let inFlight = InFlightCounter()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = Self.maxInFlight - inFlight.value
                var claimed: [OutboxEntry] = []
                if free > 0 {
                    do {
                        claimed = try await outbox.claimDue(now: Date(), limit: free, destinations: settings.pushPeers)
                    } catch {
                        logger.error("outbox claim failed", metadata: ["error": "\(error)"])
                        errors.record(id: nil, peer: nil, error: "outbox: \(error)")
                    }
                }
                for entry in claimed {
                    inFlight.add(1)
                    group.addTask {
                        await self.deliver(entry)
                        inFlight.add(-1)
                        self.wake.signal()
                    }
                }
                let nextDue = await outbox.nextAttemptDate(destinations: settings.pushPeers)
                let pause = nextDue.map { $0.timeIntervalSinceNow > 0 ? min(1, $0.timeIntervalSinceNow) : 1 } ?? 1
                let timeout = claimed.isEmpty ? pause : 0.001
                await cancelWhenGracefulShutdown { await self.wake.wait(timeout: timeout) }
            }
        }
    }

    /// One push and its bookkeeping. Never throws: every outcome ends in the journal.
    private func deliver(_ entry: OutboxEntry) async {
        let start = Date()
        var meta: Logger.Metadata = ["id": "\(entry.id)", "peer": "\(entry.destination)", "bytes": "\(entry.size)"]
        guard let peer = settings.peer(entry.destination) else {
            await fail(entry, .refused(status: 0, detail: "peer \(entry.destination) is not configured"), meta: meta, start: start)
            return
        }
        let outcome: PushOutcome
        do {
            outcome = try await operations.push(baseURL: peer.url, peer: peer.code, id: entry.id, path: entry.archivePath,
                                                size: entry.size, digest: entry.digest)
        } catch let error as TransportError {
            await fail(entry, Self.outcome(of: error), meta: meta, start: start)
            return
        } catch {
            await fail(entry, .network("\(error)"), meta: meta, start: start)
            return
        }
        switch outcome {
        case let .delivered(_, signed, again):
            do {
                let path = try storeReceipt(signed, id: entry.id, suffix: "receipt")
                try await outbox.recordSuccess(id: entry.id, receiptPath: path)
                meta["outcome"] = again ? "delivered-again" : "delivered"
                meta["seconds"] = "\(String(format: "%.3f", Date().timeIntervalSince(start)))"
                logger.info("transfer delivered", metadata: meta)
                metrics.transfer(peer: entry.destination, outcome: "delivered", bytes: entry.size, seconds: Date().timeIntervalSince(start))
            } catch {
                logger.error("delivered but not recorded; will push again", metadata: meta.merging(["error": "\(error)"]) { $1 })
                errors.record(id: entry.id, peer: entry.destination, error: "recording delivery: \(error)")
            }
        case let .rejected(_, signed, detail):
            if let signed { _ = try? storeReceipt(signed, id: entry.id, suffix: "rejection") }
            await fail(entry, .rejected(detail), meta: meta, start: start)
        case let .refused(status, detail):
            await fail(entry, .refused(status: status, detail: detail), meta: meta, start: start)
        case let .retryLater(status, retryAfter, _):
            await fail(entry, .httpStatus(status, retryAfter: retryAfter), meta: meta, start: start)
        case let .badReceipt(problem):
            await fail(entry, .badReceipt(problem.description), meta: meta, start: start)
        }
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
        metrics.transfer(peer: entry.destination, outcome: outcome.metricLabel, bytes: 0, seconds: Date().timeIntervalSince(start))
    }

    /// Keeps a signed receipt as `receipts/<id>.<suffix>.p7m`, durably.
    private func storeReceipt(_ signed: [UInt8], id: String, suffix: String) throws -> String {
        let file = try DurableFile(finalURL: receiptsDirectory.appendingPathComponent("\(id).\(suffix).p7m"))
        try file.write(signed)
        try file.commit()
        return file.finalURL.path
    }

    static func outcome(of error: TransportError) -> DeliveryOutcome {
        switch error {
        case let .tls(_, detail): return .tls(detail)
        case .timeout: return .timeout
        case let .dns(_, detail), let .connect(_, detail), let .connectionLost(_, detail): return .network(detail)
        case .cancelled: return .network("cancelled (shutting down)")
        case .responseTooLarge, .file, .setup: return .refused(status: 0, detail: error.description)
        }
    }
}

/// Transfers in flight, shared by the loop and its child tasks.
private final class InFlightCounter: @unchecked Sendable {
    // Safe: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ delta: Int) { lock.withLock { count += delta } }
}
