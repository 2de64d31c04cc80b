import DossierArchive
import DossierModel
import DossierSystem
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// The `/v1` routes of `PeerServer` (docs/protocol.md) and their exact answers.
struct PeerRoutes: Sendable {
    let configuration: PeerServerConfiguration
    let delegate: any PeerServerDelegate
    let slots: UploadSlots
    /// Each caller's rejected archives (`CallerLimits.rejectionsPerMinute`).
    let rejections: RequestRate

    static let receiptLimit = 256 << 10
    /// Upload bytes gathered before a write on the blocking pool.
    static let writeBatch = 256 << 10
    static let requestLimit = 64 << 10
    static let defaultPageSize = 100
    static let maxPageSize = 1000
    /// RFC 9530 `Content-Digest` (HTTPTypes has no constant for it; the literal is a valid token).
    static let contentDigest = HTTPFields.Element.Name("Content-Digest") ?? .contentType

    init(configuration: PeerServerConfiguration, delegate: any PeerServerDelegate) {
        self.configuration = configuration
        self.delegate = delegate
        self.slots = UploadSlots(limit: configuration.maxConcurrentUploads, perCaller: configuration.callers.uploadsPerCaller)
        self.rejections = RequestRate(perMinute: configuration.callers.rejectionsPerMinute)
    }

    func register(on router: Router<PeerRequestContext>) {
        router.put("/v1/archives/:id") { request, context in try await push(request, context) }
        router.get("/v1/archives") { request, context in try await list(request, context) }
        router.get("/v1/archives/:id") { request, context in try await download(request, context) }
        router.post("/v1/archives/:id/receipt") { request, context in try await acknowledge(request, context) }
        router.post("/v1/archives/:id/completion") { request, context in try await complete(request, context) }
        router.post("/v1/requests") { request, context in try await requestArchive(request, context) }
        router.get("/v1/audit/consistency") { request, context in try await consistency(request, context) }
        router.get("/v1/health") { _, context in
            _ = try await callerAuthority(context)
            return Self.json(PeerProtocol.Health(status: "ok", version: configuration.version, authority: delegate.authorityCode))
        }
    }

    // MARK: push

    private func push(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let caller = try await callerAuthority(context)
        let id = try archiveID(context)
        let limit = configuration.maxArchiveBytes
        if let declared = request.headers[.contentLength].flatMap({ UInt64($0) }), declared > limit {
            throw PeerHTTPError(.contentTooLarge, "too-large", "the archive is \(declared) bytes, the limit is \(limit)")
        }
        guard let digestHeader = request.headers[Self.contentDigest] else {
            throw PeerHTTPError(.badRequest, "digest-missing", "a push must carry Content-Digest: sha-256=:<base64>: (RFC 9530)")
        }
        guard let claimedDigest = PeerProtocol.sha256Hex(contentDigest: digestHeader) else {
            throw PeerHTTPError(.badRequest, "digest-missing", "Content-Digest holds no sha-256 digest: \(digestHeader)")
        }
        if let wait = rejections.wait(caller: caller) {
            throw PeerHTTPError(
                .tooManyRequests, "too-many-rejections",
                "more of your archives were rejected than the \(configuration.callers.rejectionsPerMinute) a minute allowed",
                retryAfter: wait)
        }
        switch Result(catching: { () throws(UploadSlots.Refusal) in try slots.acquire(caller: caller) }) {
        case .success: break
        case let .failure(.full(limit)):
            throw PeerHTTPError(
                .serviceUnavailable, "busy", "all \(limit) upload slots are taken", retryAfter: configuration.retryAfterSeconds)
        case let .failure(.callerFull(limit)):
            throw PeerHTTPError(
                .tooManyRequests, "too-many-uploads", "you have \(limit) uploads in progress already",
                retryAfter: configuration.retryAfterSeconds)
        }
        defer { slots.release(caller: caller) }
        do {
            return try await receive(request, id: id, caller: caller, claimedDigest: claimedDigest)
        } catch let error as SystemError where error.isOutOfSpace {
            throw noSpace("the disk is full")
        }
    }

    /// Writes a batch of an upload on the blocking pool if the disk keeps its free-space reserve
    /// after it, then does `then` in the same hop; 503 `no-space` otherwise. Checked for every
    /// batch, not only against the declared length before the body: a chunked upload declares
    /// none, and uploads side by side each passed that check against the same free space. An
    /// empty batch (the last, at times) is not checked: an upload received in full is not
    /// refused for what file-system overhead took meanwhile.
    private func write<T: Sendable>(
        _ batch: ByteBuffer, to incoming: IncomingFile, then: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let delegate = delegate
        let done = try await delegate.pool.run { () throws -> T? in
            if batch.readableBytes > 0 {
                guard try delegate.hasRoom(for: UInt64(batch.readableBytes)) else { return nil }
                try incoming.write(batch)
            }
            return try then()
        }
        guard let done else { throw noSpace("free space fell below the reserve during the upload") }
        return done
    }

    /// Receives the body of a push whose slot is held and hands it to the host. The body is
    /// gathered into batches of `writeBatch` bytes, each written and hashed on the host's
    /// blocking pool: a disk never blocks a request task, and an HTTP/2 body's 16 KiB frames
    /// cost one hop and one write per batch, not one each.
    private func receive(_ request: Request, id: String, caller: String, claimedDigest: String) async throws -> Response {
        let (limit, delegate, pool) = (configuration.maxArchiveBytes, delegate, delegate.pool)
        let declared = request.headers[.contentLength].flatMap { UInt64($0) } ?? 0
        guard try await pool.run({ try delegate.hasRoom(for: declared) }) else { throw noSpace("free space is below the reserve") }
        let incoming = try await pool.run { try delegate.makeUploadFile() }
        let started = ContinuousClock.now
        var received: UInt64 = 0
        var batch = ByteBuffer()
        for try await buffer in request.body {
            received += UInt64(buffer.readableBytes)
            guard received <= limit else {
                throw PeerHTTPError(.contentTooLarge, "too-large", "the archive exceeds the limit of \(limit) bytes")
            }
            batch.writeImmutableBuffer(buffer)
            if batch.readableBytes >= Self.writeBatch {
                let full = batch
                batch = ByteBuffer()
                try await write(full, to: incoming) {}
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            if elapsed > configuration.lowSpeedSeconds, Double(received) / elapsed < Double(configuration.lowSpeedBytesPerSecond) {
                throw PeerHTTPError(
                    .requestTimeout, "too-slow",
                    "the upload averaged \(Int(Double(received) / elapsed)) B/s "
                        + "over \(Int(elapsed)) s; the minimum is \(configuration.lowSpeedBytesPerSecond) B/s")
            }
        }
        let file = try await write(batch, to: incoming) { try incoming.finish() }
        if claimedDigest != file.digest {
            unlink(file.path)
            throw PeerHTTPError(
                .badRequest, "digest-mismatch", "Content-Digest says \(claimedDigest), the body's SHA-256 is \(file.digest)")
        }
        switch try await delegate.receivePush(file, id: id, caller: caller) {
        case let .accepted(receipt, firstTime):
            return Self.receiptResponse(firstTime ? .created : .ok, receipt)
        case let .rejected(receipt):
            rejections.charge(caller: caller)
            return Self.receiptResponse(.unprocessableContent, receipt)
        case let .conflict(storedDigest):
            throw PeerHTTPError(.conflict, "conflict", "archive \(id) was already received from you with digest \(storedDigest)")
        // Both come after a whole verification, as a rejection does, and are charged alike:
        // otherwise a peer could have archive after archive verified outside its budget.
        case let .forbidden(detail):
            rejections.charge(caller: caller)
            throw PeerHTTPError(.forbidden, "forbidden", detail)
        case let .idMismatch(bagId):
            rejections.charge(caller: caller)
            throw PeerHTTPError(.unprocessableContent, "id-mismatch", "pushed as \(id), the bag is \(bagId ?? "(unreadable)")")
        case .busy:
            throw PeerHTTPError(
                .serviceUnavailable, "busy", "archive \(id) is being received on another connection",
                retryAfter: configuration.retryAfterSeconds)
        case let .unavailable(detail):
            throw PeerHTTPError(.serviceUnavailable, "try-later", detail, retryAfter: configuration.retryAfterSeconds)
        case .noSpace:
            throw noSpace("the disk is full")
        }
    }

    private func noSpace(_ why: String) -> PeerHTTPError {
        PeerHTTPError(.serviceUnavailable, "no-space", "\(why); try again later", retryAfter: configuration.retryAfterSeconds)
    }

    // MARK: pull

    private func list(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let caller = try await callerAuthority(context)
        let query = request.uri.queryParameters
        let after = query["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var limit = Self.defaultPageSize
        if let text = query["limit"] {
            guard let value = Int(text), value > 0 else {
                throw PeerHTTPError(.badRequest, "bad-limit", "limit must be a positive integer")
            }
            limit = min(value, Self.maxPageSize)
        }
        return Self.json(try await delegate.heldArchives(for: caller, after: after, limit: limit))
    }

    private func download(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let caller = try await callerAuthority(context)
        let id = try archiveID(context)
        guard let held = try await delegate.heldArchive(id: id) else {
            throw PeerHTTPError(.notFound, "not-found", "no archive \(id) is held here")
        }
        guard held.destination == caller else {
            throw PeerHTTPError(.forbidden, "forbidden", "archive \(id) is not for \(caller)")
        }
        return try FileResponse.make(
            path: held.path, size: held.size, range: request.headers[.range], contentType: PeerProtocol.archiveMediaType,
            channel: context.channel, stall: .seconds(configuration.idleTimeoutSeconds))
    }

    private func acknowledge(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let (caller, id, body) = try await signedBody(request, context, limit: Self.receiptLimit)
        switch try await delegate.acknowledge(id: id, receipt: body, from: caller) {
        case .recorded: return Response(status: .noContent)
        case .notFound: throw PeerHTTPError(.notFound, "not-found", "no archive \(id) is held here")
        case .forbidden: throw PeerHTTPError(.forbidden, "forbidden", "archive \(id) is not for \(caller)")
        case let .invalidReceipt(reason): throw PeerHTTPError(.unprocessableContent, "bad-receipt", reason)
        }
    }

    // MARK: completion

    private func complete(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let (caller, id, body) = try await signedBody(request, context, limit: CompletionNotice.limit)
        switch try await delegate.receiveCompletion(id: id, notice: body, from: caller) {
        case let .recorded(recorded, firstTime): return Self.json(recorded, status: firstTime ? .created : .ok)
        case .notFound: throw PeerHTTPError(.notFound, "not-found", "no archive \(id) was sent from here")
        case .forbidden: throw PeerHTTPError(.forbidden, "forbidden", "archive \(id) was not sent to \(caller)")
        case .notDelivered: throw PeerHTTPError(.conflict, "not-delivered", "archive \(id) has no receipt of acceptance here yet")
        case let .wrongSigner(detail): throw PeerHTTPError(.forbidden, "wrong-signer", detail)
        case let .invalid(detail): throw PeerHTTPError(.unprocessableContent, "bad-completion", detail)
        case let .conflict(detail): throw PeerHTTPError(.conflict, "completion-conflict", detail)
        case let .tryLater(detail):
            throw PeerHTTPError(.serviceUnavailable, "try-later", detail, retryAfter: configuration.retryAfterSeconds)
        }
    }

    // MARK: requests

    private func requestArchive(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let caller = try await callerAuthority(context)
        var request = request
        let body = try await request.collectBody(upTo: Self.requestLimit)
        guard let asked = try? JSONDecoder().decode(PeerProtocol.ArchiveRequest.self, from: Data(buffer: body)) else {
            throw PeerHTTPError(.badRequest, "bad-request", "the body is not {\"vin\", \"plate\"} JSON")
        }
        switch try await delegate.requestArchive(asked, from: caller) {
        case let .accepted(accepted): return Self.json(accepted, status: .accepted)
        case .unknownVehicle: throw PeerHTTPError(.notFound, "unknown-vehicle", "no vehicle \(asked.vin) is registered here")
        case let .ineligible(reasons):
            throw PeerHTTPError(.unprocessableContent, "ineligible", "vehicle \(asked.vin) cannot be transferred", reasons: reasons)
        }
    }

    private func consistency(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        _ = try await callerAuthority(context)
        guard let from = request.uri.queryParameters.get("from").flatMap({ UInt64($0) }),
            let to = request.uri.queryParameters.get("to").flatMap({ UInt64($0) }), from >= 1, from <= to
        else {
            throw PeerHTTPError(.badRequest, "bad-range", "from and to must be tree sizes with 1 <= from <= to")
        }
        guard let proof = try await delegate.custodyConsistency(from: from, to: to) else {
            throw PeerHTTPError(.notFound, "not-found", "\(delegate.authorityCode) keeps no custody log")
        }
        return Self.json(PeerProtocol.ConsistencyProof(from: from, to: to, proof: proof))
    }

    // MARK: helpers

    /// The caller's authority, once it is known to be neither revoked since its handshake (a
    /// CRL loaded while the connection was open) nor outside the allow-list, and its
    /// revocation could be judged (503 otherwise): asked first on every route, before any body
    /// is read.
    private func callerAuthority(_ context: PeerRequestContext) async throws -> String {
        guard let der = await context.callerCertificate(), let code = PeerRequestContext.authority(of: der) else {
            throw PeerHTTPError(
                .forbidden, "no-authority", "the client certificate carries no 6-digit authority code (subject serialNumber)")
        }
        guard !configuration.trust.store.isRevoked(certificate: der) else {
            throw PeerHTTPError(.forbidden, "revoked", "the client certificate of authority \(code) is revoked")
        }
        guard configuration.acceptsCaller(code) else {
            throw PeerHTTPError(.forbidden, "unknown-peer", "authority \(code) is not a peer of \(delegate.authorityCode)")
        }
        if let unknown = try await standing(of: context, code: code) {
            throw PeerHTTPError(
                .serviceUnavailable, "revocation-unavailable",
                "the revocation of authority \(code)'s certificate cannot be checked now (\(unknown.detail)); try again later",
                // The verdict belongs to this connection's handshake: the retry must make a new one.
                retryAfter: configuration.retryAfterSeconds, headers: [.connection: "close"])
        }
        return code
    }

    /// Why the caller's revocation cannot be judged now, or nil when it is trusted. Judged at the
    /// handshake; judged again under the trust in force when that has changed since (a CRL
    /// fetched, anchors or CRLs reloaded) or the judgement's time is up (a CRL no longer
    /// current, at most five minutes), so a kept-alive connection does not outlive its caller's
    /// trust. A chain no longer trusted is refused with 403 (which closes the connection).
    private func standing(of context: PeerRequestContext, code: String) async throws -> Finding? {
        guard let standing = await context.standing(), let judged = standing.value else { return nil }
        let store = configuration.trust.store
        if let trust = judged.trust, trust === store, Date() < judged.until { return judged.pending }
        switch ServerTLSContext.verdict(on: judged.chain, under: store) {
        case .trusted:
            standing.record(.init(chain: judged.chain, trust: store, pending: nil))
            return nil
        case let .revocationUnknown(finding):
            standing.record(.init(chain: judged.chain, trust: store, pending: finding))
            return finding
        case let .refused(finding):
            throw PeerHTTPError(
                .forbidden, finding.code == "revoked-signer" ? "revoked" : "untrusted-peer",
                "the client certificate of authority \(code) is no longer trusted: \(finding.detail)")
        }
    }

    /// The caller, the archive id of the path and the body of a signed statement posted about
    /// it (a receipt, a completion notice), read up to `limit` bytes (413 beyond).
    private func signedBody(_ request: Request, _ context: PeerRequestContext, limit: Int) async throws -> (String, String, [UInt8]) {
        let caller = try await callerAuthority(context)
        let id = try archiveID(context)
        var request = request
        let body = try await request.collectBody(upTo: limit)
        return (caller, id, Array(buffer: body))
    }

    private func archiveID(_ context: PeerRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), ArchiveID.isSafe(id) else {
            throw PeerHTTPError(.badRequest, "bad-id", "the archive id must be 1–128 of A–Z a–z 0–9 . _ -, not starting with . or -")
        }
        return id
    }

    private static func receiptResponse(_ status: HTTPResponse.Status, _ receipt: [UInt8]) -> Response {
        Response(
            status: status, headers: [.contentType: PeerProtocol.receiptMediaType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: receipt)))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        // The protocol's bodies hold only strings, numbers and dates: encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
