import DossierArchive
import DossierInbox
import DossierSystem
import DossierTransport
import DossierTestSupport
import Foundation
import Testing

/// The inbound server's share of docs/protocol.md (Identity): revoked callers refused at the handshake with
/// every CRL listed, callers that are not peers refused before their body is read, a trust
/// store replaced while running, the TLS policy with EC and RSA certificates, and revocation
/// the receiver cannot judge now answered as "try later".
@Suite(.serialized)
struct InboundTrustTests {
    let pki = TestPKI.shared

    /// Every route, as (method, path).
    static let routes = [
        ("GET", PeerProtocol.healthPath), ("GET", PeerProtocol.archivesPath), ("PUT", PeerProtocol.archivePath("0190-x")),
        ("GET", PeerProtocol.archivePath("0190-x")), ("POST", PeerProtocol.receiptPath("0190-x")),
        ("POST", PeerProtocol.requestsPath), ("POST", PeerProtocol.completionPath("0190-x")),
        ("GET", PeerProtocol.consistencyPath + "?from=1&to=2"),
    ]

    @Test func aRevokedCallerIsRefusedAtTheHandshakeOnEveryRoute() async throws {
        let dir = try TempDir()
        // Two CAs trusted, each with its CRL: the first file (the other CA's) revokes nothing,
        // the second revokes 441800. Every file must count, not the first.
        let cas = [pki.ca, "\(pki.other)/ca.pem"]
        let other = try pki.crl(at: dir.path("other.crl.pem"), caDir: pki.other)
        let revoking = try pki.crl(revoking: ["441800"], at: dir.path("revoked.crl.pem"))
        let trust = CurrentTrust(try TrustStore(caFiles: cas, crlFiles: [other, revoking]))
        try await withServer(in: dir, trust: trust) { server in
            for (method, path) in Self.routes {
                let answer = try await curl(port: server.port, path, client: "441800", ["-X", method], in: dir)
                #expect(answer.status == 0 && answer.exitCode != 0, "\(method) \(path) answered \(answer.status)")
            }
            // A caller that is not revoked gets in.
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, client: "110000", in: dir).status == 200)
            // Revocation taken back by a reload: the next connection is let in.
            trust.replace(try TrustStore(caFiles: cas, crlFiles: [other, try pki.crl(at: dir.path("main.crl.pem"))]))
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", in: dir).status == 200)
            // And a reload that revokes refuses the next connection again.
            trust.replace(try TrustStore(caFiles: cas, crlFiles: [revoking, other]))
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", in: dir).status == 0)
        }
    }

    /// Under TLS 1.3 the server judges our certificate after our side of the handshake is done,
    /// so our client learns of the refusal only when it next reads (the server's alert) or
    /// writes (the connection gone). Either way the error it reports points at the certificate,
    /// not at the network: a request without a body, and a push still writing 8 MiB.
    @Test func ourClientRefusedAtTheHandshakeSaysItMayBeItsCertificate() async throws {
        let dir = try TempDir()
        let revoking = try pki.crl(revoking: ["441800"], at: dir.path("revoked.crl.pem"))
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [revoking]))
        let archive = dir.path("large.dva")
        try Data(count: 8 << 20).write(to: URL(fileURLWithPath: archive))
        try await withServer(in: dir, trust: trust) { server in
            let client = try client441800()
            defer { client.shutdown() }
            let url = "https://127.0.0.1:\(server.port)"
            do {
                _ = try await PeerOperations(client: client, trust: try pki.currentTrust())
                    .health(baseURL: url, peer: PeerIdentity(code: "430100"))
                Issue.record("a revoked caller was answered")
            } catch let error as TransportError {
                #expect(Self.pointsAtOurCertificate(error), "\(error)")
            }
            for attempt in 1...3 {
                let request = PeerRequest(
                    method: .put, url: url + PeerProtocol.archivePath("0190-refused-\(attempt)"), peer: PeerIdentity(code: "430100"),
                    body: .file(path: archive, size: 8 << 20))
                do {
                    let answer = try await client.send(request)
                    Issue.record("a revoked caller's push was answered \(answer.status)")
                } catch let error as TransportError {
                    #expect(Self.pointsAtOurCertificate(error), "push \(attempt): \(error)")
                }
            }
        }
    }

    /// A TLS failure naming the certificate, or a lost connection saying it may be ours.
    static func pointsAtOurCertificate(_ error: TransportError) -> Bool {
        switch error {
        case let .tls(_, detail): detail.contains("certificate")
        case let .connectionLost(_, detail): detail.contains("refusing this authority's certificate")
        default: false
        }
    }

    /// Without a thread for its engine a client is not made (it would answer no request).
    @Test func aClientWithoutAnEngineThreadIsNotMade() throws {
        var options = PeerClient.Options()
        options.threads = .exhausted
        #expect(throws: TransportError.system(SystemError(.createThread, path: "dossier-curl", errno: EAGAIN))) {
            _ = try client441800(options: options)
        }
    }

    @Test func callersThatAreNotPeersGet403UnknownPeerAndNothingIsStored() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, acceptsCaller: { $0 == "441800" }) { server in
            for (method, path) in Self.routes {
                let answer = try await curl(port: server.port, path, client: "110000", ["-X", method], in: dir)
                #expect(answer.status == 403, "\(method) \(path)")
                #expect(answer.errorBody?.error == "unknown-peer", "\(method) \(path): \(answer.bodyText)")
            }
            let archive = try makeArchive(in: dir, origin: "110000")
            let pushed = try await push(archive, port: server.port, as: "110000", in: dir)
            #expect(pushed.status == 403 && pushed.errorBody?.error == "unknown-peer")
            #expect(server.inbox.entries().isEmpty)
            #expect(dir.contents("inbox/.incoming").isEmpty)
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", in: dir).status == 200)
        }
    }

    @Test func onlyECDHEWithAEADSuitesAreNegotiatedWithECAndRSACertificates() async throws {
        for (certificate, good, refused) in [
            ("430100", "ECDHE-ECDSA-AES128-GCM-SHA256", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"]),
            ("430100-rsa", "ECDHE-RSA-AES128-GCM-SHA256", ["AES128-GCM-SHA256", "AES256-SHA", "ECDHE-RSA-AES128-SHA"]),
        ] {
            let dir = try TempDir()
            try await withServer(in: dir, certificate: certificate) { server in
                let accepted = try await handshake(port: server.port, cipher: good)
                #expect(accepted.status == 0 && accepted.stdout.contains(good), "\(certificate) \(good): \(accepted.stderr)")
                for suite in refused {
                    let answer = try await handshake(port: server.port, cipher: suite)
                    #expect(answer.status != 0 && !answer.stdout.contains("Cipher is \(suite)"), "\(certificate) accepted \(suite)")
                }
                // TLS 1.3 (AEAD only) is offered too.
                let modern = try await runDetached(
                    "sh",
                    [
                        "-c",
                        "openssl s_client -connect 127.0.0.1:\(server.port) -tls1_3 "
                            + "-cert \(pki.cert("441800")) -key \(pki.key("441800")) -CAfile \(pki.ca) </dev/null",
                    ])
                #expect(modern.stdout.contains("TLSv1.3"), "\(modern.stderr)")
            }
        }
    }

    @Test func aCRLNotYetValidMeansTryLaterNotRejected() throws {
        let dir = try TempDir()
        let future = try pki.crl(at: dir.path("future.crl.pem"), thisUpdate: Date().addingTimeInterval(3))
        let inbox = try Inbox(
            inboxDirectory: dir.url.appendingPathComponent("inbox"),
            quarantineDirectory: dir.url.appendingPathComponent("quarantine"), identity: try pki.identity("430100"),
            trust: CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [future])))
        let archive = try makeArchive(in: dir)
        func received() throws -> ReceivedFile {
            let copy = dir.path("incoming-\(UUID().uuidString).dva")
            try FileManager.default.copyItem(atPath: archive.path, toPath: copy)
            return ReceivedFile(path: copy, size: archive.size, digest: archive.sha256)
        }
        guard case let .unavailable(detail) = try inbox.receive(try received(), id: archive.id, caller: "441800") else {
            Issue.record("a CRL not yet valid gave a verdict")
            return
        }
        #expect(detail.contains("revocation-unavailable"), "\(detail)")
        #expect(inbox.entries().isEmpty && dir.contents("quarantine").isEmpty)
        // Once the CRL is valid, the same archive is accepted: it was never the archive's fault.
        let outcome = try inbox.receive(try received(), id: archive.id, caller: "441800", now: Date().addingTimeInterval(5))
        guard case .accepted = outcome else { Issue.record("expected acceptance, got \(outcome)"); return }
    }

    @Test func revocationTheServerCannotJudgeIsAnswered503WithRetryAfter() async throws {
        let dir = try TempDir()
        let stale = try pki.crl(
            at: dir.path("stale.crl.pem"), thisUpdate: Date().addingTimeInterval(-2 * 86_400),
            nextUpdate: Date().addingTimeInterval(-86_400))
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [stale]))
        try await withServer(in: dir, trust: trust) { server in
            // The chain is good but its CRL is past nextUpdate: "later", on every route.
            for (method, path) in Self.routes {
                let answer = try await curl(port: server.port, path, client: "441800", ["-X", method], in: dir)
                #expect(answer.status == 503, "\(method) \(path) answered \(answer.status)")
                #expect(answer.errorBody?.error == "revocation-unavailable", "\(method) \(path): \(answer.bodyText)")
                #expect(answer.header("Retry-After") != nil, "\(method) \(path)")
            }
            // A chain that does not verify is still refused at the handshake, stale CRL or not.
            let stranger = try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", clientDir: pki.other, in: dir)
            #expect(stranger.status == 0 && stranger.exitCode != 0)
            // A current CRL: the next connection is judged and let in.
            trust.replace(try TrustStore(caFiles: [pki.ca], crlFiles: [try pki.crl(at: dir.path("current.crl.pem"))]))
            #expect(try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", in: dir).status == 200)
        }
    }

    /// `openssl s_client` offering one TLS 1.2 suite, as client 441800.
    private func handshake(port: Int, cipher: String) async throws -> ProcessResult {
        try await runDetached(
            "sh",
            [
                "-c",
                "openssl s_client -connect 127.0.0.1:\(port) -tls1_2 -cipher \(cipher) "
                    + "-cert \(pki.cert("441800")) -key \(pki.key("441800")) -CAfile \(pki.ca) </dev/null",
            ])
    }
}

/// Our outbound client (libcurl) as authority 441800 of the test PKI, trusting its CA.
private func client441800(options: PeerClient.Options = PeerClient.Options()) throws -> PeerClient {
    let pki = TestPKI.shared
    return try PeerClient(
        tls: PeerTLS(certificateFile: pki.cert("441800"), keyFile: pki.key("441800"), trust: try pki.currentTrust()), options: options)
}

/// A connection kept alive across a change of the server's trust is judged again under it.
@Suite(.serialized)
struct KeptConnectionTrustTests {
    let pki = TestPKI.shared

    @Test(arguments: ["revoked", "anchor removed"])
    func aKeptConnectionDoesNotOutliveItsCallersTrust(change: String) async throws {
        let dir = try TempDir()
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [try pki.crl(at: dir.path("none.crl.pem"))]))
        try await withServer(in: dir, trust: trust) { server in
            let client = try client441800()
            defer { client.shutdown() }
            let operations = PeerOperations(client: client, trust: try pki.currentTrust())
            let url = "https://127.0.0.1:\(server.port)"
            // The first call's connection stays alive in libcurl's cache …
            #expect(try await operations.health(baseURL: url, peer: PeerIdentity(code: "430100")).authority == "430100")
            // … and the server's trust changes under it: a CRL that revokes the caller, or a
            // reload that no longer trusts its CA (both without the isRevoked shortcut's help
            // for the second).
            switch change {
            case "revoked":
                trust.replace(
                    try TrustStore(caFiles: [pki.ca], crlFiles: [try pki.crl(revoking: ["441800"], at: dir.path("revoked.crl.pem"))]))
            default:
                trust.replace(try TrustStore(caFiles: ["\(pki.other)/ca.pem"]))
            }
            do {
                _ = try await operations.health(baseURL: url, peer: PeerIdentity(code: "430100"))
                Issue.record("the kept connection was still served after the trust change (\(change))")
            } catch let failure as PeerOperations.Failure {
                #expect(failure.status == 403, "\(failure)")
                #expect(failure.detail.contains(change == "revoked" ? "revoked" : "untrusted-peer"), "\(failure)")
            } catch {
                // A new connection instead of the kept one is refused at the handshake: also right,
                // but then this test proves nothing about kept connections.
                Issue.record("expected a 403 on the kept connection, got \(error)")
            }
        }
    }

    /// A TLS session resumed after the server's trust changed is judged as its first handshake
    /// was, under the trust now in force: resumption verifies no certificate, so without that a
    /// caller whose CA is no longer trusted (or whose CRL went stale) would be served again.
    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func aResumedSessionIsJudgedUnderTheTrustInForce(version: String) async throws {
        let dir = try TempDir()
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca]))
        try await withServer(in: dir, trust: trust) { server in
            let session = dir.path("session.pem")
            let first = try await health(port: server.port, version: version, session: ["-sess_out", session])
            #expect(first.contains("HTTP/1.1 200"), "\(first)")
            trust.replace(try TrustStore(caFiles: [pki.ca, "\(pki.other)/ca.pem"]))
            let resumed = try await health(port: server.port, version: version, session: ["-sess_in", session])
            #expect(resumed.contains("Reused,"), "the session was not resumed, so this proves nothing: \(resumed)")
            #expect(resumed.contains("HTTP/1.1 200"), "\(resumed)")
            trust.replace(try TrustStore(caFiles: ["\(pki.other)/ca.pem"]))
            let refused = try await health(port: server.port, version: version, session: ["-sess_in", session])
            #expect(refused.contains("Reused,"), "the session was not resumed, so this proves nothing: \(refused)")
            #expect(refused.contains("HTTP/1.1 403") && refused.contains("untrusted-peer"), "\(refused)")
        }
    }

    /// `GET /v1/health` as 441800 through `openssl s_client` (which says whether its session was
    /// new or reused), the session saved or resumed as `session` asks; all it printed.
    private func health(port: Int, version: String, session: [String]) async throws -> String {
        let request = "GET \(PeerProtocol.healthPath) HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n"
        let command =
            "printf '\(request)' | openssl s_client -connect 127.0.0.1:\(port) \(version) -ign_eof -cert \(pki.cert("441800")) "
            + "-key \(pki.key("441800")) -CAfile \(pki.ca) \(session.joined(separator: " "))"
        let result = try await runDetached("sh", ["-c", command])
        return result.stdout + result.stderr
    }
}
