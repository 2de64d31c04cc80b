import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// Counts the peer server's connections (docs/protocol.md): at most `CallerLimits.connections` in
/// all, and `connectionsPerCaller` for one authenticated caller, where each open HTTP/2 stream
/// counts as one more connection of its caller (a peer gets no more requests in flight by
/// multiplexing than by opening HTTP/1.1 connections). Connections that have not
/// finished their TLS handshake cost nothing to open and prove nothing, so they are the ones
/// given up: at the cap the oldest of them is closed to admit a new connection, and each is
/// closed when its handshake deadline passes. Thread-safe.
final class ConnectionLimiter: Sendable {
    private struct Connection {
        let channel: any Channel
        let opened: NIODeadline
        /// Set once the handshake is done: the caller's authority code ("" when it has none).
        var caller: String?
    }

    private let limits: CallerLimits
    private let state = Mutex<(open: [ObjectIdentifier: Connection], byCaller: [String: Int])>(([:], [:]))

    init(limits: CallerLimits) { self.limits = limits }

    /// Counts a new connection until it closes; false when the cap is reached and no connection
    /// is still in its handshake (the new one is then to be closed).
    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let (admitted, shed): (Bool, (any Channel)?) = state.withLock { state in
            var shed: (any Channel)?
            if state.open.count >= max(1, limits.connections) {
                guard let oldest = state.open.filter({ $0.value.caller == nil }).min(by: { $0.value.opened < $1.value.opened })
                else { return (false, nil) }
                state.open[oldest.key] = nil
                shed = oldest.value.channel
            }
            state.open[key] = Connection(channel: channel, opened: .now(), caller: nil)
            return (true, shed)
        }
        shed?.close(promise: nil)
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [self] _ in closed(key) }
        return true
    }

    /// Records that `channel` finished its handshake as `caller`; false when that caller holds
    /// its share of connections already (the connection is then to be closed).
    func authenticated(_ channel: any Channel, caller: String?) -> Bool {
        let caller = caller ?? ""
        return state.withLock { state in
            let key = ObjectIdentifier(channel)
            guard state.open[key] != nil else { return false }
            let held = state.byCaller[caller, default: 0]
            guard held < connectionsPerCaller else { return false }
            state.byCaller[caller] = held + 1
            state.open[key]?.caller = caller
            return true
        }
    }

    /// Charges one HTTP/2 stream on `connection` to the connection's caller; the caller, to
    /// give back with `closeStream(caller:)`, or nil when the caller holds its share already
    /// (or the connection is not counted as authenticated): the stream is then to be reset.
    func openStream(on connection: any Channel) -> String? {
        state.withLock { state in
            guard let caller = state.open[ObjectIdentifier(connection)]?.caller else { return nil }
            let held = state.byCaller[caller, default: 0]
            guard held < connectionsPerCaller else { return nil }
            state.byCaller[caller] = held + 1
            return caller
        }
    }

    /// Gives back a stream charged by `openStream(on:)`.
    func closeStream(caller: String) {
        state.withLock { state in release(caller, in: &state.byCaller) }
    }

    /// A caller's share: its connections and HTTP/2 streams together.
    var connectionsPerCaller: Int { max(1, limits.connectionsPerCaller) }

    /// True while `channel` is counted and has not finished its handshake.
    func isHandshaking(_ channel: any Channel) -> Bool {
        state.withLock { $0.open[ObjectIdentifier(channel)].map { $0.caller == nil } ?? false }
    }

    /// Connections counted now, for tests.
    var count: Int { state.withLock { $0.open.count } }

    private func closed(_ key: ObjectIdentifier) {
        state.withLock { state in
            guard let caller = state.open.removeValue(forKey: key)?.caller else { return }
            release(caller, in: &state.byCaller)
        }
    }

    private func release(_ caller: String, in byCaller: inout [String: Int]) {
        let held = byCaller[caller, default: 0]
        byCaller[caller] = held > 1 ? held - 1 : nil
    }
}

/// Sits after the TLS handler of each connection: closes it when its handshake misses the
/// deadline, and hands the authenticated caller to the `ConnectionLimiter` when it completes.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limiter: ConnectionLimiter
    private let handshakeTimeout: TimeAmount

    init(limiter: ConnectionLimiter, handshakeTimeout: TimeAmount) {
        self.limiter = limiter
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let limiter = limiter
        context.eventLoop.scheduleTask(in: handshakeTimeout) {
            if limiter.isHandshaking(channel) { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
            guard
                limiter.authenticated(
                    context.channel, caller: certificate.flatMap { try? $0.toDERBytes() }.flatMap(PeerRequestContext.authority(of:)))
            else {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }
}
