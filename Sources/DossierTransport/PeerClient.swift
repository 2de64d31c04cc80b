import DossierArchive
import DossierSystem
import Foundation
import Synchronization

/// The client's mutual-TLS credentials: our certificate and key (read by libcurl on each new
/// connection, so rotated files take effect without a restart), and the trust in force —
/// anchors and every CRL — that each server's chain is verified against.
public struct PeerTLS: Sendable {
    public var certificateFile: String
    public var keyFile: String
    public var trust: CurrentTrust

    /// Credentials from these files; server chains verified against `trust` as it is when
    /// each connection opens.
    public init(certificateFile: String, keyFile: String, trust: CurrentTrust) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.trust = trust
    }
}

/// Outbound HTTPS to peer authorities through libcurl's multi interface, as async calls.
///
/// One client owns one engine thread and its connection cache; share it across tasks (it is
/// `Sendable`). Every server is verified inside the handshake: its chain against `tls.trust`
/// (revocation included), host name, and its identity against the request's `PeerIdentity`
/// (docs/protocol.md, Identity); TLS 1.2 with ECDHE and AEAD suites, or TLS 1.3. Call `shutdown()` before
/// dropping it.
public final class PeerClient: Sendable {
    /// Timeouts and limits applied to every request.
    public struct Options: Sendable, Equatable {
        /// Seconds to establish TCP + TLS.
        public var connectTimeout: Double = 10
        /// A transfer slower than this many bytes a second for `lowSpeedTime` seconds is cut.
        public var lowSpeedLimit: Int = 1024
        public var lowSpeedTime: Double = 30
        /// Whole-request limit in seconds; nil for none (large archives rely on the low-speed cut).
        public var totalTimeout: Double?
        /// Connections kept per peer host (HTTP/1.1 concurrency; HTTP/2 multiplexes within them).
        public var maxConnectionsPerHost: Int = 8
        /// Where the engine's thread comes from (tests: `.exhausted`).
        public var threads: ThreadStarter = .system

        public init() {}
    }

    private let engine: CurlEngine

    /// A client with its engine thread running.
    /// - Throws: `TransportError.system` when no thread can be had for the engine.
    public init(tls: PeerTLS, options: Options = Options()) throws(TransportError) {
        engine = try CurlEngine(tls: tls, options: options)
    }

    /// Carries out one exchange. An HTTP answer of any status is a `PeerResponse`; only the
    /// absence of an answer throws.
    /// - Throws: `TransportError`.
    public func send(_ request: PeerRequest) async throws -> PeerResponse {
        let box = JobBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                box.set(engine.submit(request, continuation: continuation))
            }
        } onCancel: {
            box.whenSet { [engine] in engine.cancel($0) }
        }
    }

    /// Ends every request in flight (they throw `cancelled`) and stops the engine thread.
    public func shutdown() { engine.shutdown() }
}

/// The engine's job id, handed from the submitting task to a possible cancellation handler.
private final class JobBox: Sendable {
    private struct State {
        var id: UInt64?
        var onSet: (@Sendable (UInt64) -> Void)?
    }

    private let state = Mutex(State())

    func set(_ value: UInt64) {
        let pending = state.withLock { state -> (@Sendable (UInt64) -> Void)? in
            state.id = value
            return state.onSet
        }
        pending?(value)
    }

    func whenSet(_ action: @escaping @Sendable (UInt64) -> Void) {
        let known = state.withLock { state -> UInt64? in
            state.onSet = action
            return state.id
        }
        if let known { action(known) }
    }
}
