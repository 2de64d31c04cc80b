import DossierArchive
import DossierModel
import Hummingbird
import NIOCore
import NIOSSL

/// The request context of `PeerServer`: Hummingbird's core context plus the connection, from
/// which the caller's verified TLS client certificate is read.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The channel the request came on: its connection (HTTP/1.1) or its stream (HTTP/2); to
    /// drop it on purpose. The caller's certificate is read from `connection()`.
    public let channel: any Channel

    /// Called by Hummingbird once per request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// The caller's authority code: the 6-digit `serialNumber` of the client certificate that
    /// the TLS handshake verified against the trust anchors; nil when there is none or it
    /// carries no such code.
    public func callerAuthority() async -> String? {
        await callerCertificate().flatMap(Self.authority(of:))
    }

    /// The caller's verified TLS client certificate (DER); nil when there is none.
    public func callerCertificate() async -> [UInt8]? {
        guard let certificate = try? await connection().nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }

    /// "2" when the request came on an HTTP/2 stream, else "1.1".
    public func httpVersion() async -> String {
        await isHTTP2Stream() ? "2" : "1.1"
    }

    /// The TLS connection the request came on: the request's own channel for HTTP/1.1, the
    /// stream's parent for HTTP/2 (where the TLS handler, and with it the caller's certificate,
    /// lives). Every HTTP/2 stream thus carries the identity verified for its connection.
    func connection() async -> any Channel {
        guard let parent = channel.parent, await isHTTP2Stream() else { return channel }
        return parent
    }

    /// Every HTTP/2 stream's pipeline, and no connection's, holds a `StreamShare`.
    private func isHTTP2Stream() async -> Bool {
        (try? await channel.pipeline.handler(type: StreamShare.self).map { _ in true }.get()) ?? false
    }

    /// What the connection's handshake made of the caller (`CallerStanding`).
    func standing() async -> CallerStanding? {
        try? await connection().pipeline.handler(type: CallerStanding.self).get()
    }

    /// The 6-digit authority code a certificate (DER) names in its subject serialNumber.
    static func authority(of der: [UInt8]) -> String? {
        guard let code = CertificateInfo.authority(der: der),
            code.utf8.count == 6, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return code
    }
}
