import DossierArchive
import DossierInbox
import DossierTransport
import Hummingbird
import NIOCore

/// Applies the faults of `MockFaults` to each peer request: latency, injected failures,
/// dropped connections, trickled bodies, forged receipts, bloated bodies and flooded headers.
/// Names the faults it applied in the `X-Mock-Faults` response header (for the request log).
struct FaultMiddleware: RouterMiddleware {
    typealias Context = PeerRequestContext
    static let faultsHeader = HTTPFields.Element.Name("X-Mock-Faults") ?? .via

    let faults: MockFaults
    let forger: ReceiptForger

    /// Thrown after the connection was dropped on purpose halfway through a request body.
    struct DroppedMidBody: Error {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let chosen = faults.take()
        var applied: [String] = []
        if chosen.latencyMs > 0 {
            applied.append("latency")
            try await Task.sleep(for: .milliseconds(chosen.latencyMs))
        }
        if let fail = chosen.fail {
            var response = PeerHTTPError(
                HTTPResponse.Status(code: fail.status), "injected", "mock peer fault",
                retryAfter: fail.retryAfter
            ).response
            response.headers[Self.faultsHeader] = (applied + ["fail"]).joined(separator: ",")
            return response
        }
        let hasBody = request.method == .put || request.method == .post
        if chosen.closeMidBody, hasBody {
            try await dropMidBody(request, context)
        }
        var response = try await next(request, context)
        if chosen.wrongKey || chosen.wrongDigest, request.method == .put,
            response.headers[.contentType] == PeerProtocol.receiptMediaType,
            let id = context.parameters.get("id"),
            let forged = forger.forge(id: id, wrongKey: chosen.wrongKey, wrongDigest: chosen.wrongDigest)
        {
            response.body = ResponseBody(byteBuffer: ByteBuffer(bytes: forged))
            applied += (chosen.wrongKey ? ["wrong-key"] : []) + (chosen.wrongDigest ? ["wrong-digest"] : [])
        }
        if chosen.closeMidBody, !hasBody {
            let original = response.body
            let channel = context.channel
            let cut = (original.contentLength ?? 0) / 2
            response.body = ResponseBody(contentLength: original.contentLength) { writer in
                try await original.write(CuttingWriter(inner: writer, channel: channel, left: cut))
            }
            applied.append("close-mid-body")
        }
        if chosen.bloatAnswer {
            response.body = Self.bloatedBody
            applied.append("bloat")
        }
        if chosen.floodHeaders {
            Self.flood(&response.headers)
            applied.append("flood-headers")
        }
        if let rate = chosen.trickleBytesPerSecond {
            let original = response.body
            response.body = ResponseBody(contentLength: original.contentLength) { writer in
                try await original.write(TrickleWriter(inner: writer, bytesPerSecond: rate))
            }
            applied.append("trickle")
        }
        if !applied.isEmpty { response.headers[Self.faultsHeader] = applied.joined(separator: ",") }
        return response
    }

    /// `FaultSettings.bloatedAnswerBytes` of filler, written a slice at a time.
    private static let bloatedBody = ResponseBody(contentLength: FaultSettings.bloatedAnswerBytes) { writer in
        let slice = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
        for _ in 0..<(FaultSettings.bloatedAnswerBytes / slice.readableBytes) { try await writer.write(slice) }
        try await writer.finish(nil)
    }

    /// Adds header lines of 128 bytes each (`X-Mock-Flood-<n>: aaa…`) up to
    /// `FaultSettings.floodedHeaderBytes`.
    private static func flood(_ headers: inout HTTPFields) {
        for index in 0..<(FaultSettings.floodedHeaderBytes / 128) {
            guard let name = HTTPFields.Element.Name("X-Mock-Flood-\(index)") else { continue }
            headers[name] = String(repeating: "a", count: 128 - "X-Mock-Flood-\(index): \r\n".utf8.count)
        }
    }

    /// Reads about half the declared body (at least one chunk), then closes the connection.
    private func dropMidBody(_ request: Request, _ context: Context) async throws -> Never {
        let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
        var seen = 0
        for try await buffer in request.body {
            seen += buffer.readableBytes
            if seen >= declared / 2 { break }
        }
        // Not awaited: the close completes only after NIOSSL's close_notify timeout, while the
        // client already sees the connection gone.
        context.channel.close(promise: nil)
        throw DroppedMidBody()
    }
}

/// Makes the bad receipts of the `wrong-key` and `wrong-digest` faults for archives the inbox
/// has decided on.
struct ReceiptForger: Sendable {
    let inbox: Inbox
    let identity: SigningIdentity
    /// Signs `wrong-key` receipts; without it they go out unsigned (bare JSON).
    let wrongIdentity: SigningIdentity?

    func forge(id: String, wrongKey: Bool, wrongDigest: Bool) -> [UInt8]? {
        guard let entry = inbox.entry(id: id) else { return nil }
        let digest = wrongDigest ? SHA256.hex(of: Array("not \(entry.digest)".utf8)) : entry.digest
        let receipt = Receipt(
            archiveId: id, digest: digest, sender: entry.sender, receiver: inbox.authority,
            receivedAt: entry.receivedAt, status: entry.status, reasons: entry.reasons)
        if wrongKey {
            guard let wrongIdentity else { return receipt.json() }
            return try? receipt.signed(by: wrongIdentity)
        }
        return try? receipt.signed(by: identity)
    }
}
