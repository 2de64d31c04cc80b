import Foundation
import Synchronization

/// The client's mutual-TLS credentials: our certificate and key, the CA bundle that anchors
/// peers, and optionally a CRL.
public struct PeerTLS: Sendable, Equatable {
    public var certificateFile: String
    public var keyFile: String
    public var caFile: String
    public var crlFile: String?

    public init(certificateFile: String, keyFile: String, caFile: String, crlFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
        self.crlFile = crlFile
    }
}

/// Outbound HTTPS to peer authorities through libcurl's multi interface, as async calls.
///
/// One client owns one engine thread and its connection cache; share it across tasks (it is
/// `Sendable`). Peer certificates are verified against `tls.caFile` with host-name checks, TLS
/// 1.2 at least. Call `shutdown()` before dropping it.
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

        public init() {}
    }

    private let engine: CurlEngine

    public init(tls: PeerTLS, options: Options = Options()) {
        engine = CurlEngine(tls: tls, options: options)
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
