import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// One dossier, one archive per destination (docs/architecture.md, "Submissions"): a dossier
/// submitted again, or an intake folder found again after a SIGKILL between queueing and
/// removal, yields the archive already queued, never a second one.
@Suite(.serialized) struct SubmissionOnceTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// A daemon whose peers cannot be reached: what it queues stays in its queue.
    private func daemon() throws -> DaemonProcess {
        try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [.init(code: "430100", url: "https://127.0.0.1:1"), .init(code: "110000", url: "https://127.0.0.1:1")])
    }

    private func queued(_ node: DaemonProcess) throws -> [String] {
        let lines = try JSONSerialization.jsonObject(with: Data(try node.ctl(["queue", "--json"]).stdout.utf8)) as? [[String: Any]]
        return (lines ?? []).compactMap { $0["id"] as? String }
    }

    @Test func aDossierSubmittedTwiceIsQueuedOnce() async throws {
        let node = try daemon()
        try await node.start()
        let sample = try SampleDossier.make(in: temp, seed: 61)
        let first = try node.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])?["id"] as? String)
        let again = try node.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("already queued as \(id)"), "\(again.stdout)")
        #expect(try queued(node) == [id])
        // Cancelled, the dossier may be queued anew.
        #expect(try node.ctl(["cancel", id]).status == 0)
        let third = try node.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
        let newID = (try JSONSerialization.jsonObject(with: Data(third.stdout.utf8)) as? [String: Any])?["id"] as? String
        #expect(newID != nil && newID != id, "\(third.stdout)")
        #expect(try await node.stop() == 0)
    }

    @Test func aVehicleInTransferCannotBeSubmittedAgainUntilItsArchiveIsCancelled() async throws {
        let node = try daemon()
        try await node.start()
        let first = try SampleDossier.make(in: temp, seed: 63)
        // Other dossiers of the same vehicle (other documents), for each destination.
        let others = try ["430100", "110000"].map {
            ($0, try SampleDossier.make(in: temp, seed: 63, documents: 7, documentSize: 4096, destination: $0))
        }
        #expect(others.allSatisfy { $0.1.vin == first.vin })
        let submitted = try node.ctl(["submit", first.dir.path, "--to", "430100", "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String)
        for (destination, other) in others {
            let refused = try node.ctl(["submit", other.dir.path, "--to", destination])
            #expect(refused.status == 1, "\(destination): \(refused.stdout)")
            #expect(refused.stderr.contains("already-transferred") && refused.stderr.contains(id), "\(refused.stderr)")
            #expect(refused.stderr.contains("430100"), "names the destination of the transfer under way: \(refused.stderr)")
        }
        // So is an intake folder of it (moved in by rename), with the reason beside its files.
        let elsewhere = others[1].1
        let staged = node.state.appendingPathComponent("intake/110000/.again")
        try FileManager.default.copyItem(at: elsewhere.dir, to: staged)
        try FileManager.default.moveItem(at: staged, to: node.state.appendingPathComponent("intake/110000/again"))
        let failed = node.state.appendingPathComponent("intake/failed")
        #expect(try await eventually(seconds: 20) { !node.refusedFolders.isEmpty })
        let folder = try #require(node.refusedFolders.first)
        let reason = try String(contentsOf: failed.appendingPathComponent(folder).appendingPathComponent("reason.txt"), encoding: .utf8)
        #expect(reason.contains("already-transferred") && reason.contains(id), "\(reason)")
        #expect(try queued(node) == [id])
        // Cancelled, the vehicle may go elsewhere.
        #expect(try node.ctl(["cancel", id]).status == 0)
        #expect(try node.ctl(["submit", elsewhere.dir.path, "--to", "110000"]).status == 0)
        #expect(try await node.stop() == 0)
    }

    /// A folder moved into intake is taken at once (inotify), not at the next poll: with
    /// `timing.intake_poll` at an hour, it is queued within seconds, and so is one moved into a
    /// destination folder made by hand after the start, or removed and made again.
    @Test func aFolderMovedIntoIntakeIsTakenAtOnceNotAtTheNextPoll() async throws {
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")], intakePoll: "1h")
        try await node.start()
        let first = try SampleDossier.make(in: temp, seed: 65)
        try FileManager.default.moveItem(at: first.dir, to: node.state.appendingPathComponent("intake/430100/first"))
        #expect(try await eventually(seconds: 20) { (try? queued(node).count) == 1 }, "not taken before the poll")
        // A destination folder made by hand (a directory peer's): the scan it wakes watches it too.
        let made = node.state.appendingPathComponent("intake/110000")
        // `made` made, and half a second later (the scan that wakes watches it) a dossier moved
        // into it: whether that is taken before the poll.
        func takenAfterMaking(seed: Int) async throws -> Bool {
            try FileManager.default.createDirectory(at: made, withIntermediateDirectories: false)
            try await Task.sleep(for: .milliseconds(500))
            let sample = try SampleDossier.make(in: temp, seed: seed)
            let moved = made.appendingPathComponent("dossier-\(seed)")
            try FileManager.default.moveItem(at: sample.dir, to: moved)
            return try await eventually(seconds: 20) { !FileManager.default.fileExists(atPath: moved.path) }
        }
        #expect(try await takenAfterMaking(seed: 66), "a folder in a destination folder made after the start was not taken before the poll")
        // The same folder removed and made again: watched again (its old watch ended with it).
        try FileManager.default.removeItem(at: made)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await takenAfterMaking(seed: 67), "a folder in a destination folder made again was not taken before the poll")
        #expect(try await node.stop() == 0)
    }

    @Test func theDaemonReportsTheBytesPackedWhileItPacks() async throws {
        let node = try daemon()
        // The packed archive waits in its staging folder until the test releases it, so the
        // progress is seen however the test's own threads are scheduled on a loaded machine.
        let release = temp.path("release-packing")
        try await node.start(environment: ["DOSSIERD_TEST_PACK_HOLD": release])
        let big = try SampleDossier.make(in: temp, seed: 64, documents: 8, documentSize: 8 << 20)
        let query = big.dir.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        func progress() throws -> (status: Int, body: String) {
            let answer = try run(
                "curl", ["-s", "-w", "\n%{http_code}", "--unix-socket", node.socket, "http://dossierd/progress?directory=\(query)"])
            let lines = answer.stdout.split(separator: "\n")
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        #expect(try progress().status == 404, "nothing is being packed yet")
        let submit = Process()
        submit.executableURL = URL(fileURLWithPath: product("dossierctl"))
        submit.arguments = ["submit", big.dir.path, "--to", "430100", "--socket", node.socket]
        submit.standardOutput = FileHandle.nullDevice
        try submit.run()
        var seen: [AdminProtocol.Progress] = []
        let deadline = Date().addingTimeInterval(60)
        while submit.isRunning, Date() < deadline, !seen.contains(where: { $0.packed > 0 }) {
            let answer = try progress()
            if answer.status == 200, let figure = try? JSONDecoder().decode(AdminProtocol.Progress.self, from: Data(answer.body.utf8)) {
                seen.append(figure)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(submit.isRunning, "the submission waits for the release")
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        submit.waitUntilExit()
        #expect(submit.terminationStatus == 0)
        #expect(!seen.isEmpty, "no progress was reported while packing")
        #expect(seen.allSatisfy { $0.packed <= $0.total && $0.total >= 64 << 20 }, "\(seen)")
        #expect(seen.contains { $0.packed > 0 }, "\(seen)")
        #expect(try progress().status == 404, "done: nothing is being packed")
        #expect(try await node.stop() == 0)
    }

    @Test func aSIGKILLBetweenQueueingAndRemovingAnIntakeFolderMakesNoSecondArchive() async throws {
        let node = try daemon()
        try await node.start(environment: ["DOSSIERD_TEST_PAUSE_AT": "logged"])
        let sample = try SampleDossier.make(in: temp, seed: 62)
        let intake = node.state.appendingPathComponent("intake/430100")
        try FileManager.default.moveItem(at: sample.dir, to: intake.appendingPathComponent("crashing"))
        #expect(try await eventually(seconds: 30) { node.log.contains("intake queued, removing the folder") })
        #expect(try await node.stop(signal: SIGKILL) != 0)
        #expect(FileManager.default.fileExists(atPath: intake.appendingPathComponent("crashing").path), "the kill came too late")

        try await node.start()
        #expect(try await eventually(seconds: 30) { node.log.contains("intake folder already queued, removing it") })
        #expect(
            try await eventually(seconds: 10) { !FileManager.default.fileExists(atPath: intake.appendingPathComponent("crashing").path) })
        let listing = try node.ctl(["queue"]).stdout
        #expect(try queued(node).count == 1, "\(listing)")
        #expect(try await node.stop() == 0)
    }
}
