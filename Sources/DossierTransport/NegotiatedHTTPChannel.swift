import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOTLS

/// The HTTP layer of a peer connection, chosen by ALPN once the TLS handshake is done: `h2`
/// gets `HTTP2Connection`, `http/1.1` or no ALPN at all gets Hummingbird's HTTP/1.1 channel.
/// It sits behind `ReloadableTLSChannel` and `ConnectionGate`, so the handshake, the caller's
/// verification, revocation and the connection caps are the same whichever protocol follows.
///
/// On HTTP/2 each stream is one request, counted as one more of its caller's connections
/// (`StreamShare`): multiplexing never gives a peer more requests in flight than HTTP/1.1
/// connections would. The server announces SETTINGS_MAX_CONCURRENT_STREAMS so that clients
/// stay within that share on one connection; `StreamShare` holds the bound against clients that
/// do not.
struct NegotiatedHTTPChannel: ServerChildChannel {
    /// The protocol the connection settled on, with Hummingbird's value for it.
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(HTTP2Connection.Streams)
    }

    /// Completes once ALPN (or its absence) decided the protocol.
    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    /// The ALPN protocols offered: `h2` first when HTTP/2 is on, `http/1.1` always.
    static func alpn(http2: Bool) -> [String] { http2 ? ["h2", "http/1.1"] : ["http/1.1"] }

    let http1: HTTP1Channel
    /// nil: HTTP/1.1 only (a client asking for `h2` alone is closed by the negotiation).
    let http2: HTTP2Connection?
    /// `limits.max_archive_size`: over HTTP/1.1 a larger declared body gets no `100 Continue`.
    let maxBodyBytes: UInt64

    /// - Parameters:
    ///   - responder: Hummingbird's responder, shared by both protocols.
    ///   - http2: whether `h2` is offered.
    ///   - idleTimeout: an HTTP/1.1 connection, or an HTTP/2 connection without open streams,
    ///     silent this long is closed; so is an HTTP/2 stream.
    ///   - limiter: the connection counts an HTTP/2 stream is charged to.
    init(
        responder: @escaping HTTPChannelHandler.Responder, http2: Bool, idleTimeout: TimeAmount, maxBodyBytes: UInt64,
        limiter: ConnectionLimiter
    ) {
        let http1 = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout))
        self.http1 = http1
        self.http2 =
            http2
            ? HTTP2Connection(
                http1: http1, idleTimeout: idleTimeout, limiter: limiter,
                // One of the caller's share is the connection itself.
                maxConcurrentStreams: max(1, min(100, limiter.connectionsPerCaller - 1)))
            : nil
        self.maxBodyBytes = maxBodyBytes
    }

    /// Waits for ALPN behind the TLS handler, then sets the connection up for the protocol
    /// chosen; a protocol not offered closes the connection.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result in
                switch result {
                case .negotiated("h2"):
                    guard let http2 else { return refuse(channel, protocol: "h2") }
                    return channel.eventLoop.makeCompletedFuture { .http2(try http2.setup(channel: channel, logger: logger)) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
                        let operations = channel.pipeline.syncOperations
                        let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                        try operations.addHandler(ExpectContinueHandler(maxBodyBytes: maxBodyBytes), position: .after(decoder))
                        return .http1(value)
                    }
                case let .negotiated(other):
                    return refuse(channel, protocol: other)
                }
            }
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    /// Serves the connection's requests (HTTP/2: each stream in a task of its own) until it closes.
    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case let .http1(connection): await http1.handle(value: connection, logger: logger)
            case let .http2(streams): await http2?.serve(streams, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its HTTP protocol was set up", metadata: ["error": "\(error)"])
        }
    }

    private func refuse(_ channel: any Channel, protocol name: String) -> EventLoopFuture<Negotiated> {
        channel.close(promise: nil)
        return channel.eventLoop.makeFailedFuture(NegotiationRefused(protocolName: name))
    }

    /// ALPN settled on a protocol this server does not speak (a client that offered only that).
    struct NegotiationRefused: Error {
        let protocolName: String
    }
}

/// In every HTTP/2 stream's pipeline (after the HTTP/2-to-HTTP codec): charges the stream to
/// its caller's share of connections (`ConnectionLimiter.openStream`) until it closes. A stream
/// beyond the share is reset before its request reaches a route, so it never takes an upload
/// slot or reads a body byte.
///
/// It also carries over what `Connection: close` means on HTTP/1.1 (a route answering before the
/// body is read: 403, 408, 413; or a verdict bound to the handshake: 503 with revocation
/// unknown), since HTTP/2 forbids that header: it is removed, and once the answer is written the
/// stream is reset with NO_ERROR if its request is still arriving (the rest is not read); after
/// a 403 or 503 the connection is also asked to finish (GOAWAY: open streams complete, new ones
/// go to a new connection), so that the caller's next request makes a new handshake, where a
/// revoked certificate is refused.
/// Runs on the stream's event loop only.
final class StreamShare: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limiter: ConnectionLimiter
    private var admitted = false
    private var requestEnded = false
    /// What the answer's `Connection: close` asks for, once its head is written.
    private var onAnswered: Finish?

    private enum Finish {
        case resetStream
        case finishConnection
    }

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let connection = context.channel.parent, let caller = limiter.openStream(on: connection) else { return }
        admitted = true
        let limiter = limiter
        context.channel.closeFuture.whenComplete { _ in limiter.closeStream(caller: caller) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else {
            context.close(promise: nil)
            return
        }
        if case .end = unwrapInboundIn(data) { requestEnded = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where response.headerFields[.connection] != nil:
            response.headerFields[.connection] = nil
            // A 403 or 503 is about the caller's handshake (identity, revocation), which every
            // stream of the connection shares; a 408 or 413 is about this stream's body.
            onAnswered = [.forbidden, .serviceUnavailable].contains(response.status) ? .finishConnection : .resetStream
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where onAnswered != nil:
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            let finish = onAnswered
            written.futureResult.assumeIsolated().whenSuccess { [self] in
                if finish == .finishConnection {
                    context.channel.parent?.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
                }
                if !requestEnded { resetStream(context) }
            }
        default:
            context.write(data, promise: promise)
        }
    }

    /// RST_STREAM NO_ERROR (RFC 9113 §8.1: a complete answer given before the request ended),
    /// written below the codec, which carries HTTP parts only.
    private func resetStream(_ context: ChannelHandlerContext) {
        guard let codec = try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTPServerCodec.self)
        else {
            context.close(promise: nil)
            return
        }
        codec.writeAndFlush(NIOAny(HTTP2Frame.FramePayload.rstStream(.noError)), promise: nil)
    }
}
