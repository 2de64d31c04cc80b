import DossierArchive
import DossierTransport
import DossierTestSupport
import Foundation
import Testing

/// `dossier-mock-peer` as a real process: what it stores, logs, and how it misbehaves.
@Suite(.serialized)
struct MockPeerTests {
    @Test func receivesOnceLogsEveryRequestAndStopsOnSigterm() async throws {
        let dir = try TempDir()
        let archive = try makeArchive(in: dir)
        let mock = try await MockPeerProcess.launch(in: dir)
        let first = try await push(archive, port: mock.port, in: dir)
        #expect(first.status == 201)
        _ = try Receipt.open(
            first.body, trust: try TestPKI.shared.trust(), receiver: "430100", archiveId: archive.id, digest: archive.sha256)
        #expect(try await push(archive, port: mock.port, in: dir).status == 200)

        let received = try JSONDecoder().decode([ReceivedLine].self, from: Data(try await mock.control("GET", "/received").body))
        #expect(received.map(\.id) == [archive.id])
        #expect(received.first?.digest == archive.sha256)
        let log = try JSONDecoder().decode([LogLine].self, from: Data(try await mock.control("GET", "/log").body))
        #expect(log.map(\.status) == [201, 200])
        #expect(log.allSatisfy { $0.method == "PUT" && $0.caller == "441800" && $0.path == PeerProtocol.archivePath(archive.id) })

        #expect(try await mock.stop() == 0)
    }

    @Test func failsTheNextRequestsWithTheGivenStatusAndRetryAfter() async throws {
        let dir = try TempDir()
        let archive = try makeArchive(in: dir)
        try await withMockPeer(in: dir, ["--fail-next", "1", "--fail-status", "500"]) { mock in
            #expect(try await push(archive, port: mock.port, in: dir).status == 500)
            #expect(try await mock.control("POST", "/faults", json: #"{"failNext":1,"failStatus":5000}"#).status == 400)
            #expect(try await mock.control("POST", "/faults", json: #"{"latencyMs":-1}"#).status == 400)
            #expect(try await mock.control("POST", "/faults", json: #"{"failNext":2,"failStatus":503,"retryAfter":3}"#).status == 200)
            for _ in 0..<2 {
                let answer = try await push(archive, port: mock.port, in: dir)
                #expect(answer.status == 503)
                #expect(answer.header("Retry-After") == "3")
                #expect(answer.errorBody?.error == "injected")
            }
            #expect(try await push(archive, port: mock.port, in: dir).status == 201)
            let log = try JSONDecoder().decode([LogLine].self, from: Data(try await mock.control("GET", "/log").body))
            #expect(log.map(\.status) == [500, 503, 503, 201])
        }
    }

    @Test func forgesReceiptsOnDemand() async throws {
        let dir = try TempDir()
        let pki = TestPKI.shared
        let one = try makeArchive(in: dir)
        let two = try makeArchive(in: dir)
        try await withMockPeer(in: dir, ["--wrong-key-cert", pki.cert("110000"), "--wrong-key-key", pki.key("110000"), "--wrong-key", "1"])
        { mock in
            let signedByOther = try await push(one, port: mock.port, in: dir)
            #expect(signedByOther.status == 201)
            #expect(throws: Receipt.Problem.wrongSigner(expected: "430100", actual: "110000")) {
                try Receipt.open(signedByOther.body, trust: try pki.trust(), receiver: "430100", archiveId: one.id, digest: one.sha256)
            }
            #expect(try await mock.control("POST", "/faults", json: #"{"wrongDigest":1}"#).status == 200)
            let wrongDigest = try await push(two, port: mock.port, in: dir)
            #expect(wrongDigest.status == 201)
            #expect(throws: Receipt.Problem.self) {
                try Receipt.open(wrongDigest.body, trust: try pki.trust(), receiver: "430100", archiveId: two.id, digest: two.sha256)
            }
            let honest = try await push(two, port: mock.port, in: dir)
            #expect(honest.status == 200)
            _ = try Receipt.open(honest.body, trust: try pki.trust(), receiver: "430100", archiveId: two.id, digest: two.sha256)
        }
    }

    @Test func refusesHandshakesAndDropsConnectionsMidBody() async throws {
        let dir = try TempDir()
        let archive = try makeArchive(in: dir, padding: 256 << 10)
        try await withMockPeer(in: dir, ["--refuse-handshakes", "1", "--close-mid-body", "1"]) { mock in
            let refused = try await curl(port: mock.port, PeerProtocol.healthPath, in: dir)
            #expect(refused.status == 0)
            #expect(refused.exitCode != 0)
            let dropped = try await push(archive, port: mock.port, in: dir)
            #expect(dropped.status == 0)
            #expect(dropped.exitCode != 0)
            #expect(dir.contents("mock-state/inbox") == [".incoming"])
            #expect(try await push(archive, port: mock.port, in: dir).status == 201)
        }
    }

    @Test func servesHeldArchivesSlowlyWhenAskedAndAcceptsRequests() async throws {
        let dir = try TempDir()
        let held = try makeArchive(in: dir, origin: "430100", destination: "441800", padding: 4 << 10)
        try await withMockPeer(in: dir, ["--known-vin", "KNOWNVIN", "--ineligible-vin", "BLOCKEDVIN"]) { mock in
            let registration = #"{"path":"\#(held.path)","destination":"441800"}"#
            #expect(try await mock.control("POST", "/held", json: registration).status == 201)
            let list = try await curl(port: mock.port, PeerProtocol.archivesPath, in: dir)
            let page = try JSONDecoder.iso8601.decode(PeerProtocol.ArchiveList.self, from: Data(list.body))
            #expect(page.archives.map(\.id) == [held.id])
            #expect(page.archives.first?.digest == held.sha256)

            #expect(
                try await mock.control("POST", "/faults", json: #"{"trickle":1,"trickleBytesPerSecond":4000,"latencyMs":200}"#).status
                    == 200)
            let started = Date()
            let slow = try await curl(port: mock.port, PeerProtocol.archivePath(held.id), ["-H", "Range: bytes=100-"], in: dir)
            #expect(Date().timeIntervalSince(started) > 1)
            #expect(slow.status == 206)
            #expect(slow.body == Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: held.path)))[100...]))
            #expect(try await mock.control("POST", "/faults", json: #"{"latencyMs":0}"#).status == 200)

            let forged = dir.path("forged.receipt")
            try Data(
                try Receipt(
                    archiveId: held.id, digest: held.sha256, sender: "430100", receiver: "110000", receivedAt: Date(),
                    status: .accepted, reasons: []
                ).signed(by: TestPKI.shared.identity("110000"))
            ).write(to: URL(fileURLWithPath: forged))
            let refusedAck = try await curl(port: mock.port, PeerProtocol.receiptPath(held.id), ["--data-binary", "@\(forged)"], in: dir)
            #expect(refusedAck.status == 422)
            let genuine = dir.path("genuine.receipt")
            try Data(
                try Receipt(
                    archiveId: held.id, digest: held.sha256, sender: "430100", receiver: "441800", receivedAt: Date(),
                    status: .accepted, reasons: []
                ).signed(by: TestPKI.shared.identity("441800"))
            ).write(to: URL(fileURLWithPath: genuine))
            #expect(
                try await curl(port: mock.port, PeerProtocol.receiptPath(held.id), ["--data-binary", "@\(genuine)"], in: dir).status == 204)
            let after = try await curl(port: mock.port, PeerProtocol.archivesPath, in: dir)
            #expect(try JSONDecoder.iso8601.decode(PeerProtocol.ArchiveList.self, from: Data(after.body)).archives.isEmpty)

            let ask = { (vin: String) in
                try await curl(port: mock.port, PeerProtocol.requestsPath, ["--data", #"{"vin":"\#(vin)","plate":"粤R1"}"#], in: dir).status
            }
            #expect(try await ask("KNOWNVIN") == 202)
            #expect(try await ask("BLOCKEDVIN") == 422)
            #expect(try await ask("OTHER") == 404)
        }
    }

    @Test func randomFaultsReplayWithTheSameSeed() async throws {
        let dir = try TempDir()
        var runs: [[String]] = []
        for _ in 0..<2 {
            let seen = try await withMockPeer(in: dir, ["--fail-rate", "0.5", "--seed", "42", "--trickle-rate", "100000"]) { mock in
                var outcomes: [String] = []
                for _ in 0..<12 {
                    outcomes.append(String(try await curl(port: mock.port, PeerProtocol.healthPath, in: dir).status))
                }
                return outcomes
            }
            runs.append(seen)
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0].contains { $0 != "200" })
        #expect(runs[0].contains("200"))
    }
}
