import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Outbound pinning and revocation (docs/protocol.md, Identity) with real processes: a server holding a
/// CA-valid certificate of another authority, placed where a peer is configured, gets no byte
/// of an archive, and the transfer stays retryable.
@Suite(.serialized) struct PeerIdentityTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    func archive(seed: Int) throws -> PackResult {
        let sample = try SampleDossier.make(in: temp, seed: seed, documentSize: 64 << 10)
        return try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
            policy: .default, outputDirectory: temp.url)
    }

    @Test func anImpostorReceivesZeroBytesAndTheEntryStaysRetryable() async throws {
        // 110000's certificate is CA-valid; the origin has 430100 configured at its address.
        let impostor = try await MockPeerProcess.launch(in: temp, certificate: "110000")
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: impostor.url)])
        try await origin.start()
        let sample = try SampleDossier.make(in: temp, seed: 301)
        let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String)

        // Several attempts, each refused inside the handshake, each naming both codes.
        let lines = try await origin.waitForQueue { lines in
            lines.contains { $0["id"] as? String == id && ($0["attempts"] as? Int ?? 0) >= 3 }
        }
        let entry = try #require(lines.first { $0["id"] as? String == id })
        #expect(entry["state"] as? String != "dead", "\(entry)")
        let lastError = entry["lastError"] as? String ?? ""
        #expect(lastError.contains("peer-identity") && lastError.contains("430100") && lastError.contains("110000"), "\(entry)")
        #expect(try await impostor.inboundBytes() == 0, "the impostor received application bytes")
        #expect(try await impostor.log().isEmpty)
        #expect(try await impostor.received().isEmpty)
        #expect(origin.log.contains("peer-identity"))
        _ = try await origin.stop()
        _ = try await impostor.stop()
    }

    @Test func everyOperationChecksTheIdentityAlsoOnAReusedConnection() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let client = try pki.client()
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        // A first call opens a connection to the genuine 430100 and leaves it alive …
        #expect(try await operations.health(baseURL: mock.url, peer: PeerIdentity(code: "430100")).authority == "430100")
        // … which must not carry a request meant for another authority at the same address.
        let packed = try archive(seed: 302)
        let pushed = await operations.push(
            baseURL: mock.url, peer: PeerIdentity(code: "440100"), id: packed.id, path: packed.path,
            size: packed.size, digest: packed.sha256)
        guard case let .failed(outcome, nil) = pushed, case let .tls(detail) = outcome else {
            Issue.record("expected a peer-identity failure, got \(pushed)")
            return
        }
        #expect(detail.contains("peer-identity") && detail.contains("440100") && detail.contains("430100"), "\(detail)")
        #expect(outcome.isRetryable)
        for call in ["list", "download", "acknowledge", "request"] {
            let wrong = PeerIdentity(code: "440100")
            await #expect(throws: TransportError.self, "\(call)") {
                switch call {
                case "list": _ = try await operations.list(baseURL: mock.url, peer: wrong, after: nil, limit: 1)
                case "download":
                    try await operations.download(baseURL: mock.url, peer: wrong, id: packed.id, to: temp.path("x.dva"), limit: packed.size)
                case "acknowledge": try await operations.acknowledge(baseURL: mock.url, peer: wrong, id: packed.id, signedReceipt: [1])
                default: _ = try await operations.requestArchive(baseURL: mock.url, peer: wrong, .init(vin: "V", plate: "P"))
                }
            }
        }
        #expect(try await mock.log().map(\.path) == [PeerProtocol.healthPath], "only the health call reached the server")
        #expect(try await mock.received().isEmpty)
    }

    @Test func spkiPinsAreEnforced() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let client = try pki.client()
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        let right = try spki(of: pki.cert("430100"))
        let other = try spki(of: pki.cert("110000"))
        do {
            _ = try await operations.health(baseURL: mock.url, peer: PeerIdentity(code: "430100", spkiSHA256: [other]))
            Issue.record("an unpinned key was accepted")
        } catch let error as TransportError {
            guard case let .peerIdentity(_, _, presented) = error else { Issue.record("expected peer-identity, got \(error)"); return }
            #expect(presented.contains("unpinned"), "\(presented)")
        }
        let health = try await operations.health(baseURL: mock.url, peer: PeerIdentity(code: "430100", spkiSHA256: [other, right]))
        #expect(health.authority == "430100")
    }

    @Test func revokedServerCertificatesAreRefusedWithEveryCRLFile() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        // Two CAs trusted, each with its CRL: the first file (the other CA's) revokes nothing,
        // the second revokes the mock's certificate. Every file must count, not the first.
        let otherCA = "\(pki.other)/ca.pem"
        let empty = try pki.crl(at: temp.path("other.crl.pem"), caDir: pki.other)
        let revoking = try pki.crl(revoking: ["430100"], at: temp.path("revoked.crl.pem"))
        let client = try pki.client(moreCAs: [otherCA], crls: [empty, revoking])
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        do {
            _ = try await operations.health(baseURL: mock.url, peer: PeerIdentity(code: "430100"))
            Issue.record("a revoked server was trusted")
        } catch let error as TransportError {
            guard case let .tls(_, detail) = error else { Issue.record("expected a TLS failure, got \(error)"); return }
            #expect(detail.contains("revoked"), "\(detail)")
        }
        // With a CRL of our CA that revokes nothing, the same server is fine.
        let fine = try pki.client(moreCAs: [otherCA], crls: [empty, try pki.crl(at: temp.path("main.crl.pem"))])
        defer { fine.shutdown() }
        #expect(
            try await PeerOperations(client: fine, trust: try pki.currentTrust())
                .health(baseURL: mock.url, peer: PeerIdentity(code: "430100")).authority == "430100")
    }

    @Test func aServerRevokedAfterItsConnectionWasMadeGetsNoFurtherRequest() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [try pki.crl(at: temp.path("none.crl.pem"))]))
        let client = try PeerClient(tls: PeerTLS(certificateFile: pki.cert("441800"), keyFile: pki.key("441800"), trust: trust))
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        let peer = PeerIdentity(code: "430100")
        // A first call opens a connection, verified against a CRL that revokes nothing, and
        // leaves it alive (with a TLS session libcurl may resume) …
        #expect(try await operations.health(baseURL: mock.url, peer: peer).authority == "430100")
        // … then a CRL refresh or SIGHUP swaps in trust under which the server is revoked: the
        // kept connection must not carry the next request.
        trust.replace(try TrustStore(caFiles: [pki.ca], crlFiles: [try pki.crl(revoking: ["430100"], at: temp.path("revoked.crl.pem"))]))
        let packed = try archive(seed: 303)
        let pushed = await operations.push(
            baseURL: mock.url, peer: peer, id: packed.id, path: packed.path, size: packed.size, digest: packed.sha256)
        guard case let .failed(outcome, nil) = pushed, case let .tls(detail) = outcome else {
            Issue.record("expected a TLS failure, got \(pushed)")
            return
        }
        #expect(detail.contains("revoked"), "\(detail)")
        #expect(outcome.isRetryable)
        #expect(try await mock.log().map(\.path) == [PeerProtocol.healthPath], "only the health call reached the server")
        #expect(try await mock.received().isEmpty)
    }

    /// base64 of the SHA-256 of a certificate's DER SubjectPublicKeyInfo, as `spki_sha256` takes it.
    private func spki(of certificate: String) throws -> [UInt8] {
        let result = try run(
            "sh",
            [
                "-c",
                "openssl x509 -in \(certificate) -pubkey -noout | openssl pkey -pubin -outform der "
                    + "| openssl dgst -sha256 -binary | base64",
            ])
        return [UInt8](try #require(Data(base64Encoded: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))))
    }
}
