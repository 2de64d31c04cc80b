import NIOCore
import NIOHTTP2

/// When an HTTP/2 peer connection ends: one without an open stream for `idleTimeout` is closed
/// (after a GOAWAY),
/// and one asked to quiesce (the server shutting down, or `StreamShare` after a 403 or 503) sends
/// GOAWAY naming the last stream it accepted, lets the open streams finish (at most
/// `idleTimeout` more) and closes. The caller's next request then opens a new connection, with
/// a new handshake. A peer that half-closes the connection has it closed. Sits after
/// `NIOHTTP2Handler`; runs on the connection's event loop only.
final class HTTP2ConnectionLifetime: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var lastStream = HTTP2StreamID.rootStream
    private var quiescing = false
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount) { self.idleTimeout = idleTimeout }

    /// Tells this handler of streams opening and closing (swift-nio-http2 calls it on the
    /// connection's event loop).
    func streamDelegate(on eventLoop: any EventLoop) -> any NIOHTTP2StreamDelegate {
        StreamDelegate(lifetime: NIOLoopBound(self, eventLoop: eventLoop))
    }

    private struct StreamDelegate: NIOHTTP2StreamDelegate {
        let lifetime: NIOLoopBound<HTTP2ConnectionLifetime>
        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { lifetime.value.opened(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { lifetime.value.closed() }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        closeAfter(idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent: quiesce(context)
        // The peer can send no more frames, so no stream can finish its request: the server
        // allows half-closure for HTTP/1.1, but an HTTP/2 connection ends here.
        case let event as ChannelEvent where event == .inputClosed: context.close(promise: nil)
        default: break
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func opened(_ id: HTTP2StreamID) {
        openStreams += 1
        lastStream = max(lastStream, id)
        if !quiescing {
            timer?.cancel()
            timer = nil
        }
    }

    private func closed() {
        openStreams -= 1
        guard openStreams == 0 else { return }
        if quiescing {
            context?.close(promise: nil)
        } else {
            closeAfter(idleTimeout)
        }
    }

    private func quiesce(_ context: ChannelHandlerContext) {
        guard !quiescing else { return }
        sayGoAway(context)
        if openStreams == 0 {
            context.close(promise: nil)
        } else {
            closeAfter(idleTimeout)
        }
    }

    /// GOAWAY (NO_ERROR) naming the last stream taken, once: RFC 9113 §6.8 asks for it before
    /// a connection is closed, so the peer knows which requests to retry elsewhere.
    private func sayGoAway(_ context: ChannelHandlerContext) {
        guard !quiescing else { return }
        quiescing = true
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStream, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
    }

    /// Closes the connection after `delay` (idle, or streams that outlast a GOAWAY).
    private func closeAfter(_ delay: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        let lifetime = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { lifetime.value.expire() }
    }

    private func expire() {
        guard let context else { return }
        sayGoAway(context)
        context.close(promise: nil)
    }
}
