import DossierArchive
import DossierModel
import Hummingbird
import NIOCore
import NIOSSL

/// The request context of `PeerServer`: Hummingbird's core context plus the connection, from
/// which the caller's verified TLS client certificate is read.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on (for the peer certificate, or to drop it on purpose).
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
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }

    /// Why revocation of the caller's certificate could not be judged at its handshake; nil
    /// when it was judged (the connection would not exist otherwise).
    func revocationPending() async -> Finding? {
        try? await channel.pipeline.handler(type: RevocationPending.self).get().value
    }

    /// The 6-digit authority code a certificate (DER) names in its subject serialNumber.
    static func authority(of der: [UInt8]) -> String? {
        guard let code = CertificateInfo(der: der)?.authority,
            code.utf8.count == 6, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return code
    }
}
