import DossierArchive
import Foundation

/// What became of one push, classified for the outbox (DESIGN.md §4).
public enum PushOutcome: Sendable, Equatable {
    /// 201, or 200 for an archive the peer already had: a verified receipt of acceptance.
    case delivered(receipt: Receipt, signed: [UInt8], alreadyReceived: Bool)
    /// 422: the peer verified and rejected the archive; its signed rejection receipt, if it
    /// verified. Permanent.
    case rejected(receipt: Receipt?, signed: [UInt8]?, detail: String)
    /// Another 4xx (400, 403, 409, 413, …): permanent.
    case refused(status: Int, detail: String)
    /// 408, 429, 5xx: try again, not before `retryAfter` seconds when the peer said so.
    case retryLater(status: Int, retryAfter: Double?, detail: String)
    /// A 2xx whose receipt does not prove delivery (unsigned, wrong signer, wrong digest).
    case badReceipt(Receipt.Problem)

    /// True when a later attempt may succeed.
    public var isRetryable: Bool {
        switch self {
        case .retryLater, .badReceipt: return true
        case .delivered, .rejected, .refused: return false
        }
    }
}

/// The `/v1` operations (DESIGN.md §3) over a `PeerClient`.
public struct PeerOperations: Sendable {
    public let client: PeerClient
    /// Trust anchors for receipts.
    public let trust: TrustStore
    public static let receiptLimit = 256 << 10

    public init(client: PeerClient, trust: TrustStore) {
        self.client = client
        self.trust = trust
    }

    /// Pushes an archive file (streamed) to `peer` at `baseURL` and checks the receipt: signed by
    /// `peer`, naming this id and digest.
    /// - Throws: `TransportError` when no HTTP answer came.
    public func push(baseURL: String, peer: String, id: String, path: String, size: UInt64, digest: String) async throws -> PushOutcome {
        var headers = [("Content-Type", PeerProtocol.archiveMediaType)]
        if let contentDigest = PeerProtocol.contentDigest(hex: digest) { headers.append(("Content-Digest", contentDigest)) }
        let response = try await client.send(PeerRequest(
            method: .put, url: baseURL + PeerProtocol.archivePath(id), headers: headers,
            body: .file(path: path, size: size), sink: .memory(limit: Self.receiptLimit)))
        switch response.status {
        case 200, 201:
            do {
                let receipt = try Receipt.open(response.body, trust: trust, receiver: peer, archiveId: id, digest: digest)
                guard receipt.status == .accepted else { return .rejected(receipt: receipt, signed: response.body, detail: "receipt says rejected") }
                return .delivered(receipt: receipt, signed: response.body, alreadyReceived: response.status == 200)
            } catch let problem as Receipt.Problem {
                return .badReceipt(problem)
            }
        case 422:
            let receipt = try? Receipt.open(response.body, trust: trust, receiver: peer, archiveId: id, digest: digest)
            let detail = receipt?.reasons.map { "\($0.code): \($0.detail)" }.joined(separator: "; ") ?? Self.detail(of: response)
            return .rejected(receipt: receipt, signed: receipt == nil ? nil : response.body, detail: detail)
        case 408, 429, 500...599:
            return .retryLater(status: response.status, retryAfter: response.retryAfter, detail: Self.detail(of: response))
        default:
            return .refused(status: response.status, detail: Self.detail(of: response))
        }
    }

    /// Lists archives `baseURL` holds for us, one page.
    /// - Throws: `TransportError`, or `PeerOperations.Failure` for a non-200 answer or bad JSON.
    public func list(baseURL: String, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        var url = baseURL + PeerProtocol.archivesPath + "?limit=\(limit)"
        if let after { url += "&after=\(after)" }
        let response = try await client.send(PeerRequest(method: .get, url: url))
        return try Self.decode(PeerProtocol.ArchiveList.self, response, expecting: 200)
    }

    /// Downloads a held archive to `path`, resuming after the bytes already there, stopping the
    /// transfer before the file grows past `limit` bytes whatever the peer sends.
    /// - Throws: `TransportError` (`.responseTooLarge` past `limit`), or `Failure` when the
    ///   answer is not 200/206.
    public func download(baseURL: String, id: String, to path: String, limit: UInt64) async throws {
        var st = stat()
        let have = stat(path, &st) == 0 ? UInt64(st.st_size) : 0
        let response = try await client.send(PeerRequest(
            method: .get, url: baseURL + PeerProtocol.archivePath(id), sink: .file(path: path, resumeFrom: have, limit: limit)))
        guard response.status == 200 || response.status == 206 else {
            throw Failure(status: response.status, detail: Self.detail(of: response))
        }
    }

    /// Sends our receipt for a pulled archive.
    public func acknowledge(baseURL: String, id: String, signedReceipt: [UInt8]) async throws {
        let response = try await client.send(PeerRequest(
            method: .post, url: baseURL + PeerProtocol.receiptPath(id),
            headers: [("Content-Type", PeerProtocol.receiptMediaType)], body: .bytes(signedReceipt)))
        guard response.status == 204 else { throw Failure(status: response.status, detail: Self.detail(of: response)) }
    }

    /// Asks the origin at `baseURL` for a vehicle's archive.
    public func requestArchive(baseURL: String, _ request: PeerProtocol.ArchiveRequest) async throws -> PeerProtocol.RequestAccepted {
        let body = try JSONEncoder().encode(request)
        let response = try await client.send(PeerRequest(
            method: .post, url: baseURL + PeerProtocol.requestsPath, headers: [("Content-Type", "application/json")],
            body: .bytes([UInt8](body))))
        return try Self.decode(PeerProtocol.RequestAccepted.self, response, expecting: 202)
    }

    /// The peer's health answer.
    public func health(baseURL: String) async throws -> PeerProtocol.Health {
        try Self.decode(PeerProtocol.Health.self, try await client.send(PeerRequest(method: .get, url: baseURL + PeerProtocol.healthPath)), expecting: 200)
    }

    /// A peer's answer other than the one expected.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var status: Int
        public var detail: String
        public var description: String { "HTTP \(status): \(detail)" }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ response: PeerResponse, expecting status: Int) throws -> T {
        guard response.status == status else { throw Failure(status: response.status, detail: detail(of: response)) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let value = try? decoder.decode(type, from: Data(response.body)) else {
            throw Failure(status: response.status, detail: "unexpected answer body")
        }
        return value
    }

    private static func detail(of response: PeerResponse) -> String {
        if let body = try? JSONDecoder().decode(PeerProtocol.ErrorBody.self, from: Data(response.body)) {
            return "\(body.error): \(body.detail)"
        }
        return "HTTP \(response.status)"
    }
}
