/// What the host (the daemon, or the mock peer) provides to `PeerServer` for the pull and
/// request routes; pushes go to the `Inbox`. Methods are called concurrently from request tasks.
public protocol PeerServerDelegate: Sendable {
    /// A page of archives held for `caller`, in id order, after the cursor `after`.
    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList

    /// The held archive `id`, or nil when there is none. The server answers 403 when the
    /// archive's destination is not the caller.
    func heldArchive(id: String) async throws -> HeldArchiveFile?

    /// The caller acknowledges a pulled archive with its signed receipt.
    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome

    /// The caller asks for a vehicle's archive (`POST /v1/requests`).
    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome
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
