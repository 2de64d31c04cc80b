import DossierArchive
import DossierOutbox
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The libcurl client (`PeerClient` + `PeerOperations`) against a real `dossier-mock-peer`
/// process over mutual TLS: every protocol call, and each fault the mock can inject ends in the
/// error class the outbox's retry policy needs.
@Suite(.serialized) struct ClientAgainstMockPeerTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    func operations(options: PeerClient.Options = PeerClient.Options(), code: String = "441800", caFile: String? = nil) throws
        -> PeerOperations
    {
        PeerOperations(client: try pki.client(code, ca: caFile, options: options), trust: try pki.currentTrust())
    }

    /// The mock's identity: authority 430100.
    let peer = PeerIdentity(code: "430100")

    func archive(seed: Int = 81, size: Int = 8192) throws -> PackResult {
        let sample = try SampleDossier.make(in: temp, seed: seed, documentSize: size)
        return try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
            policy: .default, outputDirectory: temp.url)
    }

    func push(_ ops: PeerOperations, _ mock: MockPeerProcess, _ packed: PackResult) async -> PushResult {
        await ops.push(baseURL: mock.url, peer: peer, id: packed.id, path: packed.path, size: packed.size, digest: packed.sha256)
    }

    @Test func pushRepushAndConflict() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let ops = try operations()
        defer { ops.client.shutdown() }
        let packed = try archive()
        guard case let .delivered(receipt, _, again) = await push(ops, mock, packed) else { Issue.record("not delivered"); return }
        #expect(!again && receipt.status == .accepted && receipt.digest == packed.sha256)
        guard case let .delivered(_, _, repeated) = await push(ops, mock, packed) else { Issue.record("re-push not delivered"); return }
        #expect(repeated)
        // Same id, other bytes: 409, permanent.
        let other = try archive(seed: 82)
        let conflict = await ops.push(
            baseURL: mock.url, peer: peer, id: packed.id, path: other.path, size: other.size, digest: other.sha256)
        guard case .failed(.refused(409, _), _) = conflict else { Issue.record("expected 409, got \(conflict)"); return }
        #expect(try await mock.received().count == 1)
        #expect(try await ops.health(baseURL: mock.url, peer: peer).authority == "430100")
    }

    @Test func injectedStatusesAreClassified() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--fail-next", "1", "--fail-status", "503", "--retry-after", "7"])
        let ops = try operations()
        defer { ops.client.shutdown() }
        let packed = try archive()
        let busy = await push(ops, mock, packed)
        guard case .failed(.httpStatus(503, 7), _) = busy else { Issue.record("expected retryLater 503 after 7 s, got \(busy)"); return }
        try await mock.control("POST", "/faults", json: #"{"failNext": 1, "failStatus": 403}"#)
        let forbidden = await push(ops, mock, packed)
        guard case let .failed(outcome, _) = forbidden, case .refused(403, _) = outcome else {
            Issue.record("expected refused 403, got \(forbidden)")
            return
        }
        #expect(!outcome.isRetryable)
    }

    @Test func forgedReceiptsAreRefusedAsProof() async throws {
        let mock = try await MockPeerProcess.launch(
            in: temp, ["--wrong-key-cert", pki.cert("441800"), "--wrong-key-key", pki.key("441800")])
        let ops = try operations()
        defer { ops.client.shutdown() }
        try await mock.control("POST", "/faults", json: #"{"wrongKey": 1}"#)
        let wrongSigner = await push(ops, mock, try archive(seed: 83))
        guard case let .failed(.badReceipt(signerProblem), _) = wrongSigner, signerProblem.contains("expected the destination 430100")
        else {
            Issue.record("expected a receipt by the wrong signer, got \(wrongSigner)")
            return
        }
        try await mock.control("POST", "/faults", json: #"{"wrongDigest": 1}"#)
        let wrongDigest = await push(ops, mock, try archive(seed: 84))
        guard case let .failed(outcome, _) = wrongDigest, case let .badReceipt(problem) = outcome, problem.contains("receipt names archive")
        else {
            Issue.record("expected a receipt for another digest, got \(wrongDigest)")
            return
        }
        #expect(outcome.isRetryable)
    }

    /// A peer may answer a push with anything: past `receiptLimit` bytes of body, or 64 KiB of
    /// header lines, the client stops reading and the push is refused (not retried: dead, and
    /// shown to operators), however much the peer meant to send. The same client then delivers.
    @Test func oversizedAnswersAreCutOffAtTheClientsLimits() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let ops = try operations()
        defer { ops.client.shutdown() }
        try await mock.control("POST", "/faults", json: #"{"bloatAnswers": 1}"#)
        let bloated = await push(ops, mock, try archive(seed: 89))
        guard case let .failed(outcome, _) = bloated, case let .refused(0, detail) = outcome,
            detail.hasSuffix("answer larger than \(PeerOperations.receiptLimit) bytes")
        else {
            Issue.record("a 1 MiB answer was not refused at the receipt limit: \(bloated)")
            return
        }
        #expect(!outcome.isRetryable)
        try await mock.control("POST", "/faults", json: #"{"floodHeaders": 1}"#)
        let flooded = await push(ops, mock, try archive(seed: 90))
        guard case .failed(.refused(0, let detail), _) = flooded, detail.hasSuffix("answer's header lines larger than 65536 bytes") else {
            Issue.record("128 KiB of header lines were not refused at 64 KiB: \(flooded)")
            return
        }
        guard case .delivered = await push(ops, mock, try archive(seed: 91)) else {
            Issue.record("no delivery after the oversized answers")
            return
        }
    }

    @Test func brokenConnectionsAndSlowPeersAreRetryableTransportErrors() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        var options = PeerClient.Options()
        options.lowSpeedLimit = 100_000
        options.lowSpeedTime = 1
        options.connectTimeout = 2
        let ops = try operations(options: options)
        defer { ops.client.shutdown() }
        let big = try archive(seed: 85, size: 2 << 20)
        try await mock.control("POST", "/faults", json: #"{"closeMidBody": 1}"#)
        guard case let .failed(.network(broken), nil) = await push(ops, mock, big) else {
            Issue.record("a connection closed mid-body was not a network failure")
            return
        }
        #expect(!broken.isEmpty)
        try await mock.control("POST", "/faults", json: #"{"refuseHandshakes": 1}"#)
        let refused = await push(ops, mock, big)
        guard case let .failed(outcome, _) = refused else { Issue.record("handshake was not refused"); return }
        #expect(outcome.isRetryable, "\(outcome)")
        // A held archive trickled slower than the low-speed limit is cut off as a timeout.
        let held = try archive(seed: 86, size: 1 << 20)
        try await mock.control("POST", "/held", json: #"{"path": "\#(held.path)", "destination": "441800", "id": "\#(held.id)"}"#)
        try await mock.control("POST", "/faults", json: #"{"trickle": 1, "trickleBytesPerSecond": 2000}"#)
        do {
            try await ops.download(baseURL: mock.url, peer: peer, id: held.id, to: temp.path("trickled.dva"), limit: 1 << 20)
            Issue.record("the trickle was not cut off")
        } catch let error as TransportError {
            guard case .timeout = error else { Issue.record("expected timeout, got \(error)"); return }
        }
        // After the faults, the same client still delivers.
        guard case .delivered = await push(ops, mock, big) else { Issue.record("no delivery after faults"); return }
    }

    /// The write callback aborts the transfer before the file passes its limit, whatever the
    /// peer sends (here 1 MiB, listed as 1,000 bytes).
    @Test func aDownloadStopsAtItsLimit() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let ops = try operations()
        defer { ops.client.shutdown() }
        let held = try archive(seed: 88, size: 1 << 20)
        try await mock.control(
            "POST", "/held", json: #"{"path": "\#(held.path)", "destination": "441800", "id": "\#(held.id)", "listedSize": 1000}"#)
        let listed = try await ops.list(baseURL: mock.url, peer: peer, after: nil, limit: 10)
        #expect(listed.archives.map(\.size) == [1000])
        let target = temp.path("limited.dva")
        do {
            try await ops.download(baseURL: mock.url, peer: peer, id: held.id, to: target, limit: 1000)
            Issue.record("the download was not stopped")
        } catch let error as TransportError {
            #expect(error == .responseTooLarge(url: mock.url + PeerProtocol.archivePath(held.id), limit: 1000), "\(error)")
            #expect(!error.outcome.isRetryable)
        }
        let kept = (try FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.intValue ?? -1
        #expect(kept >= 0 && kept <= 1000, "\(kept) bytes kept")
    }

    @Test func pullListDownloadWithResumeAndRequest() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--known-vin", "LFV2A21K773000001"])
        let ops = try operations()
        defer { ops.client.shutdown() }
        let held = try archive(seed: 87, size: 256 << 10)
        try await mock.control("POST", "/held", json: #"{"path": "\#(held.path)", "destination": "441800", "id": "\#(held.id)"}"#)
        let page = try await ops.list(baseURL: mock.url, peer: peer, after: nil, limit: 10)
        #expect(page.archives.map(\.id) == [held.id])
        // Resume: the first 100,000 bytes are already here.
        let target = temp.path("pulled.dva")
        let whole = try Data(contentsOf: URL(fileURLWithPath: held.path))
        try whole.prefix(100_000).write(to: URL(fileURLWithPath: target))
        try await ops.download(baseURL: mock.url, peer: peer, id: held.id, to: target, limit: UInt64(whole.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == whole)
        #expect(try await mock.log().contains { $0.status == 206 })

        let accepted = try await ops.requestArchive(baseURL: mock.url, peer: peer, .init(vin: "LFV2A21K773000001", plate: "湘A12345"))
        #expect(!accepted.requestId.isEmpty)
        await #expect(throws: PeerOperations.Failure.self) {
            _ = try await ops.requestArchive(baseURL: mock.url, peer: peer, .init(vin: "1M8GDM9AXKP042788", plate: "湘A12345"))
        }
    }

    @Test func clientRefusesAPeerFromAnotherCA() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let ops = try operations(caFile: "\(pki.other)/ca.pem")
        defer { ops.client.shutdown() }
        do { _ = try await ops.health(baseURL: mock.url, peer: peer); Issue.record("an unknown CA was trusted") } catch let error
            as TransportError
        {
            guard case .tls = error else { Issue.record("expected a TLS error, got \(error)"); return }
        }
    }
}
