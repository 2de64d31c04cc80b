import DossierArchive
import DossierTransport
import DossierTestSupport
import Foundation
import Testing

/// Handshake refusals and the pull, request and health routes, with the curl command line.
@Suite(.serialized)
struct ServerRouteTests {
    @Test func clientsWithoutATrustedValidCertificateAreRefusedAtTheHandshake() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let noCertificate = try await curl(port: server.port, PeerProtocol.healthPath, client: nil, in: dir)
            #expect(noCertificate.status == 0)
            #expect(noCertificate.exitCode != 0)
            let otherCA = try await curl(port: server.port, PeerProtocol.healthPath, clientDir: TestPKI.shared.other, in: dir)
            #expect(otherCA.status == 0)
            #expect(otherCA.exitCode != 0)
            let expired = try await curl(port: server.port, PeerProtocol.healthPath, client: "441800-expired", in: dir)
            #expect(expired.status == 0)
            #expect(expired.exitCode != 0)
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, in: dir).status == 200)
        }
    }

    @Test func certificateWithoutAuthorityCodeIsForbidden() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let answer = try await curl(port: server.port, PeerProtocol.archivesPath, client: "nocode", in: dir)
            #expect(answer.status == 403)
            #expect(answer.errorBody?.error == "no-authority")
        }
    }

    @Test func healthAnswersWithTheAuthority() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let answer = try await curl(port: server.port, PeerProtocol.healthPath, in: dir)
            #expect(answer.status == 200)
            let health = try JSONDecoder().decode(PeerProtocol.Health.self, from: Data(answer.body))
            #expect(health.authority == "430100")
            #expect(health.status == "ok")
        }
    }

    @Test func pullListsAndDownloadsWithRangeResume() async throws {
        let dir = try TempDir()
        let archive = try makeArchive(in: dir, origin: "430100", destination: "441800", padding: 100 << 10)
        let delegate = TestDelegate(
            held: HeldArchiveFile(path: archive.path, size: archive.size, destination: "441800"), heldId: archive.id)
        try await withServer(in: dir, delegate: delegate) { server in
            let list = try await curl(port: server.port, PeerProtocol.archivesPath + "?limit=10", in: dir)
            #expect(list.status == 200)
            let page = try JSONDecoder.iso8601.decode(PeerProtocol.ArchiveList.self, from: Data(list.body))
            #expect(page.archives.map(\.id) == [archive.id])
            #expect(
                try await curl(port: server.port, PeerProtocol.archivesPath + "?limit=10", client: "110000", in: dir).bodyText.contains(
                    "\"archives\":[]"))

            let whole = try await curl(port: server.port, PeerProtocol.archivePath(archive.id), in: dir)
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive.path)))
            #expect(whole.status == 200)
            #expect(whole.body == original)

            let offset = 12345
            let rest = try await curl(port: server.port, PeerProtocol.archivePath(archive.id), ["-H", "Range: bytes=\(offset)-"], in: dir)
            #expect(rest.status == 206)
            #expect(rest.body == Array(original[offset...]))
            #expect(rest.header("Content-Range") == "bytes \(offset)-\(original.count - 1)/\(original.count)")

            let closed = try await curl(port: server.port, PeerProtocol.archivePath(archive.id), ["-H", "Range: bytes=0-1023"], in: dir)
            #expect(closed.status == 206)
            #expect(closed.body == Array(original[0..<1024]))
            #expect(closed.header("Content-Range") == "bytes 0-1023/\(original.count)")
            let suffix = try await curl(port: server.port, PeerProtocol.archivePath(archive.id), ["-H", "Range: bytes=-500"], in: dir)
            #expect(suffix.status == 206)
            #expect(suffix.body == Array(original.suffix(500)))
            #expect(suffix.header("Content-Range") == "bytes \(original.count - 500)-\(original.count - 1)/\(original.count)")
            let beyondEnd = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id),
                ["-H", "Range: bytes=\(original.count - 10)-\(original.count + 5000)"], in: dir)
            #expect(beyondEnd.status == 206)
            #expect(beyondEnd.body == Array(original.suffix(10)))
            let unsatisfiable = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id),
                ["-H", "Range: bytes=\(original.count)-"], in: dir)
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.header("Content-Range") == "bytes */\(original.count)")
            // Forms this server does not serve are ignored: the whole archive, 200 (RFC 9110 §14.2).
            let several = try await curl(port: server.port, PeerProtocol.archivePath(archive.id), ["-H", "Range: bytes=0-1,5-6"], in: dir)
            #expect(several.status == 200)
            #expect(several.body == original)
            #expect(try await curl(port: server.port, PeerProtocol.archivePath(archive.id), client: "110000", in: dir).status == 403)
            #expect(try await curl(port: server.port, PeerProtocol.archivePath("0190-unknown"), in: dir).status == 404)

            let ack = try await curl(
                port: server.port, PeerProtocol.receiptPath(archive.id),
                ["-H", "Content-Type: \(PeerProtocol.receiptMediaType)", "--data-binary", "receipt"], in: dir)
            #expect(ack.status == 204)
            #expect(delegate.acknowledged.withLock { $0 } == [archive.id])
        }
    }

    @Test func requestsAreAcceptedRefusedOrUnknown() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            func ask(_ vin: String) async throws -> CurlAnswer {
                try await curl(
                    port: server.port, PeerProtocol.requestsPath,
                    ["-H", "Content-Type: application/json", "--data", "{\"vin\":\"\(vin)\",\"plate\":\"粤R12345\"}"], in: dir)
            }
            let accepted = try await ask("KNOWN")
            #expect(accepted.status == 202)
            #expect(try JSONDecoder().decode(PeerProtocol.RequestAccepted.self, from: Data(accepted.body)).requestId == "r-1")
            let unknown = try await ask("NOBODY")
            #expect(unknown.status == 404)
            #expect(unknown.errorBody?.error == "unknown-vehicle")
            let blocked = try await ask("BLOCKED")
            #expect(blocked.status == 422)
            #expect(blocked.errorBody?.reasons == ["open case"])
            let garbage = try await curl(port: server.port, PeerProtocol.requestsPath, ["--data", "not json"], in: dir)
            #expect(garbage.status == 400)
        }
    }

    @Test func unknownRoutesAnswerWithAnErrorBody() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let answer = try await curl(port: server.port, "/v1/nowhere", in: dir)
            #expect(answer.status == 404)
            #expect(answer.errorBody != nil)
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
