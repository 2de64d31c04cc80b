import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// docs/protocol.md on the inbound server, over real mTLS on loopback: one authenticated peer
/// cannot take what belongs to the others (ids, upload slots, connections, request rate, disk).
@Suite(.serialized)
struct ServerIsolationTests {

    /// The id squatting: 110000 pushes garbage under an id of 441800's; it is rejected
    /// into 110000's own quarantine and 441800's push of that id is accepted. After that the id
    /// is taken, and a 409 names the stored digest only to its sender.
    @Test func aRejectedPushReservesNothingAndA409RevealsNothing() async throws {
        let dir = try TempDir()
        try await withServer(in: dir) { server in
            let archive = try makeArchive(in: dir)
            let garbage = dir.path("garbage.bin")
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: garbage))
            let squat = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id), client: "110000",
                ["-T", garbage, "-H", "Expect:"] + contentDigest(garbage), in: dir)
            #expect(squat.status == 422)
            #expect(dir.contents("quarantine/110000") == [archive.id])

            #expect(try await push(archive, port: server.port, in: dir).status == 201)

            let other = try await curl(
                port: server.port, PeerProtocol.archivePath(archive.id), client: "110000",
                ["-T", garbage, "-H", "Expect:"] + contentDigest(garbage), in: dir)
            #expect(other.status == 409)
            #expect(!other.bodyText.contains(archive.sha256), "\(other.bodyText)")

            let changed = try makeArchive(in: dir, padding: 100)
            let own = try await push(changed, port: server.port, id: archive.id, in: dir)
            #expect(own.status == 409)
            #expect(own.bodyText.contains(archive.sha256), "its sender is told what it sent")
        }
    }

    /// Beyond a sender's quarantine quota a rejected archive keeps its first MiB, its digest
    /// and its reasons.
    @Test func quarantineBeyondTheQuotaKeepsTheFirstMiB() async throws {
        let dir = try TempDir()
        let storage = StorageLimits(quarantineBytesPerSender: 3 << 19, freeSpaceReserve: 0)
        try await withServer(in: dir, storage: storage) { server in
            var kept: [UInt64] = []
            for i in 0..<3 {
                let path = dir.path("garbage-\(i).bin")
                try Data((0..<(5 << 18)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }).write(to: URL(fileURLWithPath: path))
                let id = "garbage-\(i)"
                let answer = try await curl(
                    port: server.port, PeerProtocol.archivePath(id), client: "441800",
                    ["-T", path, "-H", "Expect:"] + contentDigest(path), in: dir)
                #expect(answer.status == 422)
                let stored = try FileManager.default.attributesOfItem(atPath: dir.path("quarantine/441800/\(id)/\(id).dva"))
                kept.append((stored[.size] as? NSNumber)?.uint64Value ?? 0)
                let entry = try #require(server.inbox.entry(id: id))
                #expect(entry.size == 5 << 18)
                #expect(entry.digest == SHA256.hex(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))))
                #expect(!entry.reasons.isEmpty)
            }
            #expect(kept == [5 << 18, 1 << 20, 1 << 20], "\(kept)")
            #expect(server.inbox.entry(id: "garbage-2")?.keptBytes == 1 << 20)
        }
    }

    @Test func belowTheFreeSpaceReserveUploadsGet503AndNothingIsWritten() async throws {
        let dir = try TempDir()
        let storage = StorageLimits(quarantineBytesPerSender: 1 << 30, freeSpaceReserve: .max / 2)
        try await withServer(in: dir, storage: storage) { server in
            let archive = try makeArchive(in: dir)
            let answer = try await push(archive, port: server.port, in: dir)
            #expect(answer.status == 503)
            #expect(answer.errorBody?.error == "no-space")
            #expect(answer.header("Retry-After") == "7")
            #expect(dir.contents("inbox") == [".incoming"])
            #expect(dir.contents("inbox/.incoming").isEmpty)
        }
    }

    /// The full disk: a commit that fails for lack of space (here the inbox file system
    /// runs out of inodes when the record is written) is answered 503 + Retry-After and leaves
    /// nothing behind; once there is room the retry succeeds, without a restart.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aCommitThatFailsLeavesNothingAndTheRetrySucceeds() async throws {
        let dir = try TempDir()
        // Root, .incoming, the upload (renamed to the archive), the receipt: the record finds none.
        guard let small = try mountSmallTmpfs("small-inbox", in: dir.url, options: "size=8m,nr_inodes=4") else { return }
        defer { _ = try? run("umount", ["-l", small.path]) }
        let storage = StorageLimits(quarantineBytesPerSender: 1 << 30, freeSpaceReserve: 0)
        try await withServer(in: dir, storage: storage, inboxDirectory: small) { server in
            let archive = try makeArchive(in: dir)
            let full = try await push(archive, port: server.port, in: dir)
            #expect(full.status == 503, "\(full.bodyText)")
            #expect(full.errorBody?.error == "no-space")
            #expect(full.header("Retry-After") == "7")
            #expect(dir.contents("small-inbox") == [".incoming"])
            #expect(dir.contents("small-inbox/.incoming").isEmpty)
            #expect(server.inbox.entry(id: archive.id) == nil)

            #expect(try run("mount", ["-o", "remount,nr_inodes=64", small.path]).status == 0)
            #expect(try await push(archive, port: server.port, in: dir).status == 201)
            #expect(dir.contents("small-inbox") == [".incoming", "\(archive.id).dva", "\(archive.id).json", "\(archive.id).receipt"])
        }
    }

    /// The slot monopoly: one peer trickling uploads holds only its own share of the
    /// slots; another peer's push still gets one.
    @Test func onePeerCannotTakeEveryUploadSlot() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.uploadsPerCaller = 1
        try await withServer(in: dir, maxUploads: 4, callers: callers) { server in
            let slowUpload = try await startSlowUpload(port: server.port, in: dir)
            defer { slowUpload.stop() }

            let second = try await push(try makeArchive(in: dir), port: server.port, in: dir)
            #expect(second.status == 429)
            #expect(second.errorBody?.error == "too-many-uploads")
            #expect(second.header("Retry-After") == "7")
            let genuine = try makeArchive(in: dir, origin: "110000")
            #expect(try await push(genuine, port: server.port, as: "110000", in: dir).status == 201)
        }
    }

    @Test func requestsBeyondTheRateGet429AndOtherPeersDoNot() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.requestsPerMinute = 5
        try await withServer(in: dir, callers: callers) { server in
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await curl(port: server.port, "/v1/health", in: dir).status) }
            #expect(statuses == [200, 200, 200, 200, 200, 429], "\(statuses)")
            let limited = try await curl(port: server.port, "/v1/health", in: dir)
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(try await curl(port: server.port, "/v1/health", client: "110000", in: dir).status == 200)
        }
    }

    /// A connection that never starts TLS is closed at the handshake deadline, not held for the
    /// idle timeout.
    @Test func aConnectionThatNeverHandshakesIsClosedAtTheDeadline() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.handshakeTimeout = 1
        try await withServer(in: dir, callers: callers) { server in
            let socket = try RawConnection(port: server.port)
            let started = Date()
            #expect(socket.waitForClose(seconds: 10), "still open after 10 s")
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds > 0.5 && seconds < 5, "closed after \(seconds) s")
        }
    }

    /// At the connection cap, the oldest connection still before its handshake makes room:
    /// idle sockets cannot lock out a genuine peer.
    @Test func theConnectionCapShedsIdlePreTLSConnectionsFirst() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.connections = 8
        try await withServer(in: dir, callers: callers) { server in
            let idle = try (0..<8).map { _ in try RawConnection(port: server.port) }
            try await Task.sleep(for: .milliseconds(200))
            let health = try await curl(port: server.port, "/v1/health", in: dir)
            #expect(health.status == 200)
            // Under load the server may accept the idle sockets in another order: one of them is shed.
            let deadline = Date().addingTimeInterval(5)
            var shed = false
            while !shed, Date() < deadline { shed = idle.contains { $0.waitForClose(seconds: 0.02) } }
            #expect(shed, "no idle connection was shed")
        }
    }

    /// A peer holding its share of connections gets no more; another peer still connects.
    @Test func connectionsPerCallerAreCapped() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.connectionsPerCaller = 1
        try await withServer(in: dir, callers: callers) { server in
            let slowUpload = try await startSlowUpload(port: server.port, in: dir)
            defer { slowUpload.stop() }

            let refused = try await curl(port: server.port, "/v1/health", in: dir)
            #expect(refused.status == 0, "a second connection of 441800 was served: \(refused.status)")
            #expect(try await curl(port: server.port, "/v1/health", client: "110000", in: dir).status == 200)
        }
    }
}

/// A plain TCP connection that sends nothing (a client that never starts TLS).
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    /// True once the server has closed the connection (a read gives end of file or a reset),
    /// waiting at most `seconds`.
    func waitForClose(seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) <= 0
    }
}
