import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// A peer's `max_concurrent`, and `[push] max_transfers` over all peers, count transfers: the
/// daemon keeps that many uploads running and never more, although it claims twice as many
/// archives per peer (those whose answer came keep their receipt meanwhile).
@Suite struct PushConcurrencyTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// The peer's own limit of 2, or `[push] max_transfers = 2` with a peer limit of 8: either
    /// way no more than two uploads run at once.
    @Test(arguments: [(2, ""), (8, "[push]\nmax_transfers = 2")])
    func theLimitCountsTransfersAndIsReachedNeverPassed(peerLimit: Int, push: String) async throws {
        // Every answer takes 1.5 s, so the archives queued meanwhile pile up behind the limit
        // (each submission packs in a process of its own, slow on a loaded CI machine).
        let mock = try await MockPeerProcess.launch(in: temp, ["--latency-ms", "1500"])
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: mock.url, maxConcurrent: peerLimit)],
            extra: push)
        try await node.start()
        var ids: [String] = []
        for seed in 0..<8 {
            let sample = try SampleDossier.make(in: temp, seed: 700 + seed)
            ids.append(try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]).id)
        }
        _ = try await node.waitForQueue(timeout: 60) { entries in
            ids.allSatisfy { id in entries.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }
        }
        #expect(try await mock.peakConcurrentPushes() == 2)
        let pushes = try await mock.log().filter { $0.method == "PUT" }
        #expect(pushes.count == ids.count, "each archive pushed once: \(pushes.map(\.status))")
        #expect(pushes.allSatisfy { $0.status == 201 })
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
    }
    @Test func aPeerAtItsLimitHoldsUpNoOtherPeer() async throws {
        // 430100 answers after 15 s and takes one transfer at a time: its second archive waits.
        // (One CI run took 2.7 s to submit and deliver the other peer's archive, so a 3 s latency
        // left no room; a slower host under the whole suite took 10.5 s.)
        let slow = try await MockPeerProcess.launch(in: temp, ["--latency-ms", "15000"])
        let fast = try await MockPeerProcess.launch(in: temp, certificate: "440100")
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [.init(code: "430100", url: slow.url, maxConcurrent: 1), .init(code: "440100", url: fast.url)])
        try await node.start()
        for seed in 0..<2 {
            let sample = try SampleDossier.make(in: temp, seed: 720 + seed)
            _ = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"])
        }
        _ = try await node.waitForQueue(timeout: 10) { $0.filter { $0["state"] as? String == "sending" }.count == 2 }
        // 440100 has room: its archive goes at once, not after one of 430100's transfers ends.
        let sample = try SampleDossier.make(in: temp, seed: 730, destination: "440100")
        let started = ContinuousClock.now
        let id = try node.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "440100"]).id
        let lines = try await node.waitForQueue(timeout: 30) {
            $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" }
        }
        // Had it waited for one of 430100's transfers, that one would be delivered by now (its
        // answer comes 15 s after it was sent, which was before `started`).
        #expect(ContinuousClock.now - started < .seconds(15), "the other peer's archive waited for 430100's transfer")
        let slowOnes = lines.filter { $0["destination"] as? String == "430100" }
        #expect(slowOnes.count == 2 && slowOnes.allSatisfy { $0["state"] as? String == "sending" }, "\(slowOnes)")
        #expect(try await node.stop() == 0)
        _ = try await slow.stop()
        _ = try await fast.stop()
    }
}
