import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The crash and fault campaign (issue 7): dossiers submitted to an origin `dossierd` that is
/// killed with SIGKILL at random moments and restarted, pushing to a `dossier-mock-peer` that
/// fails about 30 % of requests in its various ways. In the end every acknowledged submission
/// is delivered exactly once with a verified receipt, and the one archive made undeliverable on
/// purpose is dead with its reason. CI runs a small campaign; `DOSSIER_FULL_CAMPAIGN=1` runs
/// 500 dossiers and 20 kills.
@Suite(.serialized) struct FaultCampaignTests {
    static let full = ProcessInfo.processInfo.environment["DOSSIER_FULL_CAMPAIGN"] == "1"
    let dossiers = full ? 500 : 40
    let kills = full ? 20 : 4
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test func acknowledgedSubmissionsSurviveKillsAndFlakyPeers() async throws {
        let started = Date()
        let mock = try await MockPeerProcess.launch(
            in: temp,
            [
                "--fail-rate", "0.3", "--seed", "\(Int.random(in: 1...1_000_000))",
                "--wrong-key-cert", pki.cert("441800"), "--wrong-key-key", pki.key("441800"),
            ])
        // 440100 refuses every push with 403: a permanent answer, so its archive goes dead.
        let refusing = try await MockPeerProcess.launch(
            in: temp, ["--fail-next", "1000000", "--fail-status", "403"], certificate: "440100")
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [
                .init(code: "430100", url: mock.url), .init(code: "440100", url: refusing.url),
            ], extra: "")
        try await origin.start()

        let samples = temp.url.appendingPathComponent("campaign")
        let made = try dossierctl([
            "sample", "--out", samples.path, "--count", "\(dossiers)", "--seed", "99", "--documents", "6", "--document-size", "4096",
        ])
        #expect(made.status == 0)
        let folders = made.stdout.split(separator: "\n").map(String.init)
        let undeliverable = try SampleDossier.make(in: temp, seed: 98, destination: "440100")

        // Kill points: spread over the submissions.
        var killAt = Set((0..<kills).map { _ in Int.random(in: 1..<max(2, folders.count)) })
        while killAt.count < min(kills, folders.count - 1) { killAt.insert(Int.random(in: 1..<folders.count)) }
        var acknowledged: [String: String] = [:]
        var killed = 0
        for (index, folder) in folders.enumerated() {
            if killAt.contains(index) {
                _ = try await origin.stop(signal: SIGKILL)
                killed += 1
                try await origin.start()
            }
            for _ in 0..<10 {
                let submitted = try origin.ctl(["submit", folder, "--to", "430100", "--json"])
                if submitted.status == 0,
                    let id = (try? JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String
                {
                    acknowledged[id] = folder
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let dead = try origin.ctl(["submit", undeliverable.dir.path, "--to", "440100", "--json"])
        let deadID = (try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [String: Any])?["id"] as? String
        // One more kill while the queue drains.
        _ = try await origin.stop(signal: SIGKILL)
        killed += 1
        try await origin.start()

        let final = try await origin.waitForQueue(timeout: Self.full ? 600 : 120) { lines in
            !lines.contains { ["queued", "deferred", "sending"].contains($0["state"] as? String ?? "") }
        }
        let states = Dictionary(grouping: final, by: { $0["state"] as? String ?? "?" }).mapValues(\.count)
        print(
            "campaign: \(folders.count) dossiers, \(acknowledged.count) acknowledged, \(killed) SIGKILLs, states \(states), "
                + "\(Int(Date().timeIntervalSince(started))) s")

        // Every acknowledged submission delivered, the deliberate one dead with its reason.
        let byID = Dictionary(uniqueKeysWithValues: final.compactMap { line in (line["id"] as? String).map { ($0, line) } })
        for id in acknowledged.keys {
            #expect(byID[id]?["state"] as? String == "delivered", "\(id): \(String(describing: byID[id]))")
        }
        let deadLine = try #require(byID[deadID ?? ""])
        #expect(deadLine["state"] as? String == "dead")
        #expect((deadLine["lastError"] as? String)?.contains("403") == true, "\(deadLine)")

        // The destination holds each archive exactly once, with the digest that was sent.
        let received = try await mock.received()
        let receivedIDs = received.map(\.id)
        #expect(Set(receivedIDs).count == receivedIDs.count, "duplicates at the destination")
        // And each dossier once (the bug of issue 17 was a second archive of one dossier, under
        // another id): each vehicle acknowledged has one archive there.
        let byVehicle = try archivesByVehicle(inbox: temp.url.appendingPathComponent("mock-state/inbox"))
        #expect(byVehicle.count == acknowledged.count, "\(byVehicle.count) vehicles for \(acknowledged.count) submissions")
        #expect(
            byVehicle.filter { $0.value.count > 1 }.isEmpty, "dossiers at the destination twice: \(byVehicle.filter { $0.value.count > 1 })"
        )
        let trust = try pki.trust()
        for id in acknowledged.keys {
            let detail = try origin.ctl(["show", id, "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(detail.stdout.utf8)) as? [String: Any])
            let digest = try #require(json["digest"] as? String)
            #expect(received.contains { $0.id == id && $0.digest == digest && $0.status == "accepted" })
            // The kept receipt is proof: signed by 430100, naming this archive and digest.
            let receiptPath = try #require(json["receiptPath"] as? String)
            let signed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: receiptPath)))
            #expect(throws: Never.self) { try Receipt.open(signed, trust: trust, receiver: "430100", archiveId: id, digest: digest) }
        }
        #expect(acknowledged.count == folders.count, "every submission was eventually acknowledged")
        _ = try await origin.stop()
    }
}
