import DossierInbox
import DossierTransport
import Foundation
import Hummingbird

/// The mock peer's plain-HTTP control endpoint on 127.0.0.1, for tests and fault campaigns:
///
/// - `GET /log`, `DELETE /log`: every peer request seen (method, path, caller, status, bytes,
///   time, faults)
/// - `GET /received`: the archives stored (id, digest, status), to assert exactly-once
/// - `GET /faults`, `POST /faults` (a JSON patch of `FaultSettings`), `DELETE /faults`
/// - `POST /held` `{path, destination, id?, listedSize?}`, `GET /held`: archives held for pull
/// - `POST /listing` `{"mode": "honest" | "stuck" | "endless"}`: how the archive list pages
/// - `GET /stats`: `{inboundBytes, peakConcurrentPushes}`, the bytes peers sent after their TLS
///   handshakes, and the most archive uploads ever answered at once
enum ControlServer {
    struct Received: Codable {
        var id: String
        var digest: String
        var size: UInt64
        var sender: String
        var status: String
        var receivedAt: Date
    }

    struct Stats: Codable {
        var inboundBytes: Int
        var peakConcurrentPushes: Int
    }

    static func makeRouter(
        log: RequestLog, inbox: Inbox, faults: MockFaults, held: MockHeldArchives,
        inboundBytes: InboundByteCount, pushes: PushConcurrency
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/stats") { _, _ in json(Stats(inboundBytes: inboundBytes.value, peakConcurrentPushes: pushes.peak)) }
        router.get("/log") { _, _ in json(log.all) }
        router.delete("/log") { _, _ in
            log.clear(); return Response(status: .noContent)
        }
        router.get("/received") { _, _ in
            json(
                inbox.entries().map {
                    Received(
                        id: $0.archiveId, digest: $0.digest, size: $0.size, sender: $0.sender, status: $0.status.rawValue,
                        receivedAt: $0.receivedAt)
                })
        }
        router.get("/faults") { _, _ in json(faults.settings) }
        router.post("/faults") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let patch = try? JSONDecoder().decode(FaultSettings.Patch.self, from: Data(buffer: body)) else {
                return PeerHTTPError(.badRequest, "bad-faults", "expected a JSON object of FaultSettings fields").response
            }
            if let problem = FaultSettings.problem(with: patch) {
                return PeerHTTPError(.badRequest, "bad-faults", problem).response
            }
            return json(faults.update(patch))
        }
        router.delete("/faults") { _, _ in
            faults.reset(); return Response(status: .noContent)
        }
        router.get("/held") { _, _ in json(held.all) }
        router.post("/held") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let registration = try? JSONDecoder().decode(MockHeldArchives.Registration.self, from: Data(buffer: body)) else {
                return PeerHTTPError(.badRequest, "bad-held", "expected {\"path\", \"destination\", \"id\"?}").response
            }
            do {
                return json(try held.register(registration), status: .created)
            } catch {
                return PeerHTTPError(.badRequest, "bad-held", "\(error)").response
            }
        }
        router.post("/listing") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let mode = try? JSONDecoder().decode([String: MockHeldArchives.Listing].self, from: Data(buffer: body))["mode"] else {
                return PeerHTTPError(.badRequest, "bad-listing", "expected {\"mode\": \"honest\" | \"stuck\" | \"endless\"}").response
            }
            held.setListing(mode)
            return Response(status: .noContent)
        }
        return router
    }

    private static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        // Plain strings, numbers and dates: encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
