import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// One real `dossierd` process: systemd notifications, signals, and every `dossierctl`
/// command with its exit codes and JSON shapes. Its peer is down (port 1), so what is
/// submitted stays in the outbox where the commands can see it.
@Suite(.serialized) struct DaemonTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    func daemon() throws -> DaemonProcess {
        try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")])
    }

    @Test func notifiesSystemdAndStopsCleanlyOnSIGTERM() async throws {
        let node = try daemon()
        let notify = try NotifySocket(path: temp.path("notify.sock"))
        try await node.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        let startup = notify.read(untilAll: ["READY=1", "STATUS=", "WATCHDOG=1"])
        #expect(startup.contains { $0.contains("READY=1") }, "\(startup)")
        #expect(startup.contains { $0.contains("STATUS=") }, "\(startup)")
        #expect(startup.contains { $0.contains("WATCHDOG=1") }, "\(startup)")
        // Half the watchdog period: a second ping within a second.
        #expect(notify.read(until: "WATCHDOG=1", timeout: 1.5).contains { $0.contains("WATCHDOG=1") })
        let status = try await node.stop(signal: SIGTERM)
        #expect(status == 0, "\(node.log)")
        #expect(notify.read(until: "STOPPING=1", timeout: 2).contains { $0.contains("STOPPING=1") })
    }

    /// A notify socket whose reader has stopped reading fills after 10 datagrams (the kernel's
    /// `net.unix.max_dgram_qlen`); with pings every 50 ms that is half a second. The daemon
    /// keeps working and stops when told: before, each send blocked a thread of its two-thread
    /// cooperative pool for good, and the STOPPING=1 of a stop blocked the second.
    @Test func aNotifySocketNobodyReadsDoesNotStopTheDaemon() async throws {
        let node = try daemon()
        let notify = try NotifySocket(path: temp.path("unread.sock"))
        try await node.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "100000"])
        try await Task.sleep(for: .seconds(2))
        let sample = try SampleDossier.make(in: temp, seed: 12)
        let submitted = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"])
        #expect(try node.ctl([AdminProtocol.QueueLine].self, ["queue"]).contains { $0.id == submitted.id })
        let started = ContinuousClock.now
        #expect(try await node.stop(signal: SIGTERM) == 0, "\(node.log)")
        #expect(ContinuousClock.now - started < .seconds(10), "the stop waited on the notify socket")
    }

    @Test func sigintAlsoDrainsAndExitsZero() async throws {
        let node = try daemon()
        try await node.start()
        #expect(try await node.stop(signal: SIGINT) == 0, "\(node.log)")
    }

    @Test func everyCommandAgainstARunningDaemon() async throws {
        let node = try daemon()
        try await node.start()
        let sample = try SampleDossier.make(in: temp, seed: 11)

        let status = try node.ctl(AdminProtocol.Status.self, ["status"])
        #expect(status.authority == "441800")
        #expect(status.peers.map(\.code) == ["430100"])
        #expect(status.inbox.accepted == 0 && status.inbox.rejected == 0)
        #expect(!status.listen.isEmpty)
        #expect(try node.ctl(["status"]).stdout.contains("441800"))

        let id = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]).id

        // The peer is down: the archive is deferred with the connection error, not lost.
        let lines = try await node.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "deferred" } }
        #expect((lines.first?["lastError"] as? String)?.contains("network") == true, "\(lines)")
        // The entry cycles deferred → sending → deferred (the peer keeps refusing): poll.
        var listed = false
        for _ in 0..<100 where !listed {
            listed = try node.ctl(["queue", "--state", "deferred"]).stdout.contains(id)
            if !listed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(listed, "queue --state deferred never listed \(id)")
        #expect(try node.ctl(["queue", "--peer", "440100"]).stdout.contains("empty"))
        #expect(try node.ctl(["queue", "--state", "nonsense"]).status == 1)

        let detail = try node.ctl(AdminProtocol.EntryDetail.self, ["show", id])
        #expect(detail.entry.id == id)
        #expect(detail.history.count >= 2)
        #expect(try node.ctl(["show", "no-such-id"]).status == 1)

        #expect(try node.ctl([AdminProtocol.PeerStatus].self, ["peers"]).map(\.code) == ["430100"])
        #expect(try node.ctl([AdminProtocol.InboxLine].self, ["inbox"]).isEmpty)

        // Cancel, then nothing is left to retry.
        // A cancel that meets the entry mid-attempt (sending) is refused; the next one lands.
        var cancelled = false
        for _ in 0..<50 where !cancelled {
            cancelled = try node.ctl(["cancel", id]).status == 0
            if !cancelled { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(cancelled)
        _ = try await node.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "cancelled" } }
        #expect(try node.ctl(["retry", id]).status == 1)
        let retryDead = try node.ctl(["retry", "--dead", "--json"])
        #expect(retryDead.status == 0)
        #expect(try node.ctl(["retry"]).status == 2)

        // A dossier the rules refuse is not queued: exit 1 with the rule's code.
        let seized = try SampleDossier.make(in: temp, seed: 12, ineligible: "seized")
        let refused = try node.ctl(["submit", seized.dir.path, "--to", "430100"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("seized"), "\(refused.stderr)")
        #expect(try node.ctl(["submit", sample.dir.path, "--to", "999999"]).status == 1)

        // Prometheus text on the admin socket.
        let metrics = try run("curl", ["-sS", "--unix-socket", node.socket, "http://dossierd/metrics"])
        for name in ["dossierd_queue_depth", "dossierd_journal_syncs", "dossierd_transfers_total"] {
            #expect(metrics.stdout.contains(name), "/metrics lacks \(name)")
        }
        #expect(try await node.stop() == 0)
    }

    /// `mode = "pull"` means the peer fetches from us (it cannot be reached); only a peer with
    /// `poll = true` is asked for archives. Each configured peer gets its intake folder, also
    /// one added by a reload.
    @Test func aMistypedIDNumberIsMaskedInEveryTextTheDaemonShows() async throws {
        let node = try daemon()
        try await node.start()
        // The seller's ID number with its check digit mistyped.
        let sample = try SampleDossier.make(in: temp, seed: 13)
        let recordFile = sample.dir.appendingPathComponent("dossier.json")
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any])
        var owner = try #require(record["owner"] as? [String: Any])
        let good = try #require(owner["idNumber"] as? String)
        let check = good.last == "1" ? "2" : "1"
        let mistyped = String(good.dropLast()) + check
        owner["idNumber"] = mistyped
        record["owner"] = owner
        try JSONSerialization.data(withJSONObject: record).write(to: recordFile)
        let masked = String(mistyped.prefix(4)) + String(repeating: "*", count: mistyped.count - 8) + String(mistyped.suffix(4))

        let submitted = try node.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(submitted.status == 1)
        #expect(submitted.stderr.contains(masked), "\(submitted.stderr)")

        let intake = node.state.appendingPathComponent("intake/430100")
        // Copied under a dot name and renamed, as intake asks: the daemon takes a visible folder
        // at once (inotify), and would take a half-copied one.
        try FileManager.default.copyItem(at: sample.dir, to: intake.appendingPathComponent(".mistyped"))
        try FileManager.default.moveItem(at: intake.appendingPathComponent(".mistyped"), to: intake.appendingPathComponent("mistyped"))
        let failed = node.state.appendingPathComponent("intake/failed")
        #expect(try await eventually(seconds: 20) { !node.refusedFolders.isEmpty })
        let folder = try #require(node.refusedFolders.first)
        let reason = try String(contentsOf: failed.appendingPathComponent(folder).appendingPathComponent("reason.txt"), encoding: .utf8)
        #expect(reason.contains(masked), "\(reason)")
        let status = try node.ctl(["status"]).stdout + (try node.ctl(["status", "--json"]).stdout)
        #expect(try await node.stop() == 0)
        for (name, text) in [
            ("submit", submitted.stdout + submitted.stderr), ("reason.txt", reason), ("status", status), ("log", node.log),
        ] {
            #expect(!text.contains(mistyped), "\(name) shows the whole ID number")
        }
    }

    /// A refused intake folder is moved to `intake/failed/` under a dot name, given its
    /// reason.txt and then shown; one a crash left hidden is shown at the next start.
    @Test func aRefusedFolderLeftHiddenByACrashIsShownAtStart() async throws {
        let node = try daemon()
        let failed = node.state.appendingPathComponent("intake/failed")
        try FileManager.default.createDirectory(at: failed.appendingPathComponent(".430100-crashed-1"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: failed.appendingPathComponent(".430100-crashed-1/dossier.json"))
        try await node.start()
        #expect(FileManager.default.fileExists(atPath: failed.appendingPathComponent("430100-crashed-1/dossier.json").path))
        #expect(!FileManager.default.fileExists(atPath: failed.appendingPathComponent(".430100-crashed-1").path))
        #expect(try await node.stop() == 0)
    }

    @Test func pollsOnlyPeersThatHoldArchivesAndMakesIntakeFolders() async throws {
        let holding = try await MockPeerProcess.launch(in: temp)
        let unreachable = try await MockPeerProcess.launch(in: temp)
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [
                .init(code: "430100", url: holding.url, poll: true), .init(code: "110000", url: unreachable.url, mode: "pull"),
            ])
        try await node.start()
        var polled = false
        for _ in 0..<100 where !polled {
            polled = try await holding.log().contains { $0.method == "GET" && $0.path.hasPrefix("/v1/archives") }
            if !polled { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(polled, "the peer with poll = true was never asked for archives")
        #expect(try await unreachable.log().allSatisfy { !$0.path.hasPrefix("/v1/archives") }, "a pull-mode peer was polled")
        for code in ["430100", "110000"] {
            #expect(FileManager.default.fileExists(atPath: node.state.appendingPathComponent("intake/\(code)").path))
        }

        try node.writeConfig(
            pki: pki, peers: [.init(code: "430100", url: holding.url, poll: true), .init(code: "440100", url: unreachable.url)])
        kill(node.process.processIdentifier, SIGHUP)
        let made = try await eventually(seconds: 10) {
            FileManager.default.fileExists(atPath: node.state.appendingPathComponent("intake/440100").path)
        }
        #expect(made, "a peer added by a reload got no intake folder")
        #expect(try await node.stop() == 0)
    }

    @Test func saysPlainlyWhenTheDaemonIsNotRunning() throws {
        let result = try dossierctl(["status", "--socket", temp.path("nobody.sock")])
        #expect(result.status == 2)
        #expect(result.stderr.contains(temp.path("nobody.sock")), "\(result.stderr)")
    }

    @Test func offlineCommandsUsageErrorsExitTwo() throws {
        #expect(try dossierctl(["verify"]).status == 2)
        #expect(try dossierctl(["pack", temp.url.path]).status == 2)
        #expect(try dossierctl(["no-such-command"]).status == 2)
    }
}
