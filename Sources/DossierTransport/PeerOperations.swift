import DossierArchive
import DossierOutbox
import Foundation
import Synchronization

/// What became of one push, in the outbox's vocabulary (`DeliveryOutcome`): the one
/// classification every part of the sending side shares, as every Postfix delivery agent
/// reports a DSN status to the queue manager.
public enum PushResult: Sendable, Equatable {
    /// 201, or 200 for an archive the peer already had: a verified receipt of acceptance.
    case delivered(receipt: Receipt, signed: [UInt8], alreadyReceived: Bool)
    /// Not delivered, and why. `rejection` is what a 422 carried, kept whatever its shape.
    case failed(DeliveryOutcome, rejection: PeerRejection? = nil)
}

/// What became of one completion notice sent to an archive's origin.
public enum CompletionDelivery: Sendable, Equatable {
    /// 201, or 200 for a notice the origin had already recorded.
    case recorded(PeerProtocol.CompletionRecorded, again: Bool)
    /// Not recorded, and why.
    case failed(DeliveryOutcome)
}

/// The signed document a peer sent with a 422: kept as evidence even when it is not a receipt
/// this build reads in full.
public struct PeerRejection: Sendable, Equatable {
    /// The CMS bytes as received, when their signature verified as the peer's.
    public var signed: [UInt8]?
    /// The receipt, when it reads as one about this archive.
    public var receipt: Receipt?
    /// The peer's reasons, as text, whatever their shape.
    public var reasons: [String]
}

/// The `/v1` operations (docs/protocol.md) over a `PeerClient`. Every call names the peer it
/// must reach: the server's certificate is checked against that identity before any request
/// byte is sent (`TransportError.peerIdentity` otherwise).
public struct PeerOperations: Sendable {
    public let client: PeerClient
    /// Trust anchors and CRLs in force, for receipts.
    public let trust: CurrentTrust
    public static let receiptLimit = 256 << 10

    /// How timestamp tokens on receipts are judged (the receiver's TSAs trusted or not).
    private let receiptTimestamps = PolicyInForce()

    public init(client: PeerClient, trust: CurrentTrust) {
        self.client = client
        self.trust = trust
    }

    /// Judges receipts' timestamp tokens by `policy` from now on: with a TSA trust, a token
    /// that does not check out (untrusted TSA, another signature's imprint) makes the receipt
    /// no proof (`bad-receipt`, retried).
    public func replaceReceiptTimestamps(_ policy: TimestampPolicy) { receiptTimestamps.policy.withLock { $0 = policy } }

    /// The policy receipts are judged by now.
    public var receiptTimestampPolicy: TimestampPolicy { receiptTimestamps.policy.withLock { $0 } }

    /// Pushes an archive file (streamed) to `peer` at `baseURL` and checks the receipt: signed by
    /// `peer`, naming this id and digest. Never throws: a request that got no answer is a
    /// `failed` result like any other. The same as `judge(await send(...))`.
    public func push(baseURL: String, peer: PeerIdentity, id: String, path: String, size: UInt64, digest: String) async -> PushResult {
        judge(await send(baseURL: baseURL, peer: peer, id: id, path: path, size: size, digest: digest))
    }

    /// What a peer answered a push, not yet judged: the transfer is over, the receipt unchecked.
    public struct PushAnswer: Sendable {
        fileprivate let answer: Answer
        fileprivate let peer: String
        fileprivate let id: String
        fileprivate let digest: String
    }

    /// The transfer half of `push`: sends the archive and returns once the peer's answer (or
    /// the lack of one) is in. A caller counting transfers to a peer (`TransferGate`) counts
    /// this part only; `judge` is local work.
    public func send(baseURL: String, peer: PeerIdentity, id: String, path: String, size: UInt64, digest: String) async -> PushAnswer {
        var headers = [("Content-Type", PeerProtocol.archiveMediaType)]
        if let contentDigest = PeerProtocol.contentDigest(hex: digest) { headers.append(("Content-Digest", contentDigest)) }
        let answer = await answer(
            PeerRequest(
                method: .put, url: baseURL + PeerProtocol.archivePath(id), peer: peer, headers: headers,
                body: .file(path: path, size: size), sink: .memory(limit: Self.receiptLimit)))
        return PushAnswer(answer: answer, peer: peer.code, id: id, digest: digest)
    }

    /// The checking half of `push`: what `send` got, with the receipt checked (signed by the
    /// peer, naming the archive's id and digest). CPU only, no I/O.
    public func judge(_ pushed: PushAnswer) -> PushResult {
        let (peer, id, digest) = (pushed.peer, pushed.id, pushed.digest)
        let response: PeerResponse
        switch pushed.answer {
        case let .response(answer): response = answer
        case let .none(outcome): return .failed(outcome)
        }
        switch response.status {
        case 200, 201:
            do {
                let receipt = try Receipt.open(
                    response.body, trust: trust.store, receiver: peer, archiveId: id, digest: digest,
                    timestamps: receiptTimestampPolicy)
                guard receipt.status == .accepted else {
                    let rejection = PeerRejection(signed: response.body, receipt: receipt, reasons: receipt.reasons.map(\.text))
                    return .failed(.rejected(rejection.reasons.joined(separator: "; ")), rejection: rejection)
                }
                return .delivered(receipt: receipt, signed: response.body, alreadyReceived: response.status == 200)
            } catch {
                return .failed(.badReceipt("\(error)"))
            }
        case 422:
            let rejection = Receipt.rejection(
                response.body, trust: trust.store, receiver: peer, archiveId: id, digest: digest, timestamps: receiptTimestampPolicy)
            let detail = rejection.reasons.isEmpty ? Self.detail(of: response) : rejection.reasons.joined(separator: "; ")
            return .failed(.rejected(detail), rejection: rejection)
        default:
            return .failed(Self.failure(of: response))
        }
    }

    /// Sends `request`; no answer is the transport's outcome (`TransportError.outcome`).
    private func answer(_ request: PeerRequest) async -> Answer {
        do {
            return .response(try await client.send(request))
        } catch let error as TransportError {
            return .none(error.outcome)
        } catch {
            return .none(.network("\(error)"))
        }
    }

    /// A peer's answer, or why there was none.
    fileprivate enum Answer: Sendable {
        case response(PeerResponse)
        case none(DeliveryOutcome)
    }

    /// What an answer other than the expected success means for a delivery: try later (408,
    /// 429, 5xx), the peer refuses us (a 403 about who we are), or it refuses this item.
    private static func failure(of response: PeerResponse) -> DeliveryOutcome {
        switch response.status {
        case 408, 429, 500...599: return .httpStatus(response.status, retryAfter: response.retryAfter)
        case 403 where refusesTheCaller(response): return .notAccepted(status: response.status, detail: detail(of: response))
        default: return .refused(status: response.status, detail: detail(of: response))
        }
    }

    /// A 403 about who we are (our certificate revoked there, no authority code, not among its
    /// peers), not about the archive: it holds for every archive until an operator acts.
    private static func refusesTheCaller(_ response: PeerResponse) -> Bool {
        guard let body = try? JSONDecoder().decode(PeerProtocol.ErrorBody.self, from: Data(response.body)) else { return false }
        return ["revoked", "unknown-peer", "no-authority"].contains(body.error)
    }

    /// Lists archives `baseURL` holds for us, one page.
    /// - Throws: `TransportError`, or `PeerOperations.Failure` for a non-200 answer or bad JSON.
    public func list(baseURL: String, peer: PeerIdentity, after: String?, limit: Int) async throws -> PeerProtocol.ArchiveList {
        var url = baseURL + PeerProtocol.archivesPath + "?limit=\(limit)"
        if let after { url += "&after=\(after)" }
        let response = try await client.send(PeerRequest(method: .get, url: url, peer: peer))
        return try Self.decode(PeerProtocol.ArchiveList.self, response, expecting: 200)
    }

    /// Downloads a held archive to `path`, resuming after the bytes already there, stopping the
    /// transfer before the file grows past `limit` bytes whatever the peer sends.
    /// - Throws: `TransportError` (`.responseTooLarge` past `limit`), or `Failure` when the
    ///   answer is not 200/206.
    public func download(baseURL: String, peer: PeerIdentity, id: String, to path: String, limit: UInt64) async throws {
        var st = stat()
        let have = stat(path, &st) == 0 ? UInt64(st.st_size) : 0
        let response = try await client.send(
            PeerRequest(
                method: .get, url: baseURL + PeerProtocol.archivePath(id), peer: peer,
                sink: .file(path: path, resumeFrom: have, limit: limit)))
        guard response.status == 200 || response.status == 206 else {
            throw Failure(status: response.status, detail: Self.detail(of: response))
        }
    }

    /// Sends our receipt for a pulled archive.
    public func acknowledge(baseURL: String, peer: PeerIdentity, id: String, signedReceipt: [UInt8]) async throws {
        let response = try await client.send(
            PeerRequest(
                method: .post, url: baseURL + PeerProtocol.receiptPath(id), peer: peer,
                headers: [("Content-Type", PeerProtocol.receiptMediaType)], body: .bytes(signedReceipt)))
        guard response.status == 204 else { throw Failure(status: response.status, detail: Self.detail(of: response)) }
    }

    /// Sends a signed completion notice of archive `id` to its origin `peer` at `baseURL`.
    /// Never throws: an answer other than 200/201 (or none) is a `failed` outcome, classified
    /// as a push's is, so that `RetryPolicy` tells a retry from a permanent refusal.
    public func sendCompletion(baseURL: String, peer: PeerIdentity, id: String, signed: [UInt8]) async -> CompletionDelivery {
        let response: PeerResponse
        switch await answer(
            PeerRequest(
                method: .post, url: baseURL + PeerProtocol.completionPath(id), peer: peer,
                headers: [("Content-Type", PeerProtocol.completionMediaType)], body: .bytes(signed),
                sink: .memory(limit: CompletionNotice.limit)))
        {
        case let .response(answer): response = answer
        case let .none(outcome): return .failed(outcome)
        }
        guard response.status == 200 || response.status == 201 else { return .failed(Self.failure(of: response)) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let recorded = try? decoder.decode(PeerProtocol.CompletionRecorded.self, from: Data(response.body)), recorded.archiveId == id
        else { return .failed(.badReceipt("the answer to the completion notice of \(id) is not its record")) }
        return .recorded(recorded, again: response.status == 200)
    }

    /// Asks the origin at `baseURL` for a vehicle's archive.
    public func requestArchive(baseURL: String, peer: PeerIdentity, _ request: PeerProtocol.ArchiveRequest) async throws
        -> PeerProtocol.RequestAccepted
    {
        let body = try JSONEncoder().encode(request)
        let response = try await client.send(
            PeerRequest(
                method: .post, url: baseURL + PeerProtocol.requestsPath, peer: peer, headers: [("Content-Type", "application/json")],
                body: .bytes([UInt8](body))))
        return try Self.decode(PeerProtocol.RequestAccepted.self, response, expecting: 202)
    }

    /// The peer's health answer.
    public func health(baseURL: String, peer: PeerIdentity) async throws -> PeerProtocol.Health {
        let response = try await client.send(PeerRequest(method: .get, url: baseURL + PeerProtocol.healthPath, peer: peer))
        return try Self.decode(PeerProtocol.Health.self, response, expecting: 200)
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

/// The timestamp policy in force for receipts, shared by every copy of `PeerOperations` and
/// replaced on reload. Thread-safe.
private final class PolicyInForce: Sendable {
    let policy = Mutex(TimestampPolicy.none)
}
