import DossierArchive
import DossierModel
import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// The server's TLS context, replaceable while it runs: each new connection takes the context
/// current at its accept, connections already open keep theirs (certificate rotation without a
/// restart and without touching transfers in flight). Client certificates are verified against
/// `trust` as it is at each handshake, so reloaded anchors and CRLs apply to the next
/// connection. Thread-safe.
public final class ServerTLSContext: Sendable {
    private let current: Mutex<NIOSSLContext>
    /// The anchors and CRLs callers' chains are verified against.
    public let trust: CurrentTrust
    /// The ALPN protocols offered, in order of preference (kept across reloads).
    let applicationProtocols: [String]
    /// What full handshakes made of callers' chains, for the sessions they resume.
    let judged = JudgedChains()

    /// TLS 1.2 suites with ECDHE key exchange and AEAD ciphers only, for EC and RSA
    /// certificates (docs/protocol.md, Identity); TLS 1.3 suites are all AEAD and are not configurable.
    static let tls12Ciphers: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// Builds the mutual-TLS context (TLS ≥ 1.2, the suites above, client certificates
    /// required and verified against `trust`, peers identified by certificate, not host name),
    /// offering `applicationProtocols` by ALPN (none: no ALPN, HTTP/1.1).
    /// - Throws: NIOSSL errors naming an unreadable certificate or key file.
    public init(certificateFile: String, keyFile: String, trust: CurrentTrust, applicationProtocols: [String] = []) throws {
        current = Mutex(try Self.make(certificateFile: certificateFile, keyFile: keyFile, applicationProtocols: applicationProtocols))
        self.trust = trust
        self.applicationProtocols = applicationProtocols
    }

    /// Swaps in new credentials for the connections accepted from now on.
    /// - Throws: NIOSSL errors; the running context is then kept.
    public func reload(certificateFile: String, keyFile: String) throws {
        let fresh = try Self.make(certificateFile: certificateFile, keyFile: keyFile, applicationProtocols: applicationProtocols)
        current.withLock { $0 = fresh }
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    /// What the server makes of a caller's certificate chain (as presented, leaf first),
    /// against one snapshot of the trust in force.
    enum CallerVerdict {
        case trusted
        /// The chain verifies, but revocation cannot be judged now (a CRL not yet valid, past
        /// its nextUpdate, or missing): let in, and answered 503 until it can.
        case revocationUnknown(Finding)
        case refused(Finding)
    }

    /// The verdict on a chain (DER, leaf first) under `store`; `complete` is false when some
    /// presented certificate could not be read.
    static func verdict(on chain: [[UInt8]], complete: Bool = true, under store: TrustStore) -> CallerVerdict {
        guard !chain.isEmpty, complete else {
            return .refused(Finding(.authenticity, "untrusted-peer", "no readable client certificate"))
        }
        guard let refusal = store.checkTLSPeer(chain: chain, clientPurpose: true) else { return .trusted }
        // OpenSSL stops at the first error, and revocation comes before signatures: only a
        // chain that verifies without revocation may be let in on a transient finding.
        guard refusal.isTransient, store.checkTLSPeer(chain: chain, clientPurpose: true, revocation: false) == nil else {
            return .refused(refusal)
        }
        return .revocationUnknown(refusal)
    }

    private static func make(certificateFile: String, keyFile: String, applicationProtocols: [String]) throws -> NIOSSLContext {
        // The trust roots stay empty: `verdict(on:)` replaces BoringSSL's chain verification,
        // so that every CRL and a reloaded store apply.
        var tls = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)),
            trustRoots: .certificates([]))
        tls.certificateVerification = .noHostnameVerification
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuiteValues = tls12Ciphers
        tls.applicationProtocols = applicationProtocols
        return try NIOSSLContext(configuration: tls)
    }
}

/// HummingbirdTLS's `TLSChannel`, but taking its context from a `ServerTLSContext` per
/// connection, and verifying client certificates with it.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: ServerTLSContext
    /// When set, counts the application bytes callers send after their handshake.
    let inboundBytes: InboundByteCount?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let tls = self.tls
        let remote = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        return channel.eventLoop.makeCompletedFuture {
            let standing = CallerStanding(judged: tls.judged)
            let handler = NIOSSLServerHandler(
                context: tls.context,
                customVerificationCallback: { certificates, promise in
                    // A few hundred microseconds of OpenSSL work: done on the event loop.
                    let chain = certificates.compactMap { try? $0.toDERBytes() }
                    let store = tls.trust.store
                    switch ServerTLSContext.verdict(on: chain, complete: chain.count == certificates.count, under: store) {
                    case .trusted:
                        standing.recordHandshake(.init(chain: chain, trust: store, pending: nil))
                        promise.succeed(.certificateVerified)
                    case let .revocationUnknown(finding):
                        logger.warning(
                            "client certificate let in with revocation unknown; its requests get 503",
                            metadata: ["remote": "\(remote)", "reason": "\(finding.code): \(finding.detail)"])
                        standing.recordHandshake(.init(chain: chain, trust: store, pending: finding))
                        promise.succeed(.certificateVerified)
                    case let .refused(refusal):
                        logger.warning(
                            "client certificate refused at the handshake",
                            metadata: ["remote": "\(remote)", "reason": "\(refusal.code): \(refusal.detail)"])
                        promise.succeed(.failed)
                    }
                })
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.pipeline.syncOperations.addHandler(standing)
            if let inboundBytes { try channel.pipeline.syncOperations.addHandler(ByteCountingHandler(count: inboundBytes)) }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// The application bytes callers sent after their TLS handshakes, across connections (the
/// mock peer reports it, so a test can prove an impostor got nothing). Thread-safe.
public final class InboundByteCount: Sendable {
    private let total = Atomic<Int>(0)

    /// Starts at zero.
    public init() {}

    /// Bytes counted so far.
    public var value: Int { total.load(ordering: .relaxed) }

    func add(_ bytes: Int) { total.wrappingAdd(bytes, ordering: .relaxed) }
}

/// Sits right after the TLS handler: what it sees has passed the handshake and decryption.
final class ByteCountingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let count: InboundByteCount

    init(count: InboundByteCount) { self.count = count }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        count.add(unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }
}

/// What the connection's handshake made of its caller, kept on the connection for its requests:
/// the chain as presented, the trust it was judged under (requests judge it again when the
/// trust in force has changed since), and, when revocation could not be judged, why (answered
/// 503 + Retry-After until it can: the caller's standing may change when the CRL does, so it
/// is never refused for it). A resumed TLS session, whose handshake judges nothing, takes the
/// standing of the full handshake that made the session (`JudgedChains`); a leaf not found
/// there stands alone, judged under no trust yet, so its first request judges it. Passes every
/// event through unchanged.
final class CallerStanding: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    /// One judgement of the caller's chain.
    struct Judged: Sendable {
        var chain: [[UInt8]]
        /// Nil: not judged yet (a resumed session whose first handshake is forgotten).
        var trust: TrustStore?
        var pending: Finding?
        /// Judged again after this even under the same trust: its CRLs stop being current at
        /// their `nextUpdate`, and a certificate may expire meanwhile (so: five minutes at most).
        var until: Date

        /// A judgement made now under `trust`.
        init(chain: [[UInt8]], trust: TrustStore?, pending: Finding?, now: Date = Date()) {
            self.chain = chain
            self.trust = trust
            self.pending = pending
            until = min(now.addingTimeInterval(Self.longest), trust?.revocationCurrentUntil ?? .distantFuture)
        }

        static let longest: TimeInterval = 300
    }

    private let judged = Mutex<Judged?>(nil)
    private let handshakes: JudgedChains

    init(judged handshakes: JudgedChains) { self.handshakes = handshakes }

    /// Records the verdict of this connection's full handshake, for its requests and for the
    /// sessions resumed from it.
    func recordHandshake(_ value: Judged) {
        record(value)
        handshakes.remember(value)
    }

    /// Records a judgement made again under the trust in force.
    func record(_ value: Judged) { judged.withLock { $0 = value } }

    /// The latest judgement; nil before the handshake.
    var value: Judged? { judged.withLock { $0 } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, value == nil,
            let leaf = try? context.pipeline.syncOperations.nioSSL_peerCertificate()?.toDERBytes()
        {
            record(handshakes.judgement(ofLeaf: leaf) ?? Judged(chain: [leaf], trust: nil, pending: nil))
        }
        context.fireUserInboundEventTriggered(event)
    }
}
