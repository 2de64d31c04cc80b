import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The inbound side of the peer protocol (docs/protocol.md): a Hummingbird 2 application over TLS
/// 1.2+ (ECDHE + AEAD suites) or 1.3 with mutual authentication, speaking HTTP/2 to clients that
/// ask for `h2` by ALPN (when `configuration.http2`) and HTTP/1.1 to the others. Every request's caller is the
/// authority code of its client certificate, verified against the trust anchors and every CRL
/// during the handshake (a revoked caller never gets a request in); callers the configuration
/// does not accept get 403 `unknown-peer` before any body is read.
/// Every route's decision goes to the host's `PeerServerDelegate`.
///
/// `application` is a swift-service-lifecycle `Service`: add it to a `ServiceGroup`, or call
/// `run()` / `runService()`. Cancelling the task or a graceful shutdown stops it cleanly.
public struct PeerServer: Sendable {
    /// The Hummingbird application (a `Service`). Add companion services with `addServices`.
    public var application: Application<RouterResponder<PeerRequestContext>>
    private let listening: ListeningPort
    /// The TLS credentials new connections get; `reload` them to rotate certificates.
    public let tls: ServerTLSContext

    /// Builds the server; nothing is bound until it runs.
    /// - Parameters:
    ///   - middleware: extra middleware run on every request before routing (the mock peer's
    ///     fault injection), inside the error-to-ErrorBody conversion.
    ///   - admitConnection: asked for every new connection before the TLS handshake; false
    ///     closes it (used to refuse handshakes on demand).
    ///   - inboundBytes: when set, counts the bytes callers send after their TLS handshake.
    ///   - onListening: called once with the bound port.
    /// - Throws: NIOSSL errors naming an unreadable certificate, key or CA file.
    public init(
        configuration: PeerServerConfiguration, delegate: any PeerServerDelegate,
        middleware: [any MiddlewareProtocol<Request, Response, PeerRequestContext>] = [],
        admitConnection: @escaping @Sendable () -> Bool = { true },
        inboundBytes: InboundByteCount? = nil,
        onListening: @escaping @Sendable (Int) -> Void = { _ in },
        logger: Logger = Logger(label: "dossierd.peer-server")
    ) throws {
        let tls = try ServerTLSContext(
            certificateFile: configuration.certificateFile, keyFile: configuration.keyFile,
            trust: configuration.trust, applicationProtocols: NegotiatedHTTPChannel.alpn(http2: configuration.http2))
        self.tls = tls
        let idleTimeout = TimeAmount.seconds(configuration.idleTimeoutSeconds)

        let router = Router(context: PeerRequestContext.self)
        router.add(middleware: ErrorBodyMiddleware())
        router.add(middleware: RequestRateMiddleware(rate: RequestRate(perMinute: configuration.callers.requestsPerMinute)))
        middleware.forEach { router.add(middleware: $0) }
        PeerRoutes(configuration: configuration, delegate: delegate).register(on: router)

        let listening = ListeningPort()
        self.listening = listening
        let limiter = ConnectionLimiter(limits: configuration.callers)
        // Clamped to a day: a larger value is no deadline at all, and must not overflow the conversion.
        let handshakeTimeout = TimeAmount.milliseconds(Int64(min(max(0.001, configuration.callers.handshakeTimeout), 86_400) * 1000))
        application = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                let http = NegotiatedHTTPChannel(
                    responder: responder, http2: configuration.http2, idleTimeout: idleTimeout,
                    maxBodyBytes: configuration.maxArchiveBytes, limiter: limiter)
                return ConnectionGate(
                    base: ReloadableTLSChannel(base: http, tls: tls, inboundBytes: inboundBytes),
                    admit: admitConnection, limiter: limiter, handshakeTimeout: handshakeTimeout)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "dossierd"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                listening.set(port)
                onListening(port)
            },
            logger: logger)
    }

    /// The bound port once the server listens; nil before.
    public var port: Int? { listening.get() }

    /// Runs until cancelled or shut down gracefully.
    public func run() async throws { try await application.run() }

    /// Runs until SIGTERM or SIGINT, then drains and returns.
    public func runService() async throws { try await application.runService() }
}

/// The port the server bound, set once it listens. Thread-safe.
final class ListeningPort: Sendable {
    private let value = Mutex<Int?>(nil)
    func set(_ port: Int) { value.withLock { $0 = port } }
    func get() -> Int? { value.withLock { $0 } }
}
