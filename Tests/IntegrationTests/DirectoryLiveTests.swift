import DossierAdmin
import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// docs/directory.md, "In the daemon", with real processes: the directory a daemon uses is shown
/// by `dossierctl directory show` without a file; a peer's new URL reaches the next push without a
/// restart; a directory swapped (fetch and SIGHUP) while a push is in flight does not drop it; a
/// directory's SPKI pin is enforced end to end; the kept copy is verified again at start, and
/// the directory in force again whenever the trust or CRLs change.
/// The directory is published by a mock peer of its own (440100), so the peers' mocks see only
/// the daemon's pushes.
@Suite(.serialized) struct DirectoryLiveTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let published: String
    /// A state folder for each mock (the publisher, and one or two of 430100), which must not share one.
    let mockFolders: [TempDir]

    init() throws {
        temp = try TempDir()
        mockFolders = try (0..<3).map { _ in try TempDir() }
        published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
    }

    /// Signs `authorities` as directory `serial` by the directory operator and publishes it.
    private func publish(serial: UInt64, _ authorities: [AuthorityDirectory.Entry]) throws {
        let now = Date()
        let directory = AuthorityDirectory(
            serial: serial, issuedAt: now.addingTimeInterval(-60), nextUpdate: now.addingTimeInterval(86_400),
            issuer: "Traffic Management Bureau", authorities: authorities)
        let signed = try SignedDirectory.sign(directory, identity: try pki.identity(TestPKI.directoryOperator))
        try Data(signed).write(to: URL(fileURLWithPath: "\(published)/directory.p7m"), options: .atomic)
    }

    private func entry(_ code: String, url: String, pins: [String] = []) -> AuthorityDirectory.Entry {
        .init(code: code, name: "Authority \(code)", nameZh: "车管所 \(code)", url: url, modes: [.push], spkiSha256: pins)
    }

    /// The `[directory]` table fetching `publisher`'s directory every `refresh`.
    private func table(_ publisher: MockPeerProcess, refresh: String = "1s") -> String {
        "[directory]\nurl = \"\(publisher.url)/published/directory.p7m\"\ntrust = [\"\(pki.ca)\"]\nrefresh = \"\(refresh)\""
    }

    /// The publisher of the directory, and a daemon for 441800 with no [[peers]] fetching it every second.
    private func start() async throws -> (publisher: MockPeerProcess, node: DaemonProcess) {
        let publisher = try await MockPeerProcess.launch(in: mockFolders[0], ["--publish", published], certificate: "440100")
        let node = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: table(publisher))
        try await node.start(notifying: true)
        return (publisher, node)
    }

    private func peers(_ daemon: DaemonProcess) -> [AdminProtocol.PeerStatus] {
        (try? daemon.ctl([AdminProtocol.PeerStatus].self, ["peers"])) ?? []
    }

    private func submit(_ node: DaemonProcess, seed: Int) throws -> String {
        let sample = try SampleDossier.make(in: temp, seed: seed)
        return try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]).id
    }

    private func line(_ lines: [[String: Any]], _ id: String) -> [String: Any]? { lines.first { $0["id"] as? String == id } }

    @Test func theDirectoryInForceIsShownAndANewURLReachesTheNextPushWhileASwapDropsNothingInFlight() async throws {
        let first = try await MockPeerProcess.launch(in: mockFolders[1])
        let slow = try await MockPeerProcess.launch(in: mockFolders[2], ["--latency-ms", "15000"])
        try publish(serial: 1, [entry("430100", url: first.url)])
        let (publisher, node) = try await start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })

        // `directory show` without a file: the daemon's directory, text and JSON.
        let shown = try node.ctl(["directory", "show"])
        #expect(shown.status == 0 && shown.stdout.contains("serial 1") && shown.stdout.contains(first.url), "\(shown)")
        let json = try node.ctl(["directory", "show", "--json"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(AuthorityDirectory.self, from: Data(json.stdout.utf8))
        #expect(decoded.serial == 1 && decoded.authorities.map(\.url) == [first.url])

        let early = try submit(node, seed: 161)
        _ = try await node.waitForQueue { line($0, early)?["state"] as? String == "delivered" }

        // Only the URL changes (no suspension): the next push goes there, without a restart.
        try publish(serial: 2, [entry("430100", url: slow.url)])
        #expect(try await eventually(seconds: 20) { self.peers(node).first?.url == slow.url })
        #expect(try node.ctl(["directory", "show"]).stdout.contains("serial 2"))
        let late = try submit(node, seed: 162)
        _ = try await node.waitForQueue { line($0, late)?["state"] as? String == "sending" }

        // While it is in flight (the slow mock answers after 15 s, time enough on a loaded CI
        // machine): a new directory is fetched and the config reloaded. The push is not dropped,
        // restarted or sent twice.
        try publish(serial: 3, [entry("430100", url: slow.url), entry("440100", url: "https://127.0.0.1:9")])
        #expect(try await eventually(seconds: 10) { self.peers(node).count == 2 })
        _ = try node.reload()
        let during = try await node.waitForQueue { line($0, late) != nil }
        #expect(line(during, late)?["state"] as? String == "sending", "\(String(describing: line(during, late)))")
        let done = try await node.waitForQueue { line($0, late)?["state"] as? String == "delivered" }
        #expect(line(done, late)?["attempts"] as? Int == 1, "\(String(describing: line(done, late)))")
        #expect(try await slow.received().filter { $0.id == late }.count == 1)
        #expect(try await slow.log().filter { $0.method == "PUT" }.count == 1)
        #expect(try await first.received().map(\.id) == [early])
        #expect(try await node.stop() == 0)
        for mock in [publisher, first, slow] { _ = try await mock.stop() }
    }

    /// `[directory]` taken out of the config and put back (each with a reload): the directory is
    /// fetched again and its peers return. The fetch must not be conditional on the copy that
    /// was dropped: the publisher answers 304 to the ETag it had sent, and with no directory in
    /// force that was refused at every refresh, for good (found in review).
    @Test func aDirectoryTakenOutOfTheConfigAndPutBackIsFetchedAgain() async throws {
        try publish(serial: 1, [entry("430100", url: "https://127.0.0.1:9")])
        let (publisher, node) = try await start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })
        try node.writeConfig(pki: pki, peers: [])
        _ = try node.reload()
        #expect(try await eventually(seconds: 30) { self.peers(node).isEmpty }, "\(self.peers(node))")
        try node.writeConfig(pki: pki, peers: [], extra: table(publisher))
        _ = try node.reload()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 }, "\(self.peers(node))")
        #expect(try await node.stop() == 0)
        _ = try await publisher.stop()
    }

    @Test func aPinTheServerDoesNotHaveFailsThePushRetryablyWithZeroBytesSent() async throws {
        let peer = try await MockPeerProcess.launch(in: mockFolders[1])
        let wrong = Data(repeating: 7, count: 32).base64EncodedString()
        try publish(serial: 1, [entry("430100", url: peer.url, pins: [wrong])])
        let (publisher, node) = try await start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })
        let id = try submit(node, seed: 163)

        let lines = try await node.waitForQueue { (line($0, id)?["attempts"] as? Int ?? 0) >= 2 }
        let failing = try #require(line(lines, id))
        #expect(failing["state"] as? String != "dead", "\(failing)")
        let lastError = failing["lastError"] as? String ?? ""
        #expect(lastError.contains("peer-identity") && lastError.contains("430100"), "\(failing)")
        #expect(try await peer.inboundBytes() == 0, "the peer received application bytes")
        #expect(try await peer.received().isEmpty)

        // The same peer without the pin: delivered, once (it was the pin that kept it out).
        try publish(serial: 2, [entry("430100", url: peer.url)])
        _ = try await node.waitForQueue(timeout: 60) { line($0, id)?["state"] as? String == "delivered" }
        #expect(try await peer.received().filter { $0.id == id }.count == 1)
        #expect(try await node.stop() == 0)
        for mock in [publisher, peer] { _ = try await mock.stop() }
    }

    @Test func aKeptCopyThatNoLongerVerifiesIsNotUsedAtStart() async throws {
        try publish(serial: 1, [entry("430100", url: "https://127.0.0.1:9")])
        let (publisher, node) = try await start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })
        #expect(try await node.stop() == 0)
        _ = try await publisher.stop()

        // One digit of the signed content changed on disk: it still reads, but no longer verifies.
        let kept = node.state.appendingPathComponent("directory.p7m")
        var bytes = [UInt8](try Data(contentsOf: kept))
        let code = Array("430100".utf8)
        let index = try #require((0...(bytes.count - code.count)).first { Array(bytes[$0..<$0 + code.count]) == code })
        bytes[index + 5] = UInt8(ascii: "9")
        try Data(bytes).write(to: kept)
        #expect((try? SignedDirectory.read(bytes).directory.authorities.map(\.code)) == ["430109"])

        try await node.start()
        #expect(peers(node).isEmpty, "\(peers(node))")
        #expect(node.log.contains("the kept directory is not used") && node.log.contains(kept.path), "\(node.log)")
        let shown = try node.ctl(["directory", "show"])
        #expect(shown.status == 1 && shown.stderr.contains("no directory is in force"), "\(shown)")
        #expect(try await node.stop() == 0)
    }

    @Test func aDirectoryWhoseOperatorARevocationReachesIsDroppedUntilOneVerifies() async throws {
        try publish(serial: 1, [entry("430100", url: "https://127.0.0.1:9")])
        let publisher = try await MockPeerProcess.launch(in: mockFolders[0], ["--publish", published], certificate: "440100")
        // Fetched at start and at each SIGHUP only; the same bytes each time, never a 304.
        let table = table(publisher, refresh: "1h")
        let node = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: table)
        func trusting(crl: String) throws {
            try node.writeConfig(pki: pki, peers: [], extra: table, tls: "crl = [\"\(crl)\"]")
        }
        try trusting(crl: try pki.crl(at: temp.path("none.crl.pem")))
        try await node.start(notifying: true)
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })

        try trusting(crl: try pki.crl(revoking: [TestPKI.directoryOperator], at: temp.path("operator-revoked.crl.pem")))
        _ = try node.reload()
        #expect(try await eventually(seconds: 30) { self.peers(node).isEmpty }, "\(self.peers(node))")
        #expect(node.log.contains("no longer verifies against [directory] trust"), "\(node.log)")
        let shown = try node.ctl(["directory", "show"])
        #expect(shown.status == 1 && shown.stderr.contains("no directory is in force"), "\(shown)")

        try trusting(crl: try pki.crl(at: temp.path("none-again.crl.pem")))
        _ = try node.reload()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 }, "\(self.peers(node))")
        #expect(try await node.stop() == 0)
        _ = try await publisher.stop()
    }
}
