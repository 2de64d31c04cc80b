import DossierArchive
import DossierCustody
import DossierInbox
import DossierModel
import DossierSystem
import DossierTransport
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The daemon's custody log in use (docs/custody-log.md): what this authority packed, sent,
/// kept receipts for, received and rejected, each event durable before it is acknowledged.
/// Arrivals are logged through the inbox (`ArrivalRecorder`): the receipt points at the log
/// entry, so an arrival that cannot be logged is not answered, and the sender retries.
/// Origin-side events go through `Authority.recordCustody`.
final class Custody: ArrivalRecorder {
    let log: CustodyLog
    /// Signs the log's checkpoints; told of a rotated certificate on reload.
    let signer: IdentitySigner

    init(log: CustodyLog, signer: IdentitySigner) {
        self.log = log
        self.signer = signer
    }

    /// Signs a last checkpoint over whatever is not yet covered, so that every event of this
    /// run can be proved after the stop, and closes the log.
    func close(logger: Logger) async {
        do throws(CustodyError) { if log.treeSize > 0 { _ = try await log.checkpoint() } } catch {
            logger.error("no final custody checkpoint", metadata: ["error": "\(error)"])
        }
        await log.close()
        await signer.shutdown()
    }

    /// A rejection's reason codes, each once, in the order first found: thousands of findings
    /// of one kind (a manifest naming 6,000 missing files) are one code, so the event always
    /// fits the log's 64 KiB field and the rejection is logged and answered, not a 500.
    static func distinctCodes(_ reasons: [Finding]) -> String {
        var seen = Set<String>()
        return reasons.map(\.code).filter { seen.insert($0).inserted }.joined(separator: ",")
    }

    /// Logs an arrival and returns the leaf with a signed checkpoint covering it. Called by the
    /// inbox on a thread of the daemon's blocking pool, which may wait: the log's own writer
    /// thread and the cooperative pool do the work, and neither waits for the blocking pool.
    func record(_ entry: InboxEntry) throws -> CustodyReference {
        let event = CustodyEvent(
            kind: entry.status == .accepted ? .received : .rejected, archiveId: entry.archiveId, peer: entry.sender,
            digest: entry.digest, time: entry.receivedAt,
            detail: entry.reasons.isEmpty ? nil : Self.distinctCodes(entry.reasons))
        let log = log
        return try Self.waitFor { () async throws(CustodyError) -> CustodyReference in
            let index = try await log.append(event)
            var covering = log.latestCheckpoint
            if (covering?.checkpoint.treeSize ?? 0) <= index {
                let made: Result<SignedCheckpoint, CustodyError> = await IdentitySigner.$withoutTimestamp.withValue(true) {
                    do throws(CustodyError) { return .success(try await log.checkpoint()) } catch { return .failure(error) }
                }
                covering = try made.get()
            }
            guard let covering, covering.checkpoint.treeSize > index else {
                throw CustodyError.outOfRange("no checkpoint covers entry \(index)")
            }
            return CustodyReference(
                leafIndex: index, treeSize: covering.checkpoint.treeSize, checkpoint: Data(covering.statement).base64EncodedString(),
                signature: Data(covering.signature).base64EncodedString())
        }
    }

    /// Runs `work` on the cooperative pool and blocks the calling thread (never one of the
    /// cooperative pool's) until it is done.
    private static func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws(CustodyError) -> T) throws(CustodyError) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, CustodyError>?>(nil)
        Task {
            let outcome: Result<T, CustodyError>
            do throws(CustodyError) { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        guard let outcome = result.withLock({ $0 }) else { throw .outOfRange("no result") }
        return try outcome.get()
    }
}

/// Signs custody checkpoints with the authority's identity in force, so that a certificate
/// rotated by SIGHUP signs the next checkpoint, and timestamps them (RFC 3161, one attempt: a
/// failing TSA never holds up the log) when `[timestamp]` is configured. Thread-safe.
///
/// Signing (and the blocking TSA request) runs on a thread of its own: never on the
/// cooperative pool, and never on the daemon's blocking pool, whose threads may be waiting in
/// `Custody.record` for this very checkpoint.
final class IdentitySigner: CheckpointSigner {
    let authority: String
    private let current: Mutex<(identity: SigningIdentity, timestamping: Timestamping?)>
    private let thread = BlockingPool(threads: 1)

    init(authority: String, identity: SigningIdentity, timestamping: Timestamping?) {
        self.authority = authority
        current = Mutex((identity, timestamping))
    }

    /// Signs from now on with `identity` (same authority) and `timestamping`.
    func replace(_ identity: SigningIdentity, timestamping: Timestamping?) { current.withLock { $0 = (identity, timestamping) } }

    /// Set for the checkpoints made for a receipt: those are not timestamped (the receipt gets
    /// its own token), so that a TSA outage never holds up an answer to a sender.
    @TaskLocal static var withoutTimestamp = false

    func sign(_ statement: [UInt8]) async throws -> [UInt8] {
        let (identity, configured) = current.withLock { $0 }
        let timestamping = Self.withoutTimestamp ? nil : configured
        return try await thread.run { try identity.signAttached(statement, timestamping: timestamping) }
    }

    /// Stops the signing thread; after the log is closed.
    func shutdown() async { try? await thread.shutdown() }
}

/// Makes the custody log's checkpoints by its policy (`[custody]`), reporting failures.
struct CustodyCheckpointService: Service {
    let authority: Authority

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await authority.custody.log.runCheckpoints { error in
                authority.logger.error("custody checkpoint failed", metadata: ["error": "\(error)"])
                authority.errors.record(id: nil, peer: nil, error: "custody checkpoint: \(error)")
            }
        }
    }
}
