import DossierSystem
import DossierTransport
import Foundation

extension Inbox {
    /// `receive` for the peer server: verifies the upload on `pool` (it reads the whole
    /// archive), then waits for the group commit of an accepted one without holding a pool
    /// thread (so the pool verifies the next uploads meanwhile, and they join the next group),
    /// and turns the outcome into the server's answer. A full disk is answered "come back
    /// later" (`noSpace`), never as a fault of the archive.
    /// - Throws: `InboxError` for a failure that is ours and not transient (the server answers
    ///   500 and the sender retries).
    public func receivePush(_ file: ReceivedFile, id: String, caller: String, on pool: BlockingPool) async throws -> PushDecision {
        let outcome: InboxOutcome
        do {
            switch try await pool.run({ try self.judge(file, id: id, caller: caller, now: Date()) }) {
            case .decided(let decided): outcome = decided
            case .staged(let staged): outcome = try await commit(staged)
            }
        } catch let error as InboxError where error.isTransient {
            return .noSpace
        }
        switch outcome {
        case let .accepted(receipt, firstTime): return .accepted(receipt: receipt, firstTime: firstTime)
        case let .rejected(receipt, _, _): return .rejected(receipt: receipt)
        case let .conflict(storedDigest): return .conflict(storedDigest: storedDigest)
        case let .forbidden(detail): return .forbidden(detail)
        case let .idMismatch(bagId): return .idMismatch(bagId: bagId)
        case .busy: return .busy
        case let .unavailable(detail): return .unavailable(detail)
        }
    }
}
