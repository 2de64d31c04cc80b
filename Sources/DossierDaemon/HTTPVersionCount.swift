import DossierTransport
import Hummingbird

/// Counts every request to the peer server by the HTTP version it came on
/// (`dossierd_peer_requests_total{http="1.1"|"2"}`), so operators see whether peers multiplex.
/// Stateless; the counters are swift-metrics' and thread-safe.
struct HTTPVersionCount: RouterMiddleware {
    typealias Context = PeerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        DaemonMetrics().peerRequest(httpVersion: await context.httpVersion())
        return try await next(request, context)
    }
}
