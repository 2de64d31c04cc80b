import NIOCore
import NIOHTTP2

/// In an HTTP/2 stream's pipeline, below the HTTP-to-HTTP/2 codec: holds each DATA frame of a
/// response until the next frame, so that the answer's end rides on its last DATA frame
/// (END_STREAM set) instead of following as an empty frame of its own. libcurl treats a
/// response whose bytes have all arrived as done and resets a stream whose END_STREAM it has
/// not read yet; one frame with both stops that reset. Holds at most one frame; any other
/// frame, and the stream's close, let it go first. Runs on the stream's event loop only.
final class EndStreamCoalescing: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var held: (data: HTTP2Frame.FramePayload.Data, promise: EventLoopPromise<Void>?)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data)
        if case .data(let frame) = payload {
            if frame.endStream, frame.paddingBytes == nil, frame.data.readableBytes == 0, let last = held {
                // The empty end: sent as the held frame's flag.
                held = nil
                var merged = last.data
                merged.endStream = true
                let written = last.promise ?? context.eventLoop.makePromise()
                if let promise { written.futureResult.cascade(to: promise) }
                context.write(wrapOutboundOut(.data(merged)), promise: written)
                return
            }
            release(context)
            if !frame.endStream {
                held = (frame, promise)
                return
            }
        } else {
            release(context)
        }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        release(context)
        context.flush()
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        held?.promise?.fail(ChannelError.ioOnClosedChannel)
        held = nil
    }

    private func release(_ context: ChannelHandlerContext) {
        guard let last = held else { return }
        held = nil
        context.write(wrapOutboundOut(.data(last.data)), promise: last.promise)
    }
}
