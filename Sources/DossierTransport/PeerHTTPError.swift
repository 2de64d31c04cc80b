import DossierSystem
import Foundation
import Hummingbird

/// A problem answer (4xx/5xx) of the peer server, rendered as `PeerProtocol.ErrorBody` JSON.
public struct PeerHTTPError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `conflict`, `too-large`.
    public var code: String
    public var detail: String
    public var reasons: [String]?
    /// Seconds for a `Retry-After` header (429/503).
    public var retryAfter: Int?
    /// Further headers of the answer (`Content-Range` on a 416).
    public var headers: HTTPFields

    /// An answer with `status`, a stable `code` and a human `detail`.
    public init(
        _ status: HTTPResponse.Status, _ code: String, _ detail: String, reasons: [String]? = nil, retryAfter: Int? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.reasons = reasons
        self.retryAfter = retryAfter
        self.headers = headers
    }

    /// The answer: status, `Content-Type: application/json`, `Retry-After` when set, ErrorBody.
    public var response: Response {
        let body = PeerProtocol.ErrorBody(error: code, detail: detail, reasons: reasons)
        let json = (try? JSONEncoder().encode(body)) ?? Data()
        var headers = headers
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        // Answered while the body may still be arriving (too slow, too large, refused): close
        // the connection instead of reading the rest.
        if status == .requestTimeout || status == .contentTooLarge || status == .forbidden { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Turns every error escaping a route (ours, Hummingbird's own such as an unknown route, or an
/// unexpected one) into an ErrorBody answer, so clients always get the same problem format.
struct ErrorBodyMiddleware: RouterMiddleware {
    typealias Context = PeerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PeerHTTPError {
            return error.response
        } catch let error as SystemError where error.isOutOfSpace {
            context.logger.warning("request refused for lack of space", metadata: ["error": "\(error)"])
            return PeerHTTPError(
                .serviceUnavailable, "no-space", "the receiver is out of disk space; try again later",
                retryAfter: 60
            ).response
        } catch let error as HTTPResponseError {
            return PeerHTTPError(error.status, "http-\(error.status.code)", error.status.reasonPhrase).response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return PeerHTTPError(.internalServerError, "internal", "internal error; see the server log").response
        }
    }
}
