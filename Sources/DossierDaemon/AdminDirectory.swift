import DossierArchive
import DossierSystem
import DossierText
import Foundation
import Hummingbird
import NIOCore

extension AdminService {
    /// `GET /directory`: the signed directory in force, as the daemon verified and keeps it
    /// (`directory.p7m` in the state directory, `application/pkcs7-mime`), for `dossierctl
    /// directory show`. 404 when none is in force; 503 when the kept copy is not the one in
    /// force (only while a refresh replaces both).
    static func directory(_ authority: Authority) async throws -> Response {
        guard let inForce = authority.directory else { return try failure(.notFound, DaemonText.Admin.noDirectory) }
        let path = authority.layout.directoryCopy.path
        let bytes = try? await authority.pool.run { try FileIO.readAll(path, limit: DirectoryRefreshService.maxBytes) }
        guard let bytes, (try? SignedDirectory.read(bytes).directory) == inForce else {
            return try failure(.serviceUnavailable, DaemonText.Admin.directoryCopyDiffers(path))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/pkcs7-mime"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
