import DossierModel
import DossierTransport
import Foundation

/// One archive the inbox received and decided on: kept as `inbox/<id>.json` for an accepted
/// archive and `quarantine/<sender>/<id>/reason.json` for a rejected one.
public struct InboxEntry: Codable, Sendable, Equatable {
    public var archiveId: String
    /// SHA-256 of the archive as received, lowercase hex.
    public var digest: String
    public var size: UInt64
    /// The authenticated caller that pushed it (the archive's origin authority).
    public var sender: String
    public var receivedAt: Date
    public var status: Receipt.Status
    /// Why it was rejected; empty when accepted.
    public var reasons: [Finding]
    /// For a rejected archive kept beyond its sender's quarantine quota: how many of its first
    /// bytes were kept; 0 when only this record (digest, size, first reasons) is kept, without
    /// the archive or its receipt. Nil when the archive is kept whole.
    public var keptBytes: UInt64?

    /// An entry as decided; `keptBytes` only for a quarantined archive cut short.
    public init(
        archiveId: String, digest: String, size: UInt64, sender: String, receivedAt: Date, status: Receipt.Status,
        reasons: [Finding], keptBytes: UInt64? = nil
    ) {
        self.archiveId = archiveId
        self.digest = digest
        self.size = size
        self.sender = sender
        self.receivedAt = receivedAt
        self.status = status
        self.reasons = reasons
        self.keptBytes = keptBytes
    }
}

/// What the inbox did with one pushed archive; `PeerServer` maps it to an HTTP answer.
public enum InboxOutcome: Sendable, Equatable {
    /// Verified and stored; `receipt` is the signed acceptance. `firstTime` is false when the
    /// same id and digest had been received before (the stored receipt is returned again).
    case accepted(receipt: [UInt8], firstTime: Bool)
    /// Verification failed: quarantined, `receipt` is the signed rejection.
    case rejected(receipt: [UInt8], reasons: [Finding], firstTime: Bool)
    /// The caller's own archive with this id was accepted with another digest, `storedDigest`.
    /// Other callers never get a conflict: they learn nothing about it.
    case conflict(storedDigest: String)
    /// The caller is not the archive's origin, or this authority is not its destination.
    case forbidden(detail: String)
    /// The bag inside names another id than the one pushed.
    case idMismatch(bagId: String?)
    /// The same id is being received on another connection right now.
    case busy
    /// This receiver cannot judge the archive now (a CRL not yet valid or past its
    /// nextUpdate): nothing is stored, the sender should try again later (503).
    case unavailable(detail: String)
}
