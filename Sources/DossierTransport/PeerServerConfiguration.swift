import DossierArchive

/// How `PeerServer` listens and what it accepts.
public struct PeerServerConfiguration: Sendable {
    /// Address to bind, e.g. `0.0.0.0` or `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free one (read it from `PeerServer.port`).
    public var port: Int
    /// The server's certificate (leaf first, then intermediates), PEM.
    public var certificateFile: String
    /// The server's private key, PEM.
    public var keyFile: String
    /// Trust anchors and CRLs for client certificates, as in force at each handshake.
    public var trust: CurrentTrust
    /// Whether an authenticated caller may use the routes at all (the allow-list of
    /// configured peers); others get 403 `unknown-peer` before any body is read. Asked on
    /// every request, so a reloaded list applies at once.
    public var acceptsCaller: @Sendable (String) -> Bool
    /// Largest archive accepted by `PUT` (413 beyond it).
    public var maxArchiveBytes: UInt64
    /// Uploads received at the same time; more get 503 + `Retry-After`.
    public var maxConcurrentUploads: Int
    /// Seconds announced in `Retry-After` with a 503.
    public var retryAfterSeconds: Int
    /// Reported by `GET /v1/health`.
    public var version: String
    /// A connection that sends nothing for this long is closed (stalled or slow-loris clients).
    public var idleTimeoutSeconds: Int64
    /// An upload averaging fewer bytes a second than this, once `lowSpeedSeconds` have passed,
    /// is cut off with 408 (a peer trickling its body must not hold an upload slot for hours).
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Double
    /// Per-caller uploads, connections and request rate; the connection cap and handshake deadline.
    public var callers: CallerLimits
    /// Whether HTTP/2 is offered by ALPN (`h2`, then `http/1.1`); false: HTTP/1.1 only.
    public var http2: Bool

    /// Defaults: loopback, any free port, every authenticated caller accepted,
    /// `ArchiveLimits.default` size, 32 uploads, 5 s retry, 120 s idle timeout,
    /// `CallerLimits.default`, HTTP/2 offered.
    public init(
        host: String = "127.0.0.1", port: Int = 0, certificateFile: String, keyFile: String, trust: CurrentTrust,
        acceptsCaller: @escaping @Sendable (String) -> Bool = { _ in true },
        maxArchiveBytes: UInt64 = ArchiveLimits.default.maxArchiveBytes, maxConcurrentUploads: Int = 32,
        retryAfterSeconds: Int = 5, version: String = ArchivePacker.softwareAgent, idleTimeoutSeconds: Int64 = 120,
        lowSpeedBytesPerSecond: Int = 1024, lowSpeedSeconds: Double = 30, callers: CallerLimits = .default,
        http2: Bool = true
    ) {
        self.host = host
        self.port = port
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.trust = trust
        self.acceptsCaller = acceptsCaller
        self.maxArchiveBytes = maxArchiveBytes
        self.maxConcurrentUploads = maxConcurrentUploads
        self.retryAfterSeconds = retryAfterSeconds
        self.version = version
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedSeconds = lowSpeedSeconds
        self.callers = callers
        self.http2 = http2
    }
}
