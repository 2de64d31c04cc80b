import DossierArchive
import DossierInbox
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The inbound server over HTTP/2 (docs/protocol.md, HTTP versions): `h2` by ALPN with HTTP/1.1
/// as the fallback, behind the same handshake, identity, revocation and limits; streams counted
/// against the caller's share of connections and against the upload slots; bodies bounded per
/// stream.
@Suite(.serialized)
struct HTTP2ServerTests {
    let pki = TestPKI.shared

    @Test func curlNegotiatesH2AndPushesWithTheSameIdentityChecks() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, acceptsCaller: { $0 == "441800" }) { server in
            let health = try await curl(port: server.port, PeerProtocol.healthPath, http2: true, in: dir)
            #expect(health.status == 200 && health.httpVersion == "2", "\(health.status) over HTTP/\(health.httpVersion)")
            let archive = try makeArchive(in: dir)
            let pushed = try await push(archive, port: server.port, in: dir, http2: true)
            #expect(pushed.status == 201 && pushed.httpVersion == "2", "\(pushed.status): \(pushed.bodyText)")
            #expect(server.inbox.entries().map(\.archiveId) == [archive.id])

            // A caller that is not a peer: 403 on its stream, nothing read or stored.
            let stranger = try makeArchive(in: dir, origin: "110000")
            let refused = try await push(stranger, port: server.port, as: "110000", in: dir, http2: true)
            #expect(
                refused.status == 403 && refused.httpVersion == "2" && refused.errorBody?.error == "unknown-peer",
                "\(refused.status) over \(refused.httpVersion), curl exit \(refused.exitCode): \(refused.bodyText)")
            #expect(server.inbox.entries().count == 1)
            #expect(dir.contents("inbox/.incoming").isEmpty)

            // A client that does not ask for h2 gets HTTP/1.1 from the same server.
            let fallback = try await curl(port: server.port, PeerProtocol.healthPath, in: dir)
            #expect(fallback.status == 200 && fallback.httpVersion == "1.1")
        }
    }

    @Test func aRevokedCallerIsRefusedAtTheHandshakeOverH2() async throws {
        let dir = try TempDir()
        let revoking = try pki.crl(revoking: ["441800"], at: dir.path("revoked.crl.pem"))
        let trust = CurrentTrust(try TrustStore(caFiles: [pki.ca], crlFiles: [revoking]))
        try await withServer(in: dir, trust: trust) { server in
            let answer = try await curl(port: server.port, PeerProtocol.healthPath, client: "441800", http2: true, in: dir)
            #expect(answer.status == 0 && answer.exitCode != 0, "answered \(answer.status)")
            let other = try await curl(port: server.port, PeerProtocol.healthPath, client: "110000", http2: true, in: dir)
            #expect(other.status == 200 && other.httpVersion == "2")
        }
    }

    /// A client that ignores SETTINGS_MAX_CONCURRENT_STREAMS opens six uploads on one
    /// connection with a share of three: the connection and two streams fit, the other four
    /// are reset, and while they are held the caller gets no further connection.
    @Test func streamsBeyondTheCallersShareAreReset() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.connectionsPerCaller = 3
        callers.uploadsPerCaller = 8
        try await withServer(in: dir, maxUploads: 16, callers: callers) { server in
            let port = server.port
            let requests = (0..<6).map { _ in RawHTTP2.upload(id: ArchiveID.make(), declaredBytes: 1000) }
            // Once the four streams beyond the share are reset (however long the client takes
            // to start on a loaded machine), a connection beyond the share is refused.
            var meanwhile: CurlAnswer?
            let frames = try await RawHTTP2.exchange(
                port: port, client: "441800", requests: requests, seconds: 8,
                once: { $0.filter { $0.type == RawHTTP2.rstStream }.count >= 4 },
                meanwhile: { meanwhile = try await curl(port: port, PeerProtocol.healthPath, in: dir) })
            let reset = Set(frames.filter { $0.type == RawHTTP2.rstStream }.map(\.stream))
            #expect(reset == [5, 7, 9, 11], "reset streams: \(reset.sorted())")
            let settings = frames.filter { $0.type == RawHTTP2.settings && $0.flags & 0x1 == 0 }
            #expect(settings.count == 1 && RawHTTP2.settings(in: settings[0].payload)[0x3] == 2, "announces the share less the connection")
            #expect(RawHTTP2.settings(in: settings.first?.payload ?? [])[0x4] == 1 << 20, "a stream's receive window of 1 MiB")
            #expect(meanwhile?.status == 0, "a connection beyond the share was served: \(String(describing: meanwhile?.status))")
            // Closing the connection gives the share back.
            var after = 0
            for _ in 0..<20 where after != 200 {
                after = try await curl(port: port, PeerProtocol.healthPath, in: dir).status
                if after != 200 { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(after == 200)
            #expect(server.inbox.entries().isEmpty)
        }
    }

    /// A connection without streams is closed after the idle timeout, with a GOAWAY naming no
    /// stream; a 403 on a stream ends its connection with a GOAWAY naming that stream, so the
    /// caller's next request makes a new handshake.
    @Test func connectionsEndWithAGOAWAY() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, acceptsCaller: { $0 != "441800" }, idleTimeoutSeconds: 1) { server in
            let idle = try await RawHTTP2.exchange(port: server.port, client: "110000", requests: [], seconds: 3)
            #expect(idle.filter { $0.type == RawHTTP2.goAway }.map(RawHTTP2.goAwayFields) == [.init(lastStream: 0, code: 0)])
            let refused = try await RawHTTP2.exchange(
                port: server.port, client: "441800", requests: [RawHTTP2.upload(id: ArchiveID.make(), declaredBytes: 1000)],
                seconds: 2)
            #expect(refused.contains { $0.type == RawHTTP2.headers && $0.stream == 1 }, "the 403 is answered")
            // Its end rides on its last DATA frame: no empty DATA frame follows.
            let body = refused.filter { $0.type == RawHTTP2.data && $0.stream == 1 }
            #expect(!body.isEmpty && body.allSatisfy { !$0.payload.isEmpty }, "\(body.map(\.payload.count))")
            #expect(body.last.map { $0.flags & 0x1 == 0x1 } == true, "END_STREAM on the last DATA frame")
            #expect(refused.filter { $0.type == RawHTTP2.goAway }.map(RawHTTP2.goAwayFields) == [.init(lastStream: 1, code: 0)])
        }
    }

    /// Uploads on streams take upload slots as uploads on connections do: of two streams of a
    /// caller allowed one upload, one waits for its body and the other gets 429 `too-many-uploads`.
    @Test func uploadStreamsCountAgainstTheUploadSlots() async throws {
        let dir = try TempDir()
        var callers = CallerLimits.default
        callers.uploadsPerCaller = 1
        try await withServer(in: dir, callers: callers) { server in
            let requests = (0..<2).map { _ in RawHTTP2.upload(id: ArchiveID.make(), declaredBytes: 1000) }
            let frames = try await RawHTTP2.exchange(port: server.port, client: "441800", requests: requests, seconds: 3)
            let data = { (stream: UInt32) in
                String(decoding: frames.filter { $0.type == RawHTTP2.data && $0.stream == stream }.flatMap(\.payload), as: UTF8.self)
            }
            // The streams are served concurrently: either may be the one that got the slot.
            let answers = [data(1), data(3)]
            #expect(answers.filter { $0.contains("too-many-uploads") }.count == 1, "\(answers)")
            #expect(answers.filter(\.isEmpty).count == 1, "\(answers)")
        }
    }

    /// A body over the limit on a stream: 413 `too-large`, whether its length was declared
    /// (before the body) or not (once the bytes received pass the limit); nothing is stored.
    @Test func aBodyOverTheLimitOnAStreamIsRefusedAndNothingIsStored() async throws {
        let dir = try TempDir()
        try await withServer(in: dir, maxArchiveBytes: 64 << 10) { server in
            let archive = try makeArchive(in: dir, padding: 200 << 10)
            let declared = try await push(archive, port: server.port, in: dir, http2: true)
            #expect(declared.status == 413 && declared.httpVersion == "2" && declared.errorBody?.error == "too-large")
            let undeclared = try await push(archive, port: server.port, in: dir, extra: ["-H", "Content-Length:"], http2: true)
            #expect(
                undeclared.status == 413 && undeclared.errorBody?.error == "too-large",
                "answered \(undeclared.status), curl exit \(undeclared.exitCode)")
            #expect(server.inbox.entries().isEmpty)
            #expect(try await eventually(seconds: 10) { dir.contents("inbox/.incoming").isEmpty })
        }
    }
}

/// An HTTP/2 client written frame by frame over `openssl s_client -alpn h2`: it never
/// acknowledges the server's SETTINGS nor obeys them, as a hostile peer would not.
enum RawHTTP2 {
    /// A frame the server sent.
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
    }

    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let goAway: UInt8 = 0x7

    struct GoAway: Equatable {
        var lastStream: UInt32
        var code: UInt32
    }

    /// The last stream and error code of a GOAWAY frame (RFC 9113 §6.8).
    static func goAwayFields(_ frame: Frame) -> GoAway {
        let word = { (at: Int) in frame.payload.dropFirst(at).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        return GoAway(lastStream: word(0) & 0x7fff_ffff, code: word(4))
    }

    /// The SETTINGS payload announcing `count` concurrent streams.
    /// The parameters of a SETTINGS payload by identifier (RFC 9113 §6.5.1).
    static func settings(in payload: [UInt8]) -> [UInt16: UInt32] {
        stride(from: 0, to: payload.count - 5, by: 6).reduce(into: [:]) { found, at in
            let value = payload[at + 2..<at + 6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            found[UInt16(payload[at]) << 8 | UInt16(payload[at + 1])] = value
        }
    }

    /// The HPACK header block of a push of `id` declaring `declaredBytes`, without its body.
    static func upload(id: String, declaredBytes: Int) -> [UInt8] {
        literal(index: 2, "PUT") + [0x87] + literal(index: 4, PeerProtocol.archivePath(id)) + literal(index: 1, "localhost")
            + literal(name: "content-length", "\(declaredBytes)")
            + literal(name: "content-digest", PeerProtocol.contentDigest(hex: String(repeating: "ab", count: 32)) ?? "")
    }

    /// Opens one connection as `client`, sends the preface, an empty SETTINGS and each header
    /// block on its own stream (1, 3, 5, …; no END_STREAM, so each stays open), and returns the
    /// frames the server sent within `seconds`.
    /// Sends the preface, SETTINGS and a HEADERS frame per request over a TLS connection as
    /// `client`, runs `meanwhile` once the frames received satisfy `once` (or half of `seconds`
    /// has passed), closes the connection after `seconds` and returns every frame received.
    static func exchange(
        port: Int, client: String, requests: [[UInt8]], seconds: Double, once: ([Frame]) -> Bool = { _ in true },
        meanwhile: () async throws -> Void = {}
    ) async throws -> [Frame] {
        let pki = TestPKI.shared
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-alpn", "h2", "-quiet", "-no_ign_eof", "-verify_quiet",
            "-CAfile", pki.ca, "-cert", pki.cert(client), "-key", pki.key(client),
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(settings, flags: 0, stream: 0, [])
        for (index, block) in requests.enumerated() {
            bytes += frame(headers, flags: 0x4, stream: UInt32(2 * index + 1), block)
        }
        input.fileHandleForWriting.write(Data(bytes))
        let start = ContinuousClock.now
        let end = start + .seconds(seconds)
        // Read without blocking until `once` holds, so that a server that never answers cannot
        // hang the test.
        let fd = output.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var received: [UInt8] = []
        func drain() {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case let count = read(fd, &chunk, chunk.count), count > 0 { received += chunk[0..<count] }
        }
        while !once(parse(received)), ContinuousClock.now < start + .seconds(seconds / 2) {
            drain()
            try await Task.sleep(for: .milliseconds(50))
        }
        try await meanwhile()
        while ContinuousClock.now < end {
            drain()
            try await Task.sleep(for: .milliseconds(100))
        }
        // End of input closes the connection (-no_ign_eof). The child may inherit a signal mask
        // that blocks SIGTERM, so a straggler gets SIGKILL.
        try input.fileHandleForWriting.close()
        for _ in 0..<50 where process.isRunning {
            drain()
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        drain()
        return parse(received)
    }

    private static func frame(_ type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }

    private static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var at = 0
        while at + 9 <= bytes.count {
            let length = Int(bytes[at]) << 16 | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2])
            guard at + 9 + length <= bytes.count else { break }
            let stream = bytes[at + 5..<at + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            frames.append(Frame(type: bytes[at + 3], flags: bytes[at + 4], stream: stream, payload: Array(bytes[at + 9..<at + 9 + length])))
            at += 9 + length
        }
        return frames
    }

    /// HPACK integer with an `prefix`-bit prefix (RFC 7541 §5.1).
    private static func integer(_ value: Int, prefix: Int, first: UInt8) -> [UInt8] {
        let limit = (1 << prefix) - 1
        guard value >= limit else { return [first | UInt8(value)] }
        var out = [first | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        return out + [UInt8(rest)]
    }

    private static func string(_ text: String) -> [UInt8] { integer(text.utf8.count, prefix: 7, first: 0) + Array(text.utf8) }

    /// A literal field without indexing whose name is static-table entry `index`.
    private static func literal(index: Int, _ value: String) -> [UInt8] { integer(index, prefix: 4, first: 0) + string(value) }

    /// A literal field without indexing with a new name.
    private static func literal(name: String, _ value: String) -> [UInt8] { [0] + string(name) + string(value) }
}
