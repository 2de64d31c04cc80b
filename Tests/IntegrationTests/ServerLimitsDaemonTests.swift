import DossierAdmin
import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The per-caller caps of `[server]` (README "Resource isolation", docs/protocol.md) reach the
/// server of a real `dossierd` from its TOML: with small limits, one peer gets 429 +
/// `Retry-After` or a refused connection beyond them while another peer is served.
@Suite(.serialized) struct ServerLimitsDaemonTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test func smallServerLimitsFromTheConfigHoldOnePeerWhileAnotherIsServed() async throws {
        let daemon = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki,
            peers: [.init(code: "441800", url: "https://127.0.0.1:1"), .init(code: "110000", url: "https://127.0.0.1:1")],
            server: "max_uploads_per_peer = 1\nmax_connections_per_peer = 2\nrequests_per_minute = 6")
        try await daemon.start()
        let url = try daemon.url

        // 441800's first upload trickles (3 MiB at 16 KB/s, over three minutes, well above the
        // 1 KiB/s floor: it must still hold its one upload slot and connection when a loaded
        // machine reaches the checks below, which took 80 s in one CI run; it is stopped after them).
        let body = temp.path("body.bin")
        try Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: body))
        let digest = "Content-Digest: \(PeerProtocol.contentDigest(hex: try SHA256.file(body).hex) ?? "")"
        let slow = try background(
            "curl",
            [
                "-sS", "--http1.1", "--cert", pki.cert("441800"), "--key", pki.key("441800"), "--cacert", pki.ca, "-o", "/dev/null",
                "--limit-rate", "16k", "--max-time", "400", "-H", "Expect:", "-H", digest, "-T", body, "\(url)/v1/archives/slow-1",
            ])
        defer { stop(slow) }
        let incoming = daemon.state.appendingPathComponent("inbox/.incoming").path
        #expect(try await eventually(seconds: 20) { !((try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? []).isEmpty })

        // max_uploads_per_peer = 1: a second upload of 441800 (its second connection) gets 429.
        let second = try await answer(
            "441800", ["-H", "Expect:", "-H", digest, "-T", body, "-D", "-"], "\(url)/v1/archives/slow-2")
        #expect(second.status == 429, "\(second.output)")
        #expect(second.output.contains("too-many-uploads") && second.output.lowercased().contains("retry-after:"), "\(second.output)")

        // max_connections_per_peer = 2: with the upload and an idle TLS connection held, a third is refused.
        let port = try #require(Int(url.split(separator: ":").last ?? ""))
        let holdIdle = {
            try self.background(
                "openssl",
                [
                    "s_client", "-quiet", "-connect", "127.0.0.1:\(port)", "-cert", self.pki.cert("441800"), "-key",
                    self.pki.key("441800"), "-CAfile", self.pki.ca,
                ])
        }
        // The connection of the previous request may not be closed on the server yet; then it
        // holds the second place and s_client, refused as the third, ends: hold another.
        var idle = try holdIdle()
        defer { stop(idle) }
        for _ in 0..<10 {
            try await Task.sleep(for: .seconds(1))
            if idle.isRunning { break }
            idle = try holdIdle()
        }
        var refused = false
        var served: [Int] = []
        for _ in 0..<50 where !refused {
            served.append(try await answer("441800", [], "\(url)/v1/health").status)
            refused = served.last == 0
            if !refused { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(slow.isRunning, "the trickling upload ended before the connection check")
        #expect(idle.isRunning, "the idle connection of 441800 was closed")
        #expect(refused, "a third connection of 441800 was served: \(served)")
        #expect(try await answer("110000", [], "\(url)/v1/health").status == 200)

        // requests_per_minute = 6: 441800's bucket runs dry (its two uploads took two tokens).
        // It refills a token every 10 s, which a loaded host can spend on these requests alone:
        // up to 20 are tried, and no more may pass than the 6 plus what refilled meanwhile.
        stop(slow)
        stop(idle)
        var statuses: [Int] = []
        let began = ContinuousClock.now
        for _ in 0..<20 where !statuses.contains(429) {
            let health = try await answer("441800", ["-D", "-"], "\(url)/v1/health")
            statuses.append(health.status)
            if health.status == 429 {
                #expect(
                    health.output.contains("too-many-requests") && health.output.lowercased().contains("retry-after:"), "\(health.output)")
            }
        }
        let refills = Int(((ContinuousClock.now - began) / .seconds(1) + 1) / 10)
        #expect(statuses.last == 429 && statuses.filter { $0 == 200 }.count <= 6 + refills, "\(statuses) with \(refills) refills")
        #expect(try await answer("110000", [], "\(url)/v1/health").status == 200)
        #expect(try await daemon.stop() == 0)
    }

    /// `rejections_per_minute` reaches the server: once a peer's archives have been rejected that
    /// many times, its next push is refused 429 `too-many-rejections` + `Retry-After` before the
    /// body is read, so no further custody event or quarantine record is made for it, while
    /// another peer's archive is still verified and answered. A push under another archive's
    /// id (422 `id-mismatch`, after a whole verification too) costs a token like a rejection.
    @Test func aPeerWhoseArchivesAreRejectedTooOftenIsHeldBeforeItsBodyIsRead() async throws {
        let daemon = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki,
            peers: [.init(code: "441800", url: "https://127.0.0.1:1"), .init(code: "110000", url: "https://127.0.0.1:1")],
            server: "rejections_per_minute = 2")
        try await daemon.start()
        let url = try daemon.url
        /// Pushes the archive at `archivePath` (under a fresh id), or else fresh garbage.
        func push(_ code: String, _ index: Int, _ archivePath: String? = nil) async throws -> (status: Int, output: String) {
            let id = ArchiveID.make()
            let path = archivePath ?? temp.path("garbage-\(code)-\(index).dva")
            if archivePath == nil { try HostileArchive.paxChain(id: id, size: 256 << 10, to: path) }
            let digest = "Content-Digest: \(PeerProtocol.contentDigest(hex: try SHA256.file(path).hex) ?? "")"
            return try await answer(code, ["-H", "Expect:", "-H", digest, "-T", path, "-D", "-"], "\(url)/v1/archives/\(id)")
        }
        // A valid archive of 441800's, pushed under a fresh id.
        let sample = try SampleDossier.make(in: temp, seed: 73)
        let valid = try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"), policy: .default,
            outputDirectory: temp.url)
        let mismatched = try await push("441800", 0, valid.path)
        #expect(mismatched.status == 422 && mismatched.output.contains("id-mismatch"), "\(mismatched.output)")
        let rejected = try await push("441800", 1)
        #expect(rejected.status == 422 && !rejected.output.contains("id-mismatch"), "\(rejected.output)")
        let quarantined = try FileManager.default.contentsOfDirectory(
            atPath: daemon.state.appendingPathComponent("quarantine/441800").path)
        let held = try await push("441800", 2)
        #expect(held.status == 429, "\(held.output)")
        #expect(held.output.contains("too-many-rejections") && held.output.lowercased().contains("retry-after:"), "\(held.output)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: daemon.state.appendingPathComponent("quarantine/441800").path).count
                == quarantined.count)
        #expect(try await push("110000", 0).status == 422)
        #expect(try await daemon.stop() == 0)
    }

    /// A puller that stops reading an archive it downloads (a 4 KiB receive buffer, nothing
    /// read for 8 s) has the response closed once `idle_timeout` passes without a piece
    /// written (found in review: the server's idle timeout does not run while a response is
    /// written, so the stream, its open file and the caller's connection were held for good).
    @Test func aStalledDownloadIsClosedAfterTheIdleTimeout() async throws {
        let (holder, submitted) = try await holderOfAnArchiveToPull(server: "", documents: 2)
        let port = try #require(URLComponents(string: try holder.url)?.port)
        let reader = packageRoot.appendingPathComponent("Tests/Support/stalled-reader.py").path
        let read = try await runDetached(
            "python3",
            [reader, "127.0.0.1", "\(port)", "/v1/archives/\(submitted.id)", pki.cert("430100"), pki.key("430100"), pki.ca, "8"])
        let fields = read.stdout.split(separator: " ")
        let bytes = try #require(fields.first.flatMap { UInt64($0) }, "\(read.stdout) \(read.stderr)")
        #expect(bytes < submitted.size, "read all \(bytes) bytes: the stalled response was not closed")
        #expect(fields.last?.hasPrefix("closed") == true, "\(read.stdout)")
        #expect(try await holder.stop() == 0)
    }

    /// The same over HTTP/2, where a stream's writes wait once its puller stops reading (for
    /// socket buffers to drain or a flow-control window to open; here the buffers, curl's
    /// window being large): curl downloading at 4 MB/s is stopped (SIGSTOP) for 8 s once bytes
    /// arrive; the stream must be reset once `idle_timeout` passes without a piece written, so
    /// curl, continued, gets less than the archive and an error.
    @Test func aStalledHTTP2DownloadIsResetAfterTheIdleTimeout() async throws {
        // More than the socket buffers hold.
        let (holder, submitted) = try await holderOfAnArchiveToPull(server: "http2 = true", documents: 3)
        let body = temp.path("stalled-h2.dva")
        let curl = try background(
            "curl",
            [
                "-sS", "--http2", "--cert", pki.cert("430100"), "--key", pki.key("430100"), "--cacert", pki.ca, "-o", body,
                "--limit-rate", "4M", "--max-time", "60", "\(try holder.url)/v1/archives/\(submitted.id)",
            ])
        defer { stop(curl) }
        func received() -> UInt64 { (try? FileManager.default.attributesOfItem(atPath: body)[.size] as? UInt64) ?? 0 }
        try #require(try await eventually(seconds: 20) { received() > 0 })
        kill(curl.processIdentifier, SIGSTOP)
        try await Task.sleep(for: .seconds(8))
        kill(curl.processIdentifier, SIGCONT)
        try #require(try await eventually(seconds: 40) { !curl.isRunning }, "curl still downloading")
        #expect(curl.terminationStatus != 0, "curl ended well: the stalled stream was not reset")
        #expect(received() < submitted.size, "read all \(received()) bytes: the stalled stream was not reset")
        let metrics = try run("curl", ["-sS", "--unix-socket", holder.socket, "http://dossierd/metrics"]).stdout
        #expect(metrics.contains("dossierd_peer_requests_total{http=\"2\"}"), "the download did not come over HTTP/2: \(metrics)")
        #expect(try await holder.stop() == 0)
    }

    /// A running 441800 with `idle_timeout` 2 s (and `server`) holding an archive of `documents`
    /// × 8 MiB for 430100 to pull.
    private func holderOfAnArchiveToPull(server: String, documents: Int) async throws -> (DaemonProcess, AdminProtocol.Submitted) {
        let holder = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1", mode: "pull")],
            server: "idle_timeout = \"2s\"\n" + server)
        try await holder.start()
        let sample = try SampleDossier.make(in: temp, seed: 74, documents: documents, documentSize: 8 << 20)
        return (holder, try holder.ctl(AdminProtocol.Submitted.self, ["submit", sample.dir.path, "--to", "430100"]))
    }

    /// One request as `code` on a new connection: the status (0 when refused) and what curl
    /// printed (the headers with `-D -`, and the body).
    private func answer(_ code: String, _ extra: [String], _ url: String) async throws -> (status: Int, output: String) {
        let bodyFile = temp.path("answer-\(UUID().uuidString)")
        defer { unlink(bodyFile) }
        let result = try await runDetached(
            "curl",
            ["-sS", "--http1.1", "--max-time", "10", "--cert", pki.cert(code), "--key", pki.key(code), "--cacert", pki.ca]
                + ["-o", bodyFile, "-w", "\n%{http_code}"] + extra + [url])
        let status = Int(result.stdout.split(separator: "\n").last ?? "") ?? 0
        return (status, result.stdout + ((try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""))
    }

    /// Ends a background process at once. SIGKILL, because the child may inherit a signal mask
    /// that blocks SIGTERM (`SlowUpload.stop` in DossierTransportTests says the same).
    private func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// `executable` running in the background with its input held open (an idle `s_client`
    /// keeps its connection) and its output discarded, until stopped.
    private func background(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardInput = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
