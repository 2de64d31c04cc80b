import DossierArchive
import DossierInbox
import DossierSystem
import DossierTransport
import Foundation
import Synchronization

/// The mock peer's answers: pushes verified and stored by a real `Inbox`; archives registered
/// through the control endpoint as held for a caller, acknowledged with a receipt the mock
/// verifies; and a fixed list of known and ineligible vehicles. It can lie, for tests of a
/// puller that must not believe it: about an archive's size (`Registration.listedSize`) and
/// about where its list ends (`Listing`). Thread-safe.
final class MockHeldArchives: PeerServerDelegate {
    struct Held: Codable, Sendable {
        var id: String
        var path: String
        var size: UInt64
        var digest: String
        var destination: String
        var createdAt: Date
        var acknowledged: Bool
        /// The size the list claims, when it lies; the file is served whole regardless.
        var listedSize: UInt64?
    }

    /// How the archive list pages (`POST /listing` on the control endpoint).
    enum Listing: String, Codable, Sendable {
        /// A `next` cursor only when there is more.
        case honest
        /// Every page says there is more, with the same cursor.
        case stuck
        /// Every page says there is more, with a cursor never seen before.
        case endless
    }

    /// `POST /held` on the control endpoint.
    struct Registration: Codable, Sendable {
        var path: String
        var destination: String
        /// Defaults to the file name without `.dva`.
        var id: String?
        /// A size for the list to claim instead of the file's.
        var listedSize: UInt64?
    }

    enum RegistrationError: Error, CustomStringConvertible {
        case badId(String)
        case unreadable(path: String)
        var description: String {
            switch self {
            case let .badId(id): return "\(id) is not a usable archive id"
            case let .unreadable(path): return "\(path): cannot be read"
            }
        }
    }

    private let inbox: Inbox
    let pool: BlockingPool
    private let trust: TrustStore
    private let knownVINs: Set<String>
    private let ineligibleVINs: Set<String>
    private let held = Mutex<[String: Held]>([:])
    private let listing = Mutex(Listing.honest)

    init(inbox: Inbox, pool: BlockingPool, trust: TrustStore, knownVINs: Set<String>, ineligibleVINs: Set<String>) {
        self.inbox = inbox
        self.pool = pool
        self.trust = trust
        self.knownVINs = knownVINs
        self.ineligibleVINs = ineligibleVINs
    }

    var authorityCode: String { inbox.authority }

    func hasRoom(for bytes: UInt64) throws -> Bool { try inbox.hasRoom(for: bytes) }

    func makeUploadFile() throws(SystemError) -> IncomingFile { try inbox.makeIncomingFile() }

    func receivePush(_ file: ReceivedFile, id: String, caller: String) async throws -> PushDecision {
        try await inbox.receivePush(file, id: id, caller: caller, on: pool)
    }

    /// Registers an archive file as held for `destination`, hashing it now.
    func register(_ registration: Registration) throws -> Held {
        let url = URL(fileURLWithPath: registration.path)
        let id = registration.id ?? url.deletingPathExtension().lastPathComponent
        guard ArchiveID.isSafe(id) else { throw RegistrationError.badId(id) }
        guard let (size, digest) = try? SHA256.file(registration.path) else { throw RegistrationError.unreadable(path: registration.path) }
        let entry = Held(
            id: id, path: registration.path, size: size, digest: digest,
            destination: registration.destination, createdAt: Date(), acknowledged: false,
            listedSize: registration.listedSize)
        held.withLock { $0[id] = entry }
        return entry
    }

    /// Sets how the list pages from now on.
    func setListing(_ mode: Listing) { listing.withLock { $0 = mode } }

    var all: [Held] { held.withLock { $0.values.sorted { $0.id < $1.id } } }

    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        let pending = all.filter { $0.destination == caller && !$0.acknowledged && $0.id > (after ?? "") }
        let page = pending.prefix(limit)
        let next: String?
        switch listing.withLock({ $0 }) {
        case .honest: next = pending.count > limit ? page.last?.id : nil
        case .stuck: next = after ?? "stuck"
        case .endless: next = ArchiveID.make()
        }
        return PeerProtocol.ArchiveList(
            archives: page.map {
                PeerProtocol.HeldArchive(id: $0.id, size: $0.listedSize ?? $0.size, digest: $0.digest, createdAt: $0.createdAt)
            },
            next: next)
    }

    func heldArchive(id: String) async throws -> HeldArchiveFile? {
        held.withLock { $0[id] }.map { HeldArchiveFile(path: $0.path, size: $0.size, destination: $0.destination) }
    }

    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome {
        guard let entry = held.withLock({ $0[id] }) else { return .notFound }
        guard entry.destination == caller else { return .forbidden }
        do {
            _ = try Receipt.open(receipt, trust: trust, receiver: caller, archiveId: id, digest: entry.digest)
        } catch let problem as Receipt.Problem {
            return .invalidReceipt(problem.description)
        }
        held.withLock { $0[id]?.acknowledged = true }
        return .recorded
    }

    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome {
        if ineligibleVINs.contains(request.vin) {
            return .ineligible(["vehicle \(request.vin) has an open case (mock peer: --ineligible-vin)"])
        }
        guard knownVINs.contains(request.vin) else { return .unknownVehicle }
        return .accepted(PeerProtocol.RequestAccepted(requestId: ArchiveID.make(), archiveId: nil))
    }
}
