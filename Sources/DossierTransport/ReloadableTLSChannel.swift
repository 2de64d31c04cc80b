import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The server's TLS context, replaceable while it runs: each new connection takes the context
/// current at its accept, connections already open keep theirs (certificate rotation without a
/// restart and without touching transfers in flight). Thread-safe.
public final class ServerTLSContext: Sendable {
    private let current: Mutex<NIOSSLContext>

    /// Builds the mutual-TLS context (TLS ≥ 1.2, client certificates required and verified
    /// against `caFile`, peers identified by certificate, not host name).
    /// - Throws: NIOSSL errors naming an unreadable certificate, key or CA file.
    public init(certificateFile: String, keyFile: String, caFile: String) throws {
        current = Mutex(try Self.make(certificateFile: certificateFile, keyFile: keyFile, caFile: caFile))
    }

    /// Swaps in new credentials for the connections accepted from now on.
    /// - Throws: NIOSSL errors; the running context is then kept.
    public func reload(certificateFile: String, keyFile: String, caFile: String) throws {
        let fresh = try Self.make(certificateFile: certificateFile, keyFile: keyFile, caFile: caFile)
        current.withLock { $0 = fresh }
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    private static func make(certificateFile: String, keyFile: String, caFile: String) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)),
            trustRoots: .file(caFile))
        tls.certificateVerification = .noHostnameVerification
        tls.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: tls)
    }
}

/// HummingbirdTLS's `TLSChannel`, but taking its context from a `ServerTLSContext` per
/// connection.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: ServerTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
