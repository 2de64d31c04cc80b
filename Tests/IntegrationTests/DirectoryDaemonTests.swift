import DossierAdmin
import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// docs/directory.md, "In the daemon": real daemons take their peers from a signed directory the
/// mock peer publishes (`--publish`), refuse a bad one while keeping the last good copy, follow a
/// new one without a restart, and hold the archives of a suspended authority.
@Suite(.serialized) struct DirectoryDaemonTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let published: String

    init() throws {
        temp = try TempDir()
        published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
    }

    /// Signs `authorities` as directory `serial` (by the operator, or `identity`), passes it
    /// through `alter` and publishes it.
    private func publish(
        serial: UInt64, _ authorities: [AuthorityDirectory.Entry], identity: SigningIdentity? = nil,
        nextUpdate: Date = Date().addingTimeInterval(86_400), alter: (inout [UInt8]) throws -> Void = { _ in }
    ) throws {
        let directory = AuthorityDirectory(
            serial: serial, issuedAt: nextUpdate.addingTimeInterval(-7 * 86_400), nextUpdate: nextUpdate,
            issuer: "Traffic Management Bureau", authorities: authorities)
        var signed = try SignedDirectory.sign(directory, identity: try identity ?? pki.identity(TestPKI.directoryOperator))
        try alter(&signed)
        try Data(signed).write(to: URL(fileURLWithPath: "\(published)/directory.p7m"), options: .atomic)
    }

    private func entry(_ code: String, url: String, status: AuthorityDirectory.Status = .active) -> AuthorityDirectory.Entry {
        .init(code: code, name: "Authority \(code)", nameZh: "车管所 \(code)", url: url, modes: [.push], status: status)
    }

    /// A daemon for 441800 with no [[peers]], its directory fetched from `mock` every second.
    private func daemon(_ mock: MockPeerProcess) throws -> DaemonProcess {
        try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: directoryTable(mock))
    }

    private func directoryTable(_ mock: MockPeerProcess) -> String {
        "[directory]\nurl = \"\(mock.url)/published/directory.p7m\"\ntrust = [\"\(pki.ca)\"]\nrefresh = \"1s\""
    }

    private func peers(_ daemon: DaemonProcess) -> [AdminProtocol.PeerStatus] {
        (try? daemon.ctl([AdminProtocol.PeerStatus].self, ["peers"])) ?? []
    }

    private func warnings(_ daemon: DaemonProcess) -> [String] {
        (try? daemon.ctl(AdminProtocol.Status.self, ["status"]).warnings) ?? []
    }

    @Test func fourHundredAuthoritiesAPushToOneAndAnUnlistedCallerRefused() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        var authorities = (0..<398).map { entry(String(500_000 + $0), url: "https://127.0.0.1:9") }
        authorities += [entry("430100", url: mock.url), entry("440100", url: "https://127.0.0.1:9")]
        try publish(serial: 1, authorities)
        let node = try daemon(mock)
        try await node.start(notifying: true)
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 400 })
        #expect(peers(node).first { $0.code == "430100" }?.source == "directory")

        let sample = try SampleDossier.make(in: temp, seed: 151)
        let id = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]).id
        _ = try await node.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        #expect(try await mock.received().contains { $0.id == id })

        #expect(try await health(node, as: "440100") == 200)
        #expect(try await health(node, as: "110000") == 403)
        #expect(node.state.appendingPathComponent("directory.p7m").path.isFile)

        // SIGHUP with a local entry for a listed authority: merged, the directory's peers kept.
        try node.writeConfig(pki: pki, peers: [.init(code: "430100", url: mock.url, maxConcurrent: 2)], extra: directoryTable(mock))
        try node.reload()
        #expect(peers(node).count == 400)
        #expect(peers(node).first { $0.code == "430100" }?.source == "both")
        #expect(try node.ctl(["peers"]).stdout.contains("directory + [[peers]]"))

        // Later fetches are conditional: the unchanged directory is answered 304.
        var notModified = false
        for _ in 0..<50 where !notModified {
            notModified = try await mock.log().contains { $0.path == "/published/directory.p7m" && $0.status == 304 }
            if !notModified { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(notModified)

        // SIGHUP without [directory]: the local peers only.
        try node.writeConfig(pki: pki, peers: [.init(code: "430100", url: mock.url)])
        try node.reload()
        #expect(peers(node).map(\.code) == ["430100"])
        #expect(peers(node).first?.source == "local")
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
    }

    @Test func aTamperedExpiredOrRolledBackDirectoryIsRefusedAndTheLastGoodKept() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        let good = [entry("430100", url: mock.url), entry("440100", url: "https://127.0.0.1:9")]
        try publish(serial: 5, good)
        let node = try daemon(mock)
        try await node.start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 2 })

        // Tampered: one byte of the content changed.
        try publish(serial: 6, good + [entry("110000", url: "https://127.0.0.1:9")]) { bytes in
            let name = Array("110000".utf8)
            let index = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<$0 + name.count]) == name })
            bytes[index + 5] = UInt8(ascii: "1")
        }
        #expect(try await eventually(seconds: 20) { self.warnings(node).contains { $0.contains("signature-invalid") } })

        // Signed by an expired operator certificate.
        try publish(
            serial: 7, good + [entry("110000", url: "https://127.0.0.1:9")], identity: try pki.expiredIdentity(TestPKI.directoryOperator))
        #expect(try await eventually(seconds: 20) { self.warnings(node).contains { $0.contains("expired-signer") } })

        // Rolled back: a lower serial.
        try publish(serial: 4, good + [entry("110000", url: "https://127.0.0.1:9")])
        #expect(try await eventually(seconds: 20) { self.warnings(node).contains { $0.contains("does not follow serial 5") } })
        #expect(peers(node).map(\.code).sorted() == ["430100", "440100"])
        #expect(try await health(node, as: "110000") == 403)

        // Restarted with the URL down: the last good copy is in force from the start.
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
        try await node.start()
        #expect(peers(node).map(\.code).sorted() == ["430100", "440100"])
        #expect(try await eventually(seconds: 20) { self.warnings(node).contains { $0.contains("serial 5 stays in force") } })
        #expect(try await node.stop() == 0)
    }

    @Test func aURLChangeAndASuspensionReachTheNextPushWithoutARestart() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        // 430100 first at an address where nothing listens: its archive waits, deferred.
        try publish(serial: 1, [entry("430100", url: "https://127.0.0.1:9")])
        let node = try daemon(mock)
        try await node.start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })
        let sample = try SampleDossier.make(in: temp, seed: 152)
        let id = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]).id
        _ = try await node.waitForQueue { $0.contains { $0["id"] as? String == id && ($0["attempts"] as? Int ?? 0) >= 1 } }

        // Suspended: held, not attempted, not dead; its calls refused.
        try publish(serial: 2, [entry("430100", url: mock.url, status: .suspended)])
        let held = try await node.waitForQueue { $0.contains { $0["id"] as? String == id && $0["held"] as? Bool == true } }
        let attempts = held.first { $0["id"] as? String == id }?["attempts"] as? Int
        try await Task.sleep(for: .seconds(3))
        let later = try await node.waitForQueue { $0.contains { $0["id"] as? String == id } }
        #expect(later.first { $0["id"] as? String == id }?["attempts"] as? Int == attempts)
        #expect(later.first { $0["id"] as? String == id }?["held"] as? Bool == true)
        #expect(try node.ctl(["queue"]).stdout.contains("held"))
        #expect(warnings(node).contains { $0.contains("1 archive(s) held") })
        #expect(try await health(node, as: "430100") == 403)
        #expect(try await mock.received().isEmpty)

        // Reinstated at the mock's URL: delivered, once.
        try publish(serial: 3, [entry("430100", url: mock.url)])
        _ = try await node.waitForQueue(timeout: 60) { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        #expect(try await mock.received().filter { $0.id == id }.count == 1)
        #expect(try await health(node, as: "430100") == 200)
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
    }

    @Test func aDirectoryPastItsNextUpdateIsUsedWithAWarningAndAMetric() async throws {
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        try publish(serial: 1, [entry("430100", url: mock.url)], nextUpdate: Date().addingTimeInterval(-3600))
        let node = try daemon(mock)
        try await node.start()
        #expect(try await eventually(seconds: 30) { self.peers(node).count == 1 })
        #expect(warnings(node).contains { $0.contains("directory serial 1 is past its nextUpdate") })
        let metrics = try run("curl", ["-sS", "--unix-socket", node.socket, "http://dossierd/metrics"]).stdout
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("dossierd_directory_next_update_seconds ") }
        let seconds = try #require(line.flatMap { Double($0.split(separator: " ").last ?? "") }, "\(metrics)")
        #expect(seconds < -3000)
        #expect(try await health(node, as: "430100") == 200)
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
    }

    /// `GET /v1/health` as authority `client` on a new connection; 0 when the handshake fails.
    private func health(_ daemon: DaemonProcess, as client: String) async throws -> Int {
        let result = try await runDetached(
            "curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cert", pki.cert(client), "--key",
                pki.key(client), "--cacert", pki.ca, "\(try daemon.url)/v1/health",
            ])
        return Int(result.stdout) ?? 0
    }
}

extension String {
    fileprivate var isFile: Bool { FileManager.default.fileExists(atPath: self) }
}
