import HummingbirdCore
import Logging
import NIOCore

/// Wraps a child channel setup so that a connection is closed before any TLS byte is
/// exchanged when `admit` says no: how the mock peer refuses handshakes on demand.
struct ConnectionGate<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let admit: @Sendable () -> Bool

    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard admit() else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ServerChildChannel {
    /// Opens the existential to wrap it in a `ConnectionGate`.
    func gated(by admit: @escaping @Sendable () -> Bool) -> any ServerChildChannel {
        ConnectionGate(base: self, admit: admit)
    }
}
