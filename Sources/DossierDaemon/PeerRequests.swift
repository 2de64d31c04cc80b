import DossierArchive
import DossierCustody
import DossierInbox
import DossierModel
import DossierOutbox
import DossierSystem
import DossierTransport
import Foundation
import Hummingbird
import Synchronization

/// The daemon's answers to peers' calls (`PeerServerDelegate`): pushes are verified and stored
/// by the inbox; archives held for pull-mode peers are the outbox entries waiting for them; a
/// request for a vehicle is looked up in the local dossier store (`registry/<VIN>/`), checked,
/// packed and queued.
///
/// Requests are idempotent (docs/protocol.md): while the archive made for a caller's request of
/// a VIN and plate is still open in the outbox (not delivered, cancelled or dead), the same request gets
/// the same `{requestId, archiveId}` again. The archive id is kept in `requests/`, so this
/// holds across restarts; concurrent identical requests share one packing.
struct PeerRequests: PeerServerDelegate {
    let authority: Authority
    private let packing = SingleFlight<String>()
    /// Set while a consistency proof is computed.
    private let proving = ProvingGate()

    init(authority: Authority) { self.authority = authority }

    var authorityCode: String { authority.inbox.authority }

    var pool: BlockingPool { authority.pool }

    func hasRoom(for bytes: UInt64) throws -> Bool { try authority.inbox.hasRoom(for: bytes) }

    func makeUploadFile() throws(SystemError) -> IncomingFile { try authority.inbox.makeIncomingFile() }

    func receivePush(_ file: ReceivedFile, id: String, caller: String) async throws -> PushDecision {
        try await authority.inbox.receivePush(file, id: id, caller: caller, on: authority.pool)
    }

    private func waiting(for caller: String) async -> [OutboxEntry] {
        let queued = await authority.outbox.entries(in: .queued) + authority.outbox.entries(in: .deferred)
        return queued.filter { $0.destination == caller }.sorted { $0.id < $1.id }
    }

    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        guard authority.config.peer(caller)?.mode != .push else { return PeerProtocol.ArchiveList(archives: [], next: nil) }
        let all = await waiting(for: caller).filter { after == nil || $0.id > after ?? "" }
        let page = all.prefix(max(1, min(limit, 1000)))
        return PeerProtocol.ArchiveList(
            archives: page.map { PeerProtocol.HeldArchive(id: $0.id, size: $0.size, digest: $0.digest, createdAt: $0.createdAt) },
            next: all.count > page.count ? page.last?.id : nil)
    }

    func heldArchive(id: String) async throws -> HeldArchiveFile? {
        guard let entry = await authority.outbox.entry(id: id), entry.state == .queued || entry.state == .deferred,
            authority.config.peer(entry.destination)?.mode != .push
        else { return nil }
        return HeldArchiveFile(path: entry.archivePath, size: entry.size, destination: entry.destination)
    }

    /// A puller's signed receipt: an acceptance marks the archive delivered, a rejection marks
    /// it dead with the puller's reasons (it is no longer listed, so it is not fetched again).
    /// Either answers 204 again when repeated (the first answer may have been lost).
    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome {
        guard let entry = await authority.outbox.entry(id: id),
            [.queued, .deferred, .delivered, .dead].contains(entry.state)
        else { return .notFound }
        guard entry.destination == caller else { return .forbidden }
        let opened: Receipt
        do {
            opened = try Receipt.open(
                receipt, trust: authority.operations.trust.store, receiver: caller, archiveId: id, digest: entry.digest,
                timestamps: authority.operations.receiptTimestampPolicy)
        } catch {
            return .invalidReceipt("\(error)")
        }
        let accepted = opened.status == .accepted
        guard entry.state != (accepted ? .delivered : .dead) else { return .recorded }
        guard entry.state == .queued || entry.state == .deferred else {
            return .invalidReceipt("archive \(id) is already \(entry.state)")
        }
        let path = try await authority.keepReceipt(
            receipt, id: id, suffix: accepted ? "receipt" : "rejection", peer: caller, digest: entry.digest)
        _ = try await authority.outbox.claim(id: id)
        if accepted {
            try await authority.outbox.recordSuccess(id: id, receiptPath: path)
        } else {
            let reasons = opened.reasons.map { "\($0.code): \($0.detail)" }.joined(separator: "; ")
            _ = try await authority.outbox.recordFailure(id: id, outcome: .rejected(reasons))
        }
        let outcome = accepted ? "pulled" : "rejected"
        authority.logger.info(
            accepted ? "transfer delivered" : "transfer rejected by the puller",
            metadata: ["id": "\(id)", "peer": "\(caller)", "outcome": "\(outcome)"])
        authority.metrics.transfer(peer: caller, outcome: outcome, bytes: accepted ? entry.size : 0, seconds: 0)
        return .recorded
    }

    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome {
        let folder = URL(fileURLWithPath: authority.config.registryDirectory).appendingPathComponent(request.vin)
        // The VIN is checked first: it names the folder. Reading files is blocking work.
        guard (try? VIN.check(request.vin)) != nil,
            let record = try? await authority.pool.run({ try DossierFolder.load(folder) }),
            record.plate.number == request.plate
        else { return .unknownVehicle }
        let made = authority.layout.requests.appendingPathComponent(
            SHA256.hex(of: Array("\(caller)\n\(request.vin)\n\(request.plate)".utf8)))
        let asked = Date()
        do {
            let id = try await packing.run(key: made.lastPathComponent) { [authority] in
                let earlier = try? await authority.pool.run { try String(contentsOf: made, encoding: .utf8) }
                if let earlier, ArchiveID.isSafe(earlier),
                    let entry = await authority.outbox.entry(id: earlier), !entry.state.isFinal, entry.state != .dead
                {
                    return earlier
                }
                let packed = try await authority.submit(dossierDirectory: folder, destination: caller)
                authority.logger.info("archive requested", metadata: ["id": "\(packed.id)", "peer": "\(caller)", "vin": "\(request.vin)"])
                try await authority.writeDurably(Array(packed.id.utf8), to: made)
                await authority.noteRequest(id: packed.id, .init(vin: request.vin, peer: caller, direction: "out", at: asked))
                return packed.id
            }
            return .accepted(PeerProtocol.RequestAccepted(requestId: id, archiveId: id))
        } catch let refusal as DossierPackager.Refusal {
            if case let .problems(problems) = refusal { return .ineligible(problems.map { "\($0.code): \($0.message)" }) }
            return .ineligible(["\(refusal)"])
        } catch let SubmitError.alreadyTransferred(vin, destination, id, at, registered) {
            let completed = registered.map { ", registered there on \($0.formatted(.iso8601))" } ?? ""
            return .ineligible([
                "already-transferred: vehicle \(vin) is being transferred to \(destination) as archive \(id) since \(at.formatted(.iso8601))"
                    + completed
            ])
        } catch SubmitError.unknownPeer {
            return .ineligible(["not-a-peer: \(caller) is not a configured peer of \(authority.code)"])
        } catch let error as SubmitError where error.isRetryable {
            authority.logger.warning("archive request waits", metadata: ["peer": "\(caller)", "error": "\(error)"])
            if case .timestampUnavailable = error {
                throw PeerHTTPError(
                    .serviceUnavailable, "timestamp-unavailable",
                    "this authority's time-stamping authority does not answer; try again later",
                    retryAfter: 60)
            }
            throw PeerHTTPError(.serviceUnavailable, "no-space", "this authority is short of disk space; try again later", retryAfter: 60)
        }
    }

    /// A destination's completion notice of an archive sent from here (`Authority.receiveCompletion`).
    func receiveCompletion(id: String, notice: [UInt8], from caller: String) async throws -> CompletionOutcome {
        try await authority.receiveCompletion(id: id, signed: notice, from: caller)
    }

    /// A proof hashes up to every leaf of the log (a million entries: about a second): computed
    /// on the blocking pool, never on the cooperative one, and one at a time, whoever asks:
    /// bounded by the request rate alone, proofs asked side by side could hold every thread of
    /// the pool that verifies and stores every peer's uploads (found in review). Another
    /// request meanwhile gets 503 `busy` + `Retry-After`.
    func custodyConsistency(from: UInt64, to: UInt64) async throws -> [String]? {
        let log = authority.custody.log
        guard proving.enter() else {
            throw PeerHTTPError(.serviceUnavailable, "busy", "another consistency proof is being computed", retryAfter: 5)
        }
        defer { proving.leave() }
        await TestPause.at(.proving, id: "consistency \(from)-\(to)", logger: authority.logger)
        do {
            return try await authority.pool.run { try log.consistencyProof(from: from, to: to).map(\.hex) }
        } catch let error as CustodyError {
            if case .outOfRange = error {
                throw PeerHTTPError(.badRequest, "bad-range", "the custody log holds \(log.treeSize) entries: \(error)")
            }
            throw error
        }
    }
}

/// One holder at a time, without waiting: `enter` is false while another holds it.
private final class ProvingGate: Sendable {
    private let held = Atomic<Bool>(false)
    func enter() -> Bool { held.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged }
    func leave() { held.store(false, ordering: .releasing) }
}
