import DossierArchive
import DossierInbox
import DossierModel
import DossierOutbox
import DossierSystem
import DossierTransport
import Foundation
import Logging
import Synchronization

/// The running authority's shared state: its identity and trust, the outbox, the inbox, the
/// peer client and the current config. Every service holds one; reload swaps the parts that
/// may change. Thread-safe.
final class Authority: Sendable {
    let layout: StateLayout
    let outbox: Outbox
    let inbox: Inbox
    let operations: PeerOperations
    /// Where packing, verification, digests and other blocking file work run.
    let pool: BlockingPool
    let errors = RecentErrors()
    let logger: Logger
    let startedAt = Date()
    private let current: Mutex<(config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup)>
    private let listenAddress = Mutex<String>("")
    let metrics = DaemonMetrics()
    /// The inbound server's TLS credentials, set once the server is built (reloaded on SIGHUP).
    let serverTLS = Mutex<ServerTLSContext?>(nil)
    /// Wakes the push loop when an archive is queued or requeued.
    let pushWake = WakeSignal()
    /// While a required TSA fails, one packing at a time asks it (`[timestamp] wait` apart).
    let timestampGate = TimestampGate()

    init(
        config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup, layout: StateLayout, outbox: Outbox, inbox: Inbox,
        operations: PeerOperations, pool: BlockingPool, logger: Logger
    ) {
        self.layout = layout
        self.pool = pool
        self.outbox = outbox
        self.inbox = inbox
        self.operations = operations
        self.logger = logger
        current = Mutex((config, identity, timestamps))
    }

    var config: DaemonConfig { current.withLock { $0.config } }
    var identity: SigningIdentity { current.withLock { $0.identity } }
    var code: String { config.authorityCode }

    /// How archives are timestamped and received tokens judged, as configured now.
    var timestamps: TimestampSetup { current.withLock { $0.timestamps } }

    func replace(config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup) {
        current.withLock { $0 = (config, identity, timestamps) }
        inbox.replaceTimestamps(timestamps.receiving, receipts: timestamps.packing)
    }

    var listen: String {
        get { listenAddress.withLock { $0 } }
        set { listenAddress.withLock { $0 = newValue } }
    }

    /// Checks, packs and queues a dossier for `destination`; returns once the entry is durable.
    /// With a required timestamp, packing waits up to `[timestamp] wait` for the TSA; if it
    /// still fails, `SubmitError.timestampUnavailable` (retryable: the dossier is kept), and
    /// for the next `wait` other submissions get that answer at once, without packing.
    /// - Throws: `DossierPackager.Refusal`, `ArchiveError`, `OutboxError`, `SubmitError`.
    func submit(dossierDirectory: URL, destination: String) async throws -> PackResult {
        let config = config
        guard config.peer(destination) != nil else { throw SubmitError.unknownPeer(destination) }
        let free = try FreeSpace.available(at: layout.staging.path)
        guard free >= config.storage.freeSpaceReserve else {
            throw SubmitError.noSpace(path: layout.staging.path, free: free, reserve: config.storage.freeSpaceReserve)
        }
        let (identity, staging, timestamping) = (identity, layout.staging, timestamps.packing)
        let gated = timestamping?.required == true
        if gated, let failure = timestampGate.admit() { throw SubmitError.timestampUnavailable(failure) }
        let packed: PackResult
        do {
            packed = try await pool.run {
                try DossierPackager.pack(
                    dossierDirectory: dossierDirectory, destination: destination, identity: identity,
                    policy: config.policy, outputDirectory: staging, timestamping: timestamping)
            }
        } catch ArchiveError.timestamp(let error) {
            if gated { timestampGate.record(.failed(error), pause: config.timestamp.wait) }
            throw SubmitError.timestampUnavailable(error)
        } catch {
            if gated { timestampGate.record(.other, pause: config.timestamp.wait) }
            throw error
        }
        if gated { timestampGate.record(.token, pause: config.timestamp.wait) }
        if let problem = packed.timestampProblem {
            logger.warning("archive signed without a timestamp", metadata: ["id": "\(packed.id)", "reason": "\(problem)"])
            errors.record(id: packed.id, peer: destination, error: "signed without a timestamp: \(problem)")
        }
        do {
            _ = try await outbox.enqueue(
                archive: URL(fileURLWithPath: packed.path), id: packed.id, destination: destination,
                digest: packed.sha256, size: packed.size)
        } catch {
            try? FileManager.default.removeItem(atPath: packed.path)
            throw error
        }
        pushWake.signal()
        logger.info(
            "archive queued",
            metadata: [
                "id": "\(packed.id)", "peer": "\(destination)", "bytes": "\(packed.size)",
                "source": "\(dossierDirectory.lastPathComponent)",
            ])
        return packed
    }

    /// Keeps a peer's signed receipt as `receipts/<id>.<suffix>.p7m`, durably, and returns its
    /// path relative to the state directory (as the journal records it, so that a moved state
    /// directory still finds it; `layout.resolve` makes it absolute).
    /// - Throws: `SystemError`.
    func storeReceipt(_ signed: [UInt8], id: String, suffix: String) throws(SystemError) -> String {
        let relative = "receipts/\(id).\(suffix).p7m"
        try DurableFile.write(signed, to: layout.resolve(relative))
        return relative
    }
}

/// Why a submission was refused before packing.
enum SubmitError: Error, CustomStringConvertible {
    case unknownPeer(String)
    /// The state file system has less free space than `state.free_space_reserve`.
    case noSpace(path: String, free: UInt64, reserve: UInt64)
    /// `[timestamp] required` and the TSA did not give a usable token within `[timestamp] wait`.
    case timestampUnavailable(TimestampError)

    /// True when the same submission may succeed later as it stands.
    var isRetryable: Bool {
        switch self {
        case .noSpace, .timestampUnavailable: return true
        case .unknownPeer: return false
        }
    }

    var description: String {
        switch self {
        case let .unknownPeer(code): return "no peer \(code) in the configuration"
        case let .noSpace(path, free, reserve):
            return "\(path): only \(free) bytes of free space, below the reserve of \(reserve) (state.free_space_reserve); "
                + "try again when there is room"
        case let .timestampUnavailable(error):
            return "\(error); [timestamp] required is set, so nothing was packed; try again when the TSA answers"
        }
    }
}
