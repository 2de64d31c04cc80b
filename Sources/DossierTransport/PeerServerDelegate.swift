import DossierSystem

/// What the host (the daemon, or the mock peer) provides to `PeerServer`: every route's
/// decision goes through it, while the server keeps the wire (TLS, limits, streaming, the
/// answers' exact form). Methods are called concurrently from request tasks.
public protocol PeerServerDelegate: Sendable {
    /// The authority this server answers for (its certificate's code), for `/v1/health`.
    var authorityCode: String { get }

    /// Where the server's blocking work runs: creating, writing and syncing an upload's file,
    /// checking free space. The cooperative pool never waits on the disk.
    var pool: BlockingPool { get }

    /// Whether `bytes` more can be stored and the host's free-space reserve still kept
    /// (503 `no-space` otherwise, before any body byte is read). Called on `pool`.
    func hasRoom(for bytes: UInt64) throws -> Bool

    /// A new temporary file for an upload as it arrives; it removes itself when dropped
    /// before `finish()`. Called on `pool`.
    func makeUploadFile() throws(SystemError) -> IncomingFile

    /// Verifies and stores a complete upload pushed as `id` by the authenticated `caller`.
    /// The file is consumed in every case.
    func receivePush(_ file: ReceivedFile, id: String, caller: String) async throws -> PushDecision

    /// A page of archives held for `caller`, in id order, after the cursor `after`.
    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList

    /// The held archive `id`, or nil when there is none. The server answers 403 when the
    /// archive's destination is not the caller.
    func heldArchive(id: String) async throws -> HeldArchiveFile?

    /// The caller acknowledges a pulled archive with its signed receipt.
    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome

    /// The caller asks for a vehicle's archive (`POST /v1/requests`).
    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome
    /// The custody log's RFC 9162 consistency proof from its tree of `from` entries to that
    /// of `to` (node hashes, hex); nil when the host keeps no custody log (404). Sizes out of
    /// range throw `PeerHTTPError` (400).
    func custodyConsistency(from: UInt64, to: UInt64) async throws -> [String]?

    /// The caller's signed completion notice of archive `id` (`POST /v1/archives/{id}/completion`),
    /// at most `CompletionNotice.limit` bytes: verified and recorded, or refused.
    func receiveCompletion(id: String, notice: [UInt8], from caller: String) async throws -> CompletionOutcome
}

extension PeerServerDelegate {
    /// No custody log: `GET /v1/audit/consistency` answers 404.
    public func custodyConsistency(from: UInt64, to: UInt64) async throws -> [String]? { nil }
}

extension PeerServerDelegate {
    /// No archives sent from here: every completion notice answers 404.
    public func receiveCompletion(id: String, notice: [UInt8], from caller: String) async throws -> CompletionOutcome { .notFound }
}

/// The answer to `POST /v1/archives/{id}/completion` (docs/protocol.md, "Completion").
public enum CompletionOutcome: Sendable, Equatable {
    /// 201 (first time) or 200 (the same notice again): recorded.
    case recorded(PeerProtocol.CompletionRecorded, firstTime: Bool)
    /// 404 `not-found`: no archive `id` was sent from here.
    case notFound
    /// 403 `forbidden`: the archive was not sent to the caller.
    case forbidden
    /// 409 `not-delivered`: the archive has no receipt of acceptance yet.
    case notDelivered
    /// 403 `wrong-signer`: the notice is not signed by the archive's destination.
    case wrongSigner(String)
    /// 422 `bad-completion`: not a notice that verifies, or about another archive or digest.
    case invalid(String)
    /// 409 `completion-conflict`: another notice of this archive was recorded before.
    case conflict(String)
    /// 503 `try-later` + `Retry-After`: the notice cannot be judged now (the revocation of its
    /// signer's chain), so it is neither recorded nor refused.
    case tryLater(String)
}

/// A held archive ready for download.
public struct HeldArchiveFile: Sendable, Equatable {
    public var path: String
    public var size: UInt64
    /// The authority the archive is for: only it may download it.
    public var destination: String

    /// A held archive file of `size` bytes at `path`, for `destination`.
    public init(path: String, size: UInt64, destination: String) {
        self.path = path
        self.size = size
        self.destination = destination
    }
}

/// The answer to `POST /v1/archives/{id}/receipt`.
public enum AcknowledgeOutcome: Sendable, Equatable {
    /// 204: marked delivered.
    case recorded
    /// 404: no such held archive.
    case notFound
    /// 403: the archive is not for this caller.
    case forbidden
    /// 422: the receipt does not prove delivery (the reason is sent back).
    case invalidReceipt(String)
}

/// The answer to `POST /v1/requests`.
public enum ArchiveRequestOutcome: Sendable, Equatable {
    /// 202: queued for packaging.
    case accepted(PeerProtocol.RequestAccepted)
    /// 404: no such vehicle here.
    case unknownVehicle
    /// 422: the vehicle cannot be transferred, with the reasons.
    case ineligible([String])
}

/// The host's decision on one complete push; `PeerServer` turns it into the answer.
public enum PushDecision: Sendable, Equatable {
    /// 201 (first time) or 200 (the same id and digest again), with the signed receipt.
    case accepted(receipt: [UInt8], firstTime: Bool)
    /// 422 with the signed rejection receipt: the archive itself is bad. Permanent.
    case rejected(receipt: [UInt8])
    /// 409: the caller's archive with this id was accepted before with another digest,
    /// `storedDigest`. Only an archive's own sender ever gets a 409.
    case conflict(storedDigest: String)
    /// 403: the caller is not the archive's origin, or this authority is not its destination.
    case forbidden(String)
    /// 422 `id-mismatch`: the bag inside names another id than the one pushed.
    case idMismatch(bagId: String?)
    /// 503 + Retry-After: the id is being received on another connection right now.
    case busy
    /// 503 + Retry-After: a condition on this side that may clear (revocation that cannot be
    /// judged now).
    case unavailable(String)
    /// 503 `no-space` + Retry-After: the disk filled while storing.
    case noSpace
}
