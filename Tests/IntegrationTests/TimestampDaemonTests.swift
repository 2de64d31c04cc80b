import DossierArchive
@testable import DossierDaemon
import DossierTestSupport
import Foundation
import Testing

/// `[timestamp]` in the daemon: the config keys, and an outage of the TSA that delays intake
/// without losing or refusing the dossier (docs/archive-format.md "Timestamp").
@Suite struct TimestampDaemonTests {
    let temp: TempDir
    let tsa = TimestampPKI.shared

    init() throws { temp = try TempDir() }

    @Test func theTimestampTableParses() throws {
        let config = try DaemonConfig.parse(
            ConfigTests.valid
                + "\n[timestamp]\nurl = \"http://tsa.example:8318/\"\ntrust = [\"tsa-ca.pem\"]\nrequired = true\ntimeout = \"3s\"\n"
                + "wait = \"1m\"\nrequire_timestamp = true\n",
            file: "/etc/dossierd/dossierd.toml")
        #expect(config.timestamp.url == "http://tsa.example:8318/" && config.timestamp.trustFiles == ["/etc/dossierd/tsa-ca.pem"])
        #expect(config.timestamp.required && config.timestamp.requireOnReceipt)
        #expect(config.timestamp.timeout == 3 && config.timestamp.wait == 60)
        #expect(try DaemonConfig.parse(ConfigTests.valid, file: "/x.toml").timestamp == .off)
    }

    @Test(arguments: [
        ("url = \"ftp://tsa.example\"", "timestamp.url", "http"),
        ("required = true\ntrust = [\"t.pem\"]", "timestamp.required", "url"),
        ("url = \"http://tsa.example/\"\nrequired = true", "timestamp.trust", "TSA"),
        ("require_timestamp = true", "timestamp.trust", "TSA"),
        ("colour = \"red\"", "timestamp.colour", "unknown key"),
    ])
    func timestampErrorsNameTheKey(keys: String, key: String, words: String) {
        do {
            _ = try DaemonConfig.parse(ConfigTests.valid + "\n[timestamp]\n" + keys, file: "/etc/dossierd/dossierd.toml")
            Issue.record("accepted: \(keys)")
        } catch {
            #expect(error.key == key && error.problem.contains(words), "\(error)")
        }
    }

    /// With `required = true` and the TSA answering 503, the intake folder stays where it is (not
    /// moved to intake/failed) and `dossierctl submit` says why; once the TSA answers, the
    /// dossier is packed with a token.
    @Test func intakeWaitsForTheTSAAndThenQueues() async throws {
        let mock = try await MockTSAProcess.launch(in: temp, fault: "down")
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
            extra: "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\nrequired = true\ntimeout = \"2s\"\nwait = \"1s\"\n")
        try await node.start()
        let sample = try SampleDossier.make(in: temp, seed: 41)
        let intake = node.state.appendingPathComponent("intake/430100")
        try FileManager.default.moveItem(at: sample.dir, to: intake.appendingPathComponent("waiting"))
        try await Task.sleep(for: .seconds(3))
        #expect(FileManager.default.fileExists(atPath: intake.appendingPathComponent("waiting").path))
        let failed = (try? FileManager.default.contentsOfDirectory(atPath: node.state.appendingPathComponent("intake/failed").path)) ?? []
        #expect(failed.isEmpty, "\(failed)")
        // An operator's submission is answered with the reason, and the folder stays theirs.
        let other = try SampleDossier.make(in: temp, seed: 42)
        let submitted = try node.ctl(["submit", other.dir.path, "--to", "430100"])
        #expect(submitted.status != 0 && submitted.stderr.contains("time-stamping authority"), "\(submitted.stdout) \(submitted.stderr)")
        #expect(FileManager.default.fileExists(atPath: other.dir.appendingPathComponent("dossier.json").path))
        let metrics = try run("curl", ["-sS", "--unix-socket", node.socket, "http://dossierd/metrics"]).stdout
        #expect(metrics.contains("dossierd_tsa_failures_total") && metrics.contains("dossierd_tsa_request_seconds"), "\(metrics)")

        try await mock.setFault("none")
        let queued = try await eventually(seconds: 30) {
            !FileManager.default.fileExists(atPath: intake.appendingPathComponent("waiting").path)
        }
        #expect(queued)
        let spool = node.state.appendingPathComponent("spool")
        let archive = try #require(try FileManager.default.contentsOfDirectory(atPath: spool.path).first { $0.hasSuffix(".dva") })
        let report = try ArchiveVerifier(
            trust: tsa.pki.trust(), expectedDestination: "430100",
            timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true)
        ).verify(path: spool.appendingPathComponent(archive).path)
        #expect(report.valid && report.timestamp?.trusted == true, "\(report.reasons)")
        #expect(try await node.stop() == 0)
    }

    /// A destination with `require_timestamp` refuses an archive without a token (422
    /// timestamp-missing: dead at the origin, with the reason) and accepts one with a token;
    /// its receipts, having a TSA, carry tokens too.
    @Test func aReceiverRequiringTimestampsRefusesArchivesWithoutOne() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let receiving = "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\nrequire_timestamp = true\n"
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: tsa.pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")], extra: receiving)
        try await destination.start()
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: try destination.url)])
        try await origin.start(notifying: true)

        let plain = try SampleDossier.make(in: temp, seed: 43)
        #expect(try origin.ctl(["submit", plain.dir.path, "--to", "430100"]).status == 0)
        let refused = try await origin.waitForQueue { $0.contains { $0["state"] as? String == "dead" } }
        #expect((refused.first?["lastError"] as? String)?.contains("timestamp-missing") == true, "\(refused)")

        // The origin gets a TSA (reload): its next archive is accepted.
        try origin.writeConfig(
            pki: tsa.pki, peers: [.init(code: "430100", url: try destination.url)],
            extra: "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\nrequired = true\n")
        try origin.reload()
        let stamped = try SampleDossier.make(in: temp, seed: 44)
        #expect(try origin.ctl(["submit", stamped.dir.path, "--to", "430100"]).status == 0)
        let delivered = try await origin.waitForQueue { $0.contains { $0["state"] as? String == "delivered" } }
        #expect(delivered.count == 2, "\(delivered)")
        // The destination's receipts, the rejection and the acceptance, carry its TSA's token
        // and still verify with openssl cms.
        let receipts = origin.state.appendingPathComponent("receipts")
        let kept = try FileManager.default.contentsOfDirectory(atPath: receipts.path).filter { $0.hasSuffix(".p7m") }.sorted()
        #expect(kept.count == 2 && kept.contains { $0.hasSuffix(".rejection.p7m") }, "\(kept)")
        for name in kept {
            let path = receipts.appendingPathComponent(name).path
            let cms = try run("openssl", ["cms", "-verify", "-inform", "DER", "-in", path, "-CAfile", tsa.pki.ca, "-purpose", "any"])
            #expect(cms.status == 0 && cms.stdout.contains("\"archiveId\""), "\(name): \(cms.stderr)")
            let parsed = try run("openssl", ["asn1parse", "-inform", "DER", "-in", path]).stdout
            #expect(parsed.contains(":id-smime-aa-timeStampToken"), "\(name) has no timestamp token")
        }
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }
}

/// The gate that keeps a failing TSA from holding the blocking pool.
@Suite struct TimestampGateTests {
    @Test func oneProbeAtATimeWhileTheTSAFails() {
        let gate = TimestampGate()
        let start = Date()
        #expect(gate.admit(now: start) == nil)
        let failure = TimestampError.unreachable(url: "http://tsa.example/", detail: "HTTP status 503")
        gate.record(.failed(failure), pause: 10, now: start)
        // Closed for the pause: answered at once, without packing.
        #expect(gate.admit(now: start.addingTimeInterval(5)) == failure)
        // Then one probe; others still wait for its outcome.
        #expect(gate.admit(now: start.addingTimeInterval(11)) == nil)
        #expect(gate.admit(now: start.addingTimeInterval(11)) == failure)
        // A probe that ends otherwise (a refused dossier) lets the next one try.
        gate.record(.other, pause: 10, now: start.addingTimeInterval(11))
        #expect(gate.admit(now: start.addingTimeInterval(12)) == nil)
        gate.record(.token, pause: 10, now: start.addingTimeInterval(12))
        #expect(gate.admit(now: start.addingTimeInterval(12)) == nil && gate.admit(now: start.addingTimeInterval(12)) == nil)
    }
}
