import DossierArchive
import DossierInbox
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// `PUT /v1/archives/{id}` driven with the curl command line over real mTLS on loopback.
@Suite(.serialized)
struct ServerPushTests {
    @Test func pushGivesAReceiptAndRePushGivesTheSameOne() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir)

            let first = try await push(archive, port: server.port, in: dir)
            #expect(first.status == 201)
            #expect(first.header("Content-Type") == PeerProtocol.receiptMediaType)
            let receipt = try Receipt.open(
                first.body, trust: try TestPKI.shared.trust(), receiver: "430100",
                archiveId: archive.id, digest: archive.sha256)
            #expect(receipt.status == .accepted)
            #expect(receipt.sender == "441800")
            #expect(dir.contents("inbox").contains("\(archive.id).dva"))
            #expect(dir.contents("inbox").contains("\(archive.id).receipt"))
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: dir.path("inbox/\(archive.id).dva")))
                    == Data(contentsOf: URL(fileURLWithPath: archive.path)))

            let again = try await push(archive, port: server.port, in: dir)
            #expect(again.status == 200)
            #expect(again.body == first.body)
            #expect(server.inbox.counts().accepted == 1)
        }
    }

    @Test func sameIdWithOtherContentIsAConflict() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir)
            #expect(try await push(archive, port: server.port, in: dir).status == 201)

            let other = try makeArchive(in: dir, padding: 100)
            let answer = try await push(other, port: server.port, id: archive.id, in: dir)
            #expect(answer.status == 409)
            #expect(answer.errorBody?.error == "conflict")
        }
    }

    @Test func callerThatIsNotTheOriginIsForbiddenAndNothingIsStored() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir)

            let answer = try await push(archive, port: server.port, as: "110000", in: dir)
            #expect(answer.status == 403)
            #expect(answer.errorBody?.error == "forbidden")
            #expect(dir.contents("inbox") == [".incoming"])
            #expect(dir.contents("inbox/.incoming").isEmpty)
            #expect(dir.contents("quarantine").isEmpty)
        }
    }

    @Test func archiveForAnotherDestinationIsForbidden() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir, destination: "110000")

            let answer = try await push(archive, port: server.port, in: dir)
            #expect(answer.status == 403)
            #expect(server.inbox.entry(id: archive.id) == nil)
        }
    }

    @Test func oversizedBodyIs413AndNothingIsStored() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, maxArchiveBytes: 32 << 10) { server in
            let archive = try makeArchive(in: dir, padding: 200 << 10)

            let declared = try await push(archive, port: server.port, in: dir)
            #expect(declared.status == 413)
            #expect(declared.errorBody?.error == "too-large")
            let streamed = try await push(archive, port: server.port, in: dir, extra: ["-H", "Transfer-Encoding: chunked"])
            #expect(streamed.status == 413)
            #expect(dir.contents("inbox") == [".incoming"])
            #expect(dir.contents("inbox/.incoming").isEmpty)
            #expect(server.inbox.entry(id: archive.id) == nil)
        }
    }

    /// The small signed bodies a peer posts have limits of their own, far below an archive's: a
    /// receipt over 256 KiB, a completion notice or a request over 64 KiB gets 413 `http-413`
    /// before the host sees it; one of exactly the limit is read and judged on its content.
    @Test func signedBodiesOverTheirLimitAre413() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            for (route, limit) in [
                ("/v1/archives/\(ArchiveID.make())/receipt", 256 << 10), ("/v1/archives/\(ArchiveID.make())/completion", 64 << 10),
                ("/v1/requests", 64 << 10),
            ] {
                for size in [limit, limit + 1] {
                    let file = dir.path("body-\(size)")
                    try Data(repeating: UInt8(ascii: "0"), count: size).write(to: URL(fileURLWithPath: file))
                    let answer = try await curl(port: server.port, route, ["--data-binary", "@\(file)"], in: dir)
                    if size > limit {
                        #expect(
                            answer.status == 413 && answer.errorBody?.error == "http-413", "\(route): \(answer.status) \(answer.bodyText)")
                    } else {
                        #expect(answer.status != 413 && answer.status >= 400, "\(route): \(answer.status) \(answer.bodyText)")
                    }
                }
            }
        }
    }

    @Test func expectContinueIsAnsweredAtOnceOrWithA413() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, maxArchiveBytes: 1 << 20) { server in
            let small = try makeArchive(in: dir, padding: 64 << 10)
            let started = Date()
            // curl is told to wait 20 s for a 100 Continue, so a server that never sends one
            // shows as a push that takes 20 s, far beyond any scheduling delay under load.
            #expect(try await push(small, port: server.port, in: dir, expectContinue: true).status == 201)
            #expect(Date().timeIntervalSince(started) < 10)
            let large = try makeArchive(in: dir, padding: 2 << 20)
            let refused = try await push(large, port: server.port, in: dir, expectContinue: true)
            #expect(refused.status == 413)
            #expect(server.inbox.entry(id: large.id) == nil)
        }
    }

    @Test func tamperedArchiveIsQuarantinedWithASignedRejection() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            var archive = try makeArchive(in: dir)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: archive.path))
            // A byte in the middle of the first document's content.
            let at = try #require(bytes.range(of: Data("data/documents/".utf8))).upperBound + 2048
            bytes[at] ^= 0x20
            try bytes.write(to: URL(fileURLWithPath: archive.path))
            archive.sha256 = SHA256.hex(of: bytes)

            let answer = try await push(archive, port: server.port, in: dir)
            #expect(answer.status == 422)
            let receipt = try Receipt.open(
                answer.body, trust: try TestPKI.shared.trust(), receiver: "430100",
                archiveId: archive.id, digest: archive.sha256)
            #expect(receipt.status == .rejected)
            #expect(!receipt.reasons.isEmpty)
            #expect(!dir.contents("inbox").contains("\(archive.id).dva"))
            #expect(dir.contents("quarantine/441800/\(archive.id)") == ["\(archive.id).dva", "reason.json", "receipt"])

            let again = try await push(archive, port: server.port, in: dir)
            #expect(again.status == 422)
            #expect(again.body == answer.body)
        }
    }

    @Test func badIdAndWrongContentDigestAre400() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir)

            #expect(try await push(archive, port: server.port, id: ".hidden", in: dir).status == 400)
            var wrong = archive
            wrong.sha256 = SHA256.hex(of: Array("something else".utf8))
            let answer = try await push(wrong, port: server.port, in: dir)
            #expect(answer.status == 400)
            #expect(answer.errorBody?.error == "digest-mismatch")
            #expect(dir.contents("inbox/.incoming").isEmpty)
        }
    }

    @Test func aPushWithoutContentDigestIsRefused() async throws {
        let dir = try TempDir()
        let archive = try makeArchive(in: dir)
        try await withServer(in: dir) { server in
            let answer = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id), ["-T", archive.path, "-H", "Expect:"], in: dir)
            #expect(answer.status == 400)
            #expect(answer.errorBody?.error == "digest-missing")
            let unreadable = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id),
                ["-T", archive.path, "-H", "Expect:", "-H", "Content-Digest: md5=:AAAA:"], in: dir)
            #expect(unreadable.status == 400)
            #expect(unreadable.errorBody?.error == "digest-missing")
            #expect(server.inbox.entry(id: archive.id) == nil)
        }
    }

    @Test func uploadsBeyondTheLimitGet503WithRetryAfter() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, maxUploads: 1) { server in
            let quick = try makeArchive(in: dir)
            let slowUpload = try await startSlowUpload(port: server.port, in: dir)
            defer { slowUpload.stop() }

            let answer = try await push(quick, port: server.port, in: dir)
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") == "7")
            #expect(answer.errorBody?.error == "busy")
        }
    }

    @Test func inboxReopensWithItsIndexAndWithoutLeftovers() async throws {
        let dir = try TempDir()
        let server = try await RunningServer.start(in: dir)
        let archive = try makeArchive(in: dir)
        #expect(try await push(archive, port: server.port, in: dir).status == 201)
        await server.stop()
        try Data("half".utf8).write(to: URL(fileURLWithPath: dir.path("inbox/.incoming/x.part")))
        try Data("orphan".utf8).write(to: URL(fileURLWithPath: dir.path("inbox/0190-orphan.dva")))

        let reopened = try Inbox(
            inboxDirectory: dir.url.appendingPathComponent("inbox"),
            quarantineDirectory: dir.url.appendingPathComponent("quarantine"),
            identity: try TestPKI.shared.identity("430100"), trust: try TestPKI.shared.currentTrust())
        #expect(reopened.entry(id: archive.id)?.digest == archive.sha256)
        #expect(reopened.counts().accepted == 1)
        #expect(reopened.entries(since: Date().addingTimeInterval(-60)).map(\.archiveId) == [archive.id])
        #expect(reopened.entries(since: Date().addingTimeInterval(60)).isEmpty)
        #expect(dir.contents("inbox") == [".incoming", "\(archive.id).dva", "\(archive.id).json", "\(archive.id).receipt"])
        #expect(dir.contents("inbox/.incoming").isEmpty)
    }
}
