import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// An HTTP/2 peer connection, set up on swift-nio-http2 directly. Hummingbird's own HTTP/2
/// channel fixes both flow-control windows at the protocol's 64 KiB, and a stream's window only
/// reopens as the route reads the body: one 100 MB upload took 24.8 s there against 1.6 s over
/// HTTP/1.1. Here each stream may have `streamWindow` bytes in flight and the connection
/// `connectionWindow`; the stream window is also what one stream can make the server buffer.
///
/// Each stream is one request, served by Hummingbird's HTTP/1.1 channel (`handleHTTP`), so the
/// routes, the request context and the responses are the same as over HTTP/1.1. Each stream's
/// pipeline holds `EndStreamCoalescing` (END_STREAM on the last DATA frame), `StreamShare` (the
/// caller's share of connections) and Hummingbird's
/// `HTTPConnectionStateHandler` (the stream's idle timeout, quiescing); the connection's holds
/// `HTTP2ConnectionLifetime` (idle timeout, GOAWAY).
struct HTTP2Connection: Sendable {
    /// A stream's receive window: 1 MiB keeps one upload as fast as over HTTP/1.1 on loopback
    /// (where 64 KiB ran 15× slower) while a caller's 32 streams hold at most 32 MiB unread.
    static let streamWindow = 1 << 20
    /// The connection's receive window, replenished as DATA arrives (the stream windows bound
    /// what is buffered): room for several streams' windows at once.
    static let connectionWindow = 8 << 20

    typealias Streams = NIOHTTP2Handler.AsyncStreamMultiplexer<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>>

    /// Serves every stream's request.
    let http1: HTTP1Channel
    /// A connection without open streams, or a stream, silent this long is closed.
    let idleTimeout: TimeAmount
    /// What each stream is charged to.
    let limiter: ConnectionLimiter
    /// Announced as SETTINGS_MAX_CONCURRENT_STREAMS.
    let maxConcurrentStreams: Int

    /// Installs HTTP/2 on `channel` (behind TLS and ALPN). Call on the channel's event loop.
    /// - Throws: what the pipeline throws when a handler cannot be added (the channel closed).
    func setup(channel: any Channel, logger: Logger) throws -> Streams {
        let lifetime = HTTP2ConnectionLifetime(idleTimeout: idleTimeout)
        var configuration = NIOHTTP2Handler.Configuration()
        configuration.connection.targetWindowSize = Self.connectionWindow
        configuration.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
            // swift-nio-http2's default, against header floods.
            HTTP2Setting(parameter: .maxHeaderListSize, value: 16 << 10),
            HTTP2Setting(parameter: .initialWindowSize, value: Self.streamWindow),
        ]
        configuration.stream.targetWindowSize = Self.streamWindow
        let (limiter, idleTimeout) = (limiter, idleTimeout)
        let streams = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
            mode: .server, streamDelegate: lifetime.streamDelegate(on: channel.eventLoop), configuration: configuration
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let operations = stream.pipeline.syncOperations
                try operations.addHandler(EndStreamCoalescing())
                try operations.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                try operations.addHandler(StreamShare(limiter: limiter))
                try operations.addHandler(
                    HTTPConnectionStateHandler(idleTimeout: .nanoseconds(idleTimeout.nanoseconds), logger: logger))
                return try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(wrappingChannelSynchronously: stream)
            }
        }
        try channel.pipeline.syncOperations.addHandler(lifetime)
        return streams
    }

    /// Serves each stream in a task of its own until the connection closes.
    func serve(_ streams: Streams, logger: Logger) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await stream in streams.inbound {
                    group.addTask { await http1.handleHTTP(asyncChannel: stream, logger: logger) }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection ended", metadata: ["error": "\(error)"])
        }
    }
}
