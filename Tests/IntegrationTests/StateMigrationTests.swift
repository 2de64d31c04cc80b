import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// A state directory written by the first release (commit c3f5764, whose journal recorded
/// absolute spool paths) is delivered by this build, where it was made and moved elsewhere
/// (restored from a backup, or `state.directory` changed).
@Suite struct StateMigrationTests {
    static let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/state-c3f5764")
    /// Where the fixture's state was made; its journal names this path.
    static let recordedState = URL(fileURLWithPath: "/tmp/dossierd-state-v1-fixture/state")
    static let queued: Set<String> = ["01a22154-3f88-72e7-9f29-3c16f80977fc", "01a22154-42e0-77bf-b14a-8f16cd190fed"]

    /// An exclusive lock beside the recorded path, held until its descriptor is closed; waits
    /// up to two minutes for a run in another checkout to finish with it.
    static func takeTurnAtTheRecordedPath() async throws -> Int32 {
        let fd = open("/tmp/dossierd-state-v1-fixture.lock", O_CREAT | O_RDWR, 0o600)
        try #require(fd >= 0, "cannot open the fixture's lock: errno \(errno)")
        for _ in 0..<1200 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
            try await Task.sleep(for: .milliseconds(100))
        }
        close(fd)
        Issue.record("another test run held /tmp/dossierd-state-v1-fixture for two minutes")
        throw CancellationError()
    }

    @Test(arguments: [true, false])
    func theFirstReleasesQueueIsDelivered(inPlace: Bool) async throws {
        let temp = try TempDir()
        let manager = FileManager.default
        let state = inPlace ? Self.recordedState : temp.url.appendingPathComponent("restored/state")
        // The recorded path is one for the machine: test runs in other checkouts take turns at it.
        let turn = inPlace ? try await Self.takeTurnAtTheRecordedPath() : nil
        defer { turn.map { _ = close($0) } }
        try? manager.removeItem(at: state)
        try manager.createDirectory(at: state.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manager.copyItem(at: Self.fixture.appendingPathComponent("state"), to: state)
        defer { if inPlace { try? manager.removeItem(at: state.deletingLastPathComponent()) } }
        // Keys as git checks them out are world-readable; a private key must not be.
        let pki = temp.url.appendingPathComponent("pki")
        try manager.copyItem(at: Self.fixture.appendingPathComponent("pki"), to: pki)
        for key in ["441800", "430100"] {
            try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pki.appendingPathComponent("\(key).fixture.key").path)
        }

        let mock = try await MockPeerProcess.launch(
            in: temp,
            credentials: .init(
                certificate: pki.appendingPathComponent("430100.pem").path, key: pki.appendingPathComponent("430100.fixture.key").path,
                ca: pki.appendingPathComponent("ca.pem").path))
        let daemon = try DaemonProcess(code: "441800", in: temp.url, pki: .shared, peers: [], state: state)
        try """
        [authority]
        code = "441800"
        [tls]
        certificate = "\(pki.appendingPathComponent("441800.pem").path)"
        key = "\(pki.appendingPathComponent("441800.fixture.key").path)"
        trust = ["\(pki.appendingPathComponent("ca.pem").path)"]
        [server]
        listen = "127.0.0.1:0"
        [state]
        directory = "\(state.path)"
        [admin]
        socket = "\(daemon.socket)"
        [retry]
        first_delay = "100ms"
        max_delay = "1s"
        [[peers]]
        code = "430100"
        url = "\(mock.url)"
        """.write(to: daemon.configFile, atomically: true, encoding: .utf8)
        try await daemon.start()

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let delivered = try await eventually(seconds: 30) {
            Self.queued.allSatisfy { id in
                let shown = try? daemon.ctl(["show", id, "--json"])
                let detail = shown.flatMap { try? decoder.decode(AdminProtocol.EntryDetail.self, from: Data($0.stdout.utf8)) }
                return detail?.entry.state == "delivered"
            }
        }
        #expect(delivered, "not delivered from \(state.path):\n\(daemon.log)")
        let received = try await mock.received()
        #expect(Set(received.map(\.id)) == Self.queued)
        #expect(received.allSatisfy { $0.status == "accepted" })
        #expect(!daemon.log.contains("No such file"), "\(daemon.log)")
        _ = try await daemon.stop()
    }
}
