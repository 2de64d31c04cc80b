import NIOCore
import NIOHTTP1

/// Answers `Expect: 100-continue` with an interim `100 Continue` as soon as the request head
/// arrives, unless the declared body is already over the limit (then the route's 413 comes
/// first and the client need not send the body). Without it, curl and libcurl wait a second
/// before sending any body over 1 MiB. Sits right after NIO's HTTP/1 request decoder.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: UInt64

    init(maxBodyBytes: UInt64) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(head) = unwrapInboundIn(data),
            head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" })
        {
            let declared = head.headers.first(name: "content-length").flatMap { UInt64($0) } ?? 0
            if declared <= maxBodyBytes {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }
}
