import DossierArchive
import DossierInbox
import DossierSystem
import DossierTransport
import DossierTestSupport
import Foundation
import Synchronization
import Testing

/// The pull and request side of the test server: one held archive, known and ineligible
/// vehicles, acknowledgements recorded.
final class TestDelegate: Sendable {
    let held: HeldArchiveFile?
    let heldId: String
    let acknowledged = Mutex<[String]>([])

    init(held: HeldArchiveFile?, heldId: String) {
        self.held = held
        self.heldId = heldId
    }

    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        guard let held, held.destination == caller, heldId > (after ?? "") else { return .init(archives: [], next: nil) }
        return .init(archives: [.init(id: heldId, size: held.size, digest: "", createdAt: Date(timeIntervalSince1970: 0))], next: nil)
    }

    func heldArchive(id: String) async throws -> HeldArchiveFile? { id == heldId ? held : nil }

    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome {
        guard id == heldId else { return .notFound }
        guard !receipt.isEmpty else { return .invalidReceipt("empty receipt") }
        acknowledged.withLock { $0.append(id) }
        return .recorded
    }

    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome {
        switch request.vin {
        case "KNOWN": return .accepted(.init(requestId: "r-1", archiveId: nil))
        case "BLOCKED": return .ineligible(["open case"])
        default: return .unknownVehicle
        }
    }
}

/// The test server's host: pushes go to a real `Inbox` (on a real pool), the rest to a
/// `TestDelegate`.
struct HarnessDelegate: PeerServerDelegate {
    let inbox: Inbox
    let pool: BlockingPool
    let rest: TestDelegate

    var authorityCode: String { inbox.authority }
    func hasRoom(for bytes: UInt64) throws -> Bool { try inbox.hasRoom(for: bytes) }
    func makeUploadFile() throws(SystemError) -> IncomingFile { try inbox.makeIncomingFile() }
    func receivePush(_ file: ReceivedFile, id: String, caller: String) async throws -> PushDecision {
        try await inbox.receivePush(file, id: id, caller: caller, on: pool)
    }
    func heldArchives(for caller: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        try await rest.heldArchives(for: caller, after: after, limit: limit)
    }
    func heldArchive(id: String) async throws -> HeldArchiveFile? { try await rest.heldArchive(id: id) }
    func acknowledge(id: String, receipt: [UInt8], from caller: String) async throws -> AcknowledgeOutcome {
        try await rest.acknowledge(id: id, receipt: receipt, from: caller)
    }
    func requestArchive(_ request: PeerProtocol.ArchiveRequest, from caller: String) async throws -> ArchiveRequestOutcome {
        try await rest.requestArchive(request, from: caller)
    }
}

/// A `PeerServer` for authority 430100 running in this process on 127.0.0.1, port 0, with its
/// inbox under `dir`; `certificate` names the PKI certificate it serves (`430100-rsa` for RSA).
struct RunningServer {
    let inbox: Inbox
    let port: Int
    let task: Task<Void, any Error>

    static func start(
        in dir: TempDir, maxArchiveBytes: UInt64 = 64 << 20, maxUploads: Int = 8,
        delegate: TestDelegate = TestDelegate(held: nil, heldId: ""), trust: CurrentTrust? = nil,
        acceptsCaller: @escaping @Sendable (String) -> Bool = { _ in true },
        certificate: String = "430100", callers: CallerLimits = .default, storage: StorageLimits = .default,
        inboxDirectory: URL? = nil, idleTimeoutSeconds: Int64 = 120
    ) async throws -> RunningServer {
        let pki = TestPKI.shared
        let trust = try trust ?? pki.currentTrust()
        let inbox = try Inbox(
            inboxDirectory: inboxDirectory ?? dir.url.appendingPathComponent("inbox"),
            quarantineDirectory: dir.url.appendingPathComponent("quarantine"),
            identity: try pki.identity("430100"), trust: trust, storage: storage)
        let server = try PeerServer(
            configuration: PeerServerConfiguration(
                certificateFile: pki.cert(certificate), keyFile: pki.key(certificate), trust: trust,
                acceptsCaller: acceptsCaller,
                maxArchiveBytes: maxArchiveBytes, maxConcurrentUploads: maxUploads, retryAfterSeconds: 7,
                idleTimeoutSeconds: idleTimeoutSeconds, callers: callers),
            delegate: HarnessDelegate(inbox: inbox, pool: BlockingPool(threads: 2), rest: delegate))
        // Off the cooperative pool: the test's own blocking calls must not starve the server.
        let task = Task { try await withTaskExecutorPreference(ServerThreads.shared) { try await server.run() } }
        let listening = try await eventually(seconds: 30) { server.port != nil }
        try #require(listening, "the server did not start listening")
        return RunningServer(inbox: inbox, port: server.port ?? 0, task: task)
    }

    /// Stops the server and waits for it to finish.
    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// Runs `body` against a started `RunningServer` and stops the server afterwards, also when
/// `body` throws.
func withServer<T>(
    in dir: TempDir, maxArchiveBytes: UInt64 = 64 << 20, maxUploads: Int = 8,
    delegate: TestDelegate = TestDelegate(held: nil, heldId: ""), trust: CurrentTrust? = nil,
    acceptsCaller: @escaping @Sendable (String) -> Bool = { _ in true }, certificate: String = "430100",
    callers: CallerLimits = .default, storage: StorageLimits = .default, inboxDirectory: URL? = nil,
    idleTimeoutSeconds: Int64 = 120, _ body: (RunningServer) async throws -> T
) async throws -> T {
    let server = try await RunningServer.start(
        in: dir, maxArchiveBytes: maxArchiveBytes, maxUploads: maxUploads, delegate: delegate,
        trust: trust, acceptsCaller: acceptsCaller, certificate: certificate,
        callers: callers, storage: storage, inboxDirectory: inboxDirectory, idleTimeoutSeconds: idleTimeoutSeconds)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
