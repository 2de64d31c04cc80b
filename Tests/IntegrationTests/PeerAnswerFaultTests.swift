import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// Answers and local failures around one push that once stopped or stuck a real `dossierd`
/// (found in review): a peer's absurd `Retry-After`, and a delivery whose receipt could not be
/// kept here.
@Suite(.serialized) struct PeerAnswerFaultTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// 503 with `Retry-After: 100000000000000`: the entry waits no longer than `retry.max_delay`
    /// (1 s in the tests' config), and the daemon lives on, also through a restart that replays it.
    @Test func anAbsurdRetryAfterWaitsTheBackoffCapAtMost() async throws {
        let mock = try await MockPeerProcess.launch(
            in: temp, ["--fail-next", "1000000", "--fail-status", "503", "--retry-after", "100000000000000"])
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: mock.url)])
        try await origin.start()
        let sample = try SampleDossier.make(in: temp, seed: 71)
        let submitted = try origin.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"])
        func deferred() throws -> AdminProtocol.QueueLine? {
            try origin.ctl([AdminProtocol.QueueLine].self, ["queue"]).first { $0.id == submitted.id && $0.state == "deferred" }
        }
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == submitted.id && $0["state"] as? String == "deferred" } }
        let line = try #require(try deferred())
        let wait = try #require(line.nextAttemptAt).timeIntervalSinceNow
        #expect(wait <= 2, "waits \(wait) s")
        #expect(line.lastError?.contains("Retry-After 86400 s") == true, "\(line.lastError ?? "")")
        #expect(origin.process.isRunning)
        #expect(try await origin.stop() == 0)
        try await origin.start()
        // Waited for: by the time a loaded host has restarted it, the entry may be being pushed
        // again (and answered 503 again).
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == submitted.id && $0["state"] as? String == "deferred" } }
        #expect(try await origin.stop() == 0)
        _ = try await mock.stop()
    }

    /// The peer takes the archive but `receipts/` cannot be written: the entry does not stay
    /// `sending` (beyond `retry` and `cancel`, held against the peer's limit, until a restart);
    /// it is deferred as `unrecorded` and pushed again with backoff, and delivered by itself
    /// once the folder is back.
    @Test func aReceiptThatCannotBeKeptIsPushedAgainUntilItIs() async throws {
        let mock = try await MockPeerProcess.launch(in: temp)
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: mock.url)])
        try await origin.start()
        let receipts = origin.state.appendingPathComponent("receipts")
        try? FileManager.default.removeItem(at: receipts)
        try Data("not a folder".utf8).write(to: receipts)
        let sample = try SampleDossier.make(in: temp, seed: 72)
        let submitted = try origin.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"])
        let lines = try await origin.waitForQueue {
            $0.contains { ($0["lastError"] as? String)?.contains("delivered but not recorded here") == true }
        }
        let line = lines.first { $0["id"] as? String == submitted.id }
        #expect(["deferred", "sending"].contains(line?["state"] as? String ?? ""), "\(line ?? [:])")

        try FileManager.default.removeItem(at: receipts)
        try FileManager.default.createDirectory(at: receipts, withIntermediateDirectories: false)
        _ = try await origin.waitForQueue {
            $0.contains { $0["id"] as? String == submitted.id && $0["state"] as? String == "delivered" }
        }
        #expect(FileManager.default.fileExists(atPath: receipts.appendingPathComponent("\(submitted.id).receipt.p7m").path))
        #expect(try await mock.received().count == 1)
        #expect(try await origin.stop() == 0)
        _ = try await mock.stop()
    }
}
