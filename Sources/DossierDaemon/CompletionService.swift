import DossierOutbox
import DossierSystem
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle

/// Sends the completion notices this authority signed as destination to each archive's origin
/// (`POST /v1/archives/{id}/completion`, mTLS with the origin's pins, as pushes), retrying with
/// the outbox's backoff (`[retry]`) until the origin records one (then custody
/// `completionSent`) or refuses it for good, or `retry.give_up_after` passes (`failed`; the
/// same `dossierctl complete` queues it again). One notice at a time: there are few.
struct CompletionService: Service {
    let authority: Authority

    func run() async throws {
        var random = SystemRandomNumberGenerator()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = Date()
            let store = authority.completions.sent
            for record in store.all where record.state == .pending && (record.nextAttemptAt ?? .distantPast) <= now {
                guard !Task.isShuttingDownGracefully else { break }
                await send(record, using: &random)
            }
            let next = store.all.filter { $0.state == .pending }.compactMap(\.nextAttemptAt).min()
            let pause = next.map { max(0.01, min(1, $0.timeIntervalSinceNow)) } ?? 1
            await cancelWhenGracefulShutdown { await authority.completions.wake.wait(timeout: pause) }
        }
    }

    /// One attempt and its bookkeeping, serialised with `complete` on the same archive. Never
    /// throws: a record that cannot be saved is retried at the next round.
    private func send(_ record: CompletionRecord, using random: inout SystemRandomNumberGenerator) async {
        let id = record.notice.archiveId
        let store = authority.completions.sent
        var meta: Logger.Metadata = ["id": "\(id)", "peer": "\(record.peer)", "status": "\(record.notice.status.rawValue)"]
        let outcome: CompletionDelivery
        if let peer = authority.config.peer(record.peer) {
            guard
                let signed = try? await authority.pool.run({ try FileIO.readAll(store.signedFile(id).path, limit: CompletionNotice.limit) })
            else {
                outcome = .failed(.local("the signed notice \(store.signedFile(id).path) cannot be read"))
                return await settle(record, outcome, meta: meta, using: &random)
            }
            outcome = await authority.operations.sendCompletion(baseURL: peer.url, peer: peer.identity, id: id, signed: signed)
        } else {
            outcome = .failed(.local("peer \(record.peer) is not configured"))
        }
        if case let .recorded(_, again) = outcome { meta["again"] = "\(again)" }
        await settle(record, outcome, meta: meta, using: &random)
    }

    /// Records what became of one attempt.
    private func settle(
        _ record: CompletionRecord, _ outcome: CompletionDelivery, meta: Logger.Metadata, using random: inout SystemRandomNumberGenerator
    ) async {
        var meta = meta
        var updated = record
        let now = Date()
        switch outcome {
        case .recorded:
            (updated.state, updated.doneAt, updated.nextAttemptAt, updated.lastError) = (.delivered, now, nil, nil)
        case let .failed(failure):
            updated.attempts += 1
            updated.lastError = "\(failure)"
            meta["outcome"] = "\(failure)"
            switch authority.config.retry.decide(
                outcome: failure, failures: updated.attempts, createdAt: record.at, now: now, using: &random)
            {
            case let .retry(at): updated.nextAttemptAt = at
            case .giveUp: (updated.state, updated.nextAttemptAt) = (.failed, nil)
            }
        }
        let store = authority.completions.sent
        let saved = updated
        do {
            _ = try await authority.completions.serial.run(key: record.notice.archiveId) {
                // An operator's `complete` may have queued it again meanwhile: keep that.
                guard store.record(saved.notice.archiveId) == record else { return }
                try await authority.pool.run { try store.save(saved) }
            }
        } catch {
            authority.logger.error("completion notice state not kept", metadata: meta.merging(["error": "\(error)"]) { $1 })
            authority.errors.record(id: record.notice.archiveId, peer: record.peer, error: "completion notice: \(error)")
            return
        }
        switch outcome {
        case .recorded:
            authority.logger.info("completion delivered", metadata: meta)
            await authority.recordCustody(
                .completionSent, id: record.notice.archiveId, peer: record.peer, digest: record.notice.digest,
                detail: record.notice.status.rawValue)
        case .failed:
            if let next = updated.nextAttemptAt { meta["next"] = "\(next.formatted(.iso8601))" }
            authority.logger.warning(
                updated.state == .failed ? "completion notice given up" : "completion notice not delivered", metadata: meta)
            authority.errors.record(id: record.notice.archiveId, peer: record.peer, error: "completion notice: \(updated.lastError ?? "")")
        }
    }
}
