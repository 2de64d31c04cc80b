import DossierArchive
import DossierSystem
import DossierTransport
import Foundation
import Hummingbird

/// Serves the files of one folder at `GET /published/<name>` over the peer server's mutual
/// TLS, read afresh on every request, so a test can publish a CRL or a directory, change it, or
/// tamper with it while a daemon fetches it. Each answer carries an `ETag` (the content's
/// SHA-256); a request whose `If-None-Match` names it is answered 304, as a conditional GET expects.
struct PublishedFiles: RouterMiddleware {
    typealias Context = PeerRequestContext
    static let prefix = "/published/"
    let folder: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path.hasPrefix(Self.prefix) else { return try await next(request, context) }
        let name = String(request.uri.path.dropFirst(Self.prefix.count))
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."),
            let bytes = try? FileIO.readAll("\(folder)/\(name)", limit: 64 << 20)
        else {
            throw PeerHTTPError(.notFound, "not-found", "nothing published as \(name)")
        }
        let etag = "\"\(SHA256.hex(of: bytes))\""
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
        let type = name.hasSuffix(".crl") || name.hasSuffix(".pem") ? "application/pkix-crl" : "application/pkcs7-mime"
        return Response(
            status: .ok, headers: [.contentType: type, .eTag: etag], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
