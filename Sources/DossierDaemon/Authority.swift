import DossierArchive
import DossierCustody
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
    private let current:
        Mutex<(config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup, directory: AuthorityDirectory?)>
    private let listenAddress = Mutex<String>("")
    let metrics = DaemonMetrics()
    /// The inbound server's TLS credentials, set once the server is built (reloaded on SIGHUP).
    let serverTLS = Mutex<ServerTLSContext?>(nil)
    /// Wakes the push loop when an archive is queued or requeued.
    let pushWake = WakeSignal()
    /// How far each dossier being packed has got.
    let packingProgress = PackingProgress()
    /// The folders submissions pack into.
    let staging: StagingFolders
    /// How the fetches of `tls.crl_urls` last went.
    let crlFetches = CRLFetches()
    /// Wakes the CRL refresh before its period, when a reload changed `tls.crl_urls`.
    let crlWake = WakeSignal()
    /// How the fetches of `[directory] url` last went, and the validators for the next one.
    let directoryFetches = DirectoryFetches()
    /// Wakes the directory refresh before its period, on a reload.
    let directoryWake = WakeSignal()

    /// The credit restriction list screened at every packing (`[policy.credit]`).
    let credit = CreditLists()

    /// The custody log: every packing, sending, receipt and arrival.
    let custody: Custody
    /// Which archive each queued dossier became, per destination.
    let submissions: SubmissionIndex
    /// Completion notices sent (as destination) and received (as origin).
    let completions: Completions
    private let queueing = SingleFlight<SubmissionIndex.Record>()
    /// While a required TSA fails, one packing at a time asks it (`[timestamp] wait` apart).
    let timestampGate = TimestampGate()
    /// The vehicle transfers, assembled from the custody log and the outbox (`dossierctl cases`).
    let cases = CaseBook()

    init(
        config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup, layout: StateLayout, outbox: Outbox, inbox: Inbox,
        operations: PeerOperations, pool: BlockingPool, custody: Custody, completions: Completions, logger: Logger
    ) {
        self.custody = custody
        self.completions = completions
        submissions = SubmissionIndex(directory: layout.submissions, layout: layout, completions: completions.received)
        self.layout = layout
        staging = StagingFolders(root: layout.staging)
        self.pool = pool
        self.outbox = outbox
        self.inbox = inbox
        self.operations = operations
        self.logger = logger
        current = Mutex((config, identity, timestamps, nil))
        operations.replaceReceiptTimestamps(Self.receiptPolicy(timestamps))
    }

    /// Receipts' tokens are judged against the TSAs trusted for archives, never required.
    private static func receiptPolicy(_ timestamps: TimestampSetup) -> TimestampPolicy {
        TimestampPolicy(trust: timestamps.receiving.trust, required: false)
    }

    /// The config in force, its peers merged with the directory in force.
    var config: DaemonConfig { current.withLock { $0.config } }
    var identity: SigningIdentity { current.withLock { $0.identity } }
    /// The directory in force, if any.
    var directory: AuthorityDirectory? { current.withLock { $0.directory } }
    var code: String { config.authorityCode }

    /// How archives are timestamped and received tokens judged, as configured now.
    var timestamps: TimestampSetup { current.withLock { $0.timestamps } }

    /// Swaps in a config read from its file (with its identity and timestamping); its peers are
    /// merged with the directory in force, which a config without `[directory]` drops.
    func replace(config: DaemonConfig, identity: SigningIdentity, timestamps: TimestampSetup) {
        current.withLock {
            let directory = config.directory == nil ? nil : $0.directory
            $0 = (config.applying(directory: directory), identity, timestamps, directory)
        }
        // The validators of the dropped copy must not make the next fetch conditional: the
        // publisher would answer 304, which without a directory in force is refused for good.
        if config.directory == nil { directoryFetches.dropped() }
        inbox.replaceTimestamps(timestamps.receiving, receipts: timestamps.packing)
        operations.replaceReceiptTimestamps(Self.receiptPolicy(timestamps))
    }

    /// Swaps in an admitted directory, or none (one that no longer verifies); the peers in force
    /// follow it. Transfers in flight keep the peer they were claimed for.
    func replace(directory: AuthorityDirectory?) {
        current.withLock { $0 = ($0.config.applying(directory: directory), $0.identity, $0.timestamps, directory) }
    }

    var listen: String {
        get { listenAddress.withLock { $0 } }
        set { listenAddress.withLock { $0 = newValue } }
    }

    /// Checks, packs and queues a dossier for `destination`; returns once the entry is durable.
    /// A dossier whose archive for `destination` still stands (queued, in flight, deferred or
    /// delivered: `SubmissionIndex`) is not queued again: the new archive is discarded and the
    /// standing one returned with `alreadyQueued`.
    /// With a required timestamp, packing waits up to `[timestamp] wait` for the TSA; if it
    /// still fails, `SubmitError.timestampUnavailable` (retryable: the dossier is kept), and
    /// for the next `wait` other submissions get that answer at once, without packing.
    /// - Throws: `DossierPackager.Refusal`, `ArchiveError`, `OutboxError`, `SubmitError`, `SystemError`.
    func submit(dossierDirectory: URL, destination: String) async throws -> Submission {
        let config = config
        guard config.peer(destination) != nil else { throw SubmitError.unknownPeer(destination) }
        let free = try FreeSpace.available(at: layout.staging.path)
        guard free >= config.storage.freeSpaceReserve else {
            throw SubmitError.noSpace(path: layout.staging.path, free: free, reserve: config.storage.freeSpaceReserve)
        }
        // The vehicle, for one transfer at a time; a folder that does not load is refused by packing.
        let vehicle = try? DossierFolder.load(dossierDirectory)
        // A transfer of the vehicle to another destination refuses this one whatever its
        // content: told before packing, so a refused submission or request costs no packing.
        // (To the same destination it may be the same dossier again: decided after packing.)
        if let vin = vehicle?.vehicle.vin, let open = await submissions.openTransfer(vin: vin, outbox: outbox),
            open.destination != destination
        {
            throw SubmitError.alreadyTransferred(
                vin: vin, destination: open.destination, id: open.id, at: open.at, registeredAt: open.registeredAt)
        }
        // A folder of its own, so that what packing has written can be told (`PackingProgress`).
        // Scratch: a crash leaves nothing there worth keeping (start-up clears staging), so
        // neither the folder nor the archive's name in it is synced; the archive's bytes are,
        // and the outbox syncs the spool after moving it there.
        let staging = try self.staging.take()
        let packing = packingProgress.begin(
            dossier: dossierDirectory.path, folder: staging.path, total: FileIO.treeSize(dossierDirectory.path))
        defer {
            packingProgress.end(packing)
            self.staging.giveBack(staging)
        }
        let (identity, timestamping, credit) = (identity, timestamps.packing, credit.restrictions)
        let gated = timestamping?.required == true
        if gated, let failure = timestampGate.admit() { throw SubmitError.timestampUnavailable(failure) }
        let packed: PackResult
        do {
            packed = try await pool.run {
                try DossierPackager.pack(
                    dossierDirectory: dossierDirectory, record: vehicle, destination: destination, identity: identity,
                    policy: config.policy, credit: credit, outputDirectory: staging, timestamping: timestamping,
                    syncingOutputDirectory: false)
            }
        } catch ArchiveError.timestamp(let error) {
            if gated { timestampGate.record(.failed(error), pause: config.timestamp.wait) }
            throw SubmitError.timestampUnavailable(error)
        } catch {
            if gated { timestampGate.record(.other, pause: config.timestamp.wait) }
            throw error
        }
        if gated { timestampGate.record(.token, pause: config.timestamp.wait) }
        await Self.testHoldAfterPacking()
        await TestPause.at(.packed, id: packed.id, logger: logger)
        if let problem = packed.timestampProblem {
            logger.warning("archive signed without a timestamp", metadata: ["id": "\(packed.id)", "reason": "\(problem)"])
            errors.record(id: packed.id, peer: destination, error: "signed without a timestamp: \(problem)")
        }
        for warning in packed.warnings ?? [] {
            logger.warning("dossier packed despite a finding", metadata: ["peer": "\(destination)", "finding": "\(warning.message)"])
        }
        let key = submissions.key(destination: destination, payload: packed.payloadDigest)
        let vin = vehicle?.vehicle.vin
        let queued: SubmissionIndex.Record
        do {
            // One at a time per vehicle: a second submission of it waits for the first's outcome.
            queued = try await queueing.run(key: vin.map { submissions.key(vin: $0) } ?? key) {
                try await self.queueOnce(packed, key: key, vin: vin, destination: destination)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: packed.path)
            throw error
        }
        let source = dossierDirectory.lastPathComponent
        guard queued.id == packed.id else {
            try? FileManager.default.removeItem(atPath: packed.path)
            logger.info("dossier already queued", metadata: ["id": "\(queued.id)", "peer": "\(destination)", "source": "\(source)"])
            return Submission(id: queued.id, size: queued.size, sha256: queued.sha256, alreadyQueued: true, warnings: packed.warnings ?? [])
        }
        logger.info(
            "archive queued", metadata: ["id": "\(packed.id)", "peer": "\(destination)", "bytes": "\(packed.size)", "source": "\(source)"])
        await TestPause.at(.queued, id: packed.id, logger: logger)
        return Submission(id: packed.id, size: packed.size, sha256: packed.sha256, alreadyQueued: false, warnings: packed.warnings ?? [])
    }

    /// Read once: building the environment's dictionary for every dossier cost the origin
    /// half a percent of its CPU under load.
    private static let packHoldRelease = ProcessInfo.processInfo.environment["DOSSIERD_TEST_PACK_HOLD"]

    /// Fault injection for the progress test: with `DOSSIERD_TEST_PACK_HOLD` naming a file, a
    /// packed archive waits in its staging folder until that file exists (at most 60 s), so a
    /// test can read the progress of a submission however slowly its own threads are scheduled.
    private static func testHoldAfterPacking() async {
        guard let release = packHoldRelease else { return }
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: release), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The standing archive of the dossier under `key`, or `packed` queued durably (its
    /// submission recorded first, so a crash after the enqueue still finds it).
    /// - Throws: `SubmitError.alreadyTransferred` while another transfer of vehicle `vin` stands.
    private func queueOnce(_ packed: PackResult, key: String, vin: String?, destination: String) async throws -> SubmissionIndex.Record {
        if let standing = await submissions.standing(key: key, outbox: outbox) { return standing }
        if let vin, let open = await submissions.openTransfer(vin: vin, outbox: outbox) {
            throw SubmitError.alreadyTransferred(
                vin: vin, destination: open.destination, id: open.id, at: open.at, registeredAt: open.registeredAt)
        }
        let record = SubmissionIndex.Record(id: packed.id, size: packed.size, sha256: packed.sha256)
        let submissions = submissions
        try await pool.run { try submissions.remember(record, key: key, vin: vin, destination: destination) }
        await TestPause.at(.recorded, id: packed.id, logger: logger)
        _ = try await outbox.enqueue(
            archive: URL(fileURLWithPath: packed.path), id: packed.id, destination: destination, digest: packed.sha256, size: packed.size)
        pushWake.signal()
        // The VIN rides on `packed` so that the never-compacted log tells each case's vehicle.
        await recordCustody(.packed, id: packed.id, peer: destination, digest: packed.sha256, detail: vin)
        return record
    }

    /// Logs an origin-side custody event; returns once it is durable. A log that cannot take it
    /// (a failed disk) does not hold up the archive: the failure is logged and shown in
    /// `status`, and the transfer goes on.
    func recordCustody(_ kind: CustodyEvent.Kind, id: String, peer: String, digest: String, detail: String? = nil) async {
        await recordCustody([(kind, detail)], id: id, peer: peer, digest: digest)
    }

    /// `recordCustody` of several events of one archive, in order, made durable together.
    func recordCustody(_ events: [(kind: CustodyEvent.Kind, detail: String?)], id: String, peer: String, digest: String) async {
        let time = Date()
        do throws(CustodyError) {
            _ = try await custody.log.append(
                contentsOf: events.map {
                    CustodyEvent(kind: $0.kind, archiveId: id, peer: peer, digest: digest, time: time, detail: $0.detail)
                })
        } catch {
            let kinds = events.map(\.kind.rawValue).joined(separator: ",")
            logger.error("custody event not logged", metadata: ["id": "\(id)", "event": "\(kinds)", "error": "\(error)"])
            errors.record(id: id, peer: peer, error: "custody log: \(error)")
        }
    }

    /// Writes `bytes` to `file` durably (`DurableFile`: temp file, fsync, rename, fsync of the
    /// folder) on the blocking pool, so that the syncs never hold a cooperative thread.
    /// - Throws: `SystemError` (or the pool's error once it is shut down).
    func writeDurably(_ bytes: [UInt8], to file: URL, mode: mode_t = 0o640) async throws {
        try await pool.run { try DurableFile.write(bytes, to: file, mode: mode) }
    }

    /// Keeps `peer`'s signed receipt (`suffix` `receipt` or `rejection`) of the archive `id`
    /// as `receipts/<id>.<suffix>.p7m`, durably, logs the custody events `sent` and
    /// `receiptKept`, and returns its path relative to the state directory (as the journal
    /// records it, so that a moved state directory still finds it; `layout.resolve` makes it
    /// absolute).
    /// The write (three syncs) runs on the blocking pool.
    /// - Throws: `SystemError` (or the pool's error once it is shut down); nothing is logged then.
    func keepReceipt(_ signed: [UInt8], id: String, suffix: String, peer: String, digest: String) async throws -> String {
        let relative = "receipts/\(id).\(suffix).p7m"
        try await writeDurably(signed, to: layout.resolve(relative))
        await recordCustody([(.sent, nil), (.receiptKept, suffix)], id: id, peer: peer, digest: digest)
        return relative
    }
}

/// What `Authority.submit` did with a dossier: queued it as `id`, or found it already queued
/// (or delivered) as `id`.
struct Submission: Sendable {
    var id: String
    var size: UInt64
    var sha256: String
    var alreadyQueued: Bool
    /// Findings that did not block packing (a credit list hit under `action = "warn"`).
    var warnings: [Problem] = []
}

/// Why a submission was refused before packing.
enum SubmitError: Error, CustomStringConvertible {
    case unknownPeer(String)
    /// The state file system has less free space than `state.free_space_reserve`.
    case noSpace(path: String, free: UInt64, reserve: UInt64)
    /// `[timestamp] required` and the TSA did not give a usable token within `[timestamp] wait`.
    case timestampUnavailable(TimestampError)
    /// The vehicle's transfer to `destination` as archive `id` (queued `at`) still stands;
    /// `registeredAt` when the destination's completion notice says it registered the vehicle.
    case alreadyTransferred(vin: String, destination: String, id: String, at: Date, registeredAt: Date?)

    /// True when the same submission may succeed later as it stands.
    var isRetryable: Bool {
        switch self {
        case .noSpace, .timestampUnavailable: return true
        case .unknownPeer, .alreadyTransferred: return false
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
        case let .alreadyTransferred(vin, destination, id, at, registered?):
            return "already-transferred: vehicle \(vin) was transferred to \(destination) as archive \(id) "
                + "(queued \(at.formatted(.iso8601))), completed: registered there on \(registered.formatted(.iso8601))"
        case let .alreadyTransferred(vin, destination, id, at, nil):
            return "already-transferred: vehicle \(vin) is being transferred to \(destination) as archive \(id) "
                + "(queued \(at.formatted(.iso8601))); cancel that archive first to transfer it again"
        }
    }
}
