import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Wraps the TLS + HTTP child channel setup: closes a connection before any TLS byte is
/// exchanged when `admit` says no (how the mock peer refuses handshakes on demand) or the
/// `ConnectionLimiter` has no room, and puts a `ConnectionGuard` after the TLS handler (handshake
/// deadline, connections per caller) before ALPN picks the HTTP protocol.
struct ConnectionGate<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let admit: @Sendable () -> Bool
    let limiter: ConnectionLimiter
    let handshakeTimeout: TimeAmount

    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard admit(), limiter.admit(channel) else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let tls = try operations.handler(type: NIOSSLServerHandler.self)
            try operations.addHandler(ConnectionGuard(limiter: limiter, handshakeTimeout: handshakeTimeout), position: .after(tls))
            return value
        }.flatMapErrorThrowing { error in
            // A connection whose setup failed would otherwise stay open, unanswered.
            channel.close(promise: nil)
            throw error
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
