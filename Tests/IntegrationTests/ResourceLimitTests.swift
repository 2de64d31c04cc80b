import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Resource limits (issue 7): many concurrent uploads stay within a memory budget, and a full
/// spool disk refuses new work clearly without losing what was queued.
@Suite(.serialized) struct ResourceLimitTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// VmHWM of a live process, in MiB.
    func peakRSS(_ pid: Int32) -> Double { procStatusKiB(pid, "VmHWM:") / 1024 }

    @Test func hundredConcurrentUploadsStayUnder256MiB() async throws {
        // One peer may hold every slot and connection here: this is about memory, not shares.
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
            server: "max_uploads_per_peer = 100\nmax_connections_per_peer = 200")
        try await destination.start()
        // One 4 MiB archive pushed under 100 different ids at once (each is a valid upload; the
        // id mismatch is found only after the whole body is received and verified).
        let sample = try SampleDossier.make(in: temp, seed: 111, documents: 4, documentSize: 1 << 20)
        let packed = try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
            policy: .default, outputDirectory: temp.url)
        let config = temp.url.appendingPathComponent("curl.conf")
        let url = try destination.url
        try (0..<100).map { "url = \"\(url)/v1/archives/parallel-\($0)\"\nupload-file = \"\(packed.path)\"\noutput = \"/dev/null\"\n" }
            .joined().write(to: config, atomically: true, encoding: .utf8)
        let result = try run(
            "curl",
            [
                "-sS", "--parallel", "--parallel-max", "100", "--cert", pki.cert("441800"), "--key", pki.key("441800"),
                "--cacert", pki.ca, "-H", "Expect:", "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: packed.sha256) ?? "")",
                "-w", "%{http_code}\n", "-K", config.path,
            ])
        let codes = result.stdout.split(separator: "\n")
        #expect(codes.count == 100, "\(result.stderr)")
        #expect(codes.allSatisfy { ["422", "503"].contains($0) }, "\(Set(codes))")
        let rss = peakRSS(destination.process.processIdentifier)
        print("100 concurrent 4 MiB uploads: daemon peak RSS \(Int(rss)) MiB")
        #expect(rss > 0 && rss < 256, "peak RSS \(rss) MiB")
        _ = try await destination.stop()
    }

    @Test func aPeerUploadingSlowerThanTheLowSpeedLimitIsCutOff() async throws {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
            server: "low_speed_limit = 20000\nlow_speed_time = \"2s\"")
        try await destination.start()
        let sample = try SampleDossier.make(in: temp, seed: 112, documents: 6, documentSize: 64 << 10)
        let packed = try DossierPackager.pack(
            dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
            policy: .default, outputDirectory: temp.url)
        let started = Date()
        // 5 KB/s against a 20 KB/s floor: the whole upload would take 80 s. curl sends in 64 KiB
        // bursts under --limit-rate, so the server sees the low average at the second burst.
        let slow = try await runDetached(
            "curl",
            [
                "-sS", "--limit-rate", "5k", "--max-time", "75", "--cert", pki.cert("441800"),
                "--key", pki.key("441800"), "--cacert", pki.ca, "-H", "Expect:", "-o", "/dev/null",
                "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: packed.sha256) ?? "")",
                "-w", "%{http_code}", "-T", packed.path, "\(try destination.url)/v1/archives/\(packed.id)",
            ])
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 60, "cut off after \(seconds) s: \(slow.stdout) \(slow.stderr)")
        #expect(slow.stdout == "408", "curl: \(slow.stdout) \(slow.stderr)")
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: destination.state.appendingPathComponent("inbox").path)) ?? []
        #expect(!stored.contains { $0.hasSuffix(".dva") })
        _ = try await destination.stop()
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullSpoolDiskRefusesClearlyAndLosesNothing() async throws {
        guard let small = try mountSmallTmpfs("small-disk", in: temp.url, options: "size=12m") else { return }
        defer { _ = try? run("umount", ["-l", small.path]) }
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
            extra: "")
        try origin.writeConfig(
            pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
            extra: "")
        // The state folder on the small disk.
        let text = try String(contentsOf: origin.configFile, encoding: .utf8)
            .replacingOccurrences(
                of: "directory = \"\(origin.state.path)\"",
                with: "directory = \"\(small.path)/state\"\nfree_space_reserve = \"1MiB\"")
        try text.write(to: origin.configFile, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: small.appendingPathComponent("state"), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(at: origin.state, withDestinationURL: small.appendingPathComponent("state"))
        try await origin.start()

        var queued: [String] = []
        var refusal = ""
        for seed in 0..<12 {
            let sample = try SampleDossier.make(in: temp, seed: 120 + seed, documents: 6, documentSize: 512 << 10)
            let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
            if submitted.status == 0,
                let id = (try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String
            {
                queued.append(id)
            } else {
                refusal = submitted.stderr
                break
            }
        }
        #expect(!queued.isEmpty)
        #expect(
            refusal.contains("No space left") || refusal.contains("ENOSPC") || refusal.contains("space"),
            "refusal: \(refusal)\ndaemon log:\n\(origin.log.suffix(3000))")
        // Everything acknowledged is still there, also after a restart.
        _ = try await origin.stop()
        try await origin.start()
        let lines = try await origin.waitForQueue { lines in queued.allSatisfy { id in lines.contains { $0["id"] as? String == id } } }
        #expect(lines.count == queued.count)
        _ = try await origin.stop()
    }

    /// Resident memory of a live process now, in MiB.
    func currentRSS(_ pid: Int32) -> Double { procStatusKiB(pid, "VmRSS:") / 1024 }

    /// The memory attacks, pushed by an authenticated peer: 64 MiB of chained pax headers
    /// and 64 MiB of tag files. Each is rejected as size-limit naming the bound, and the daemon's
    /// peak memory stays within 64 MiB of what it held before.
    @Test func hostileArchivesAreRejectedWithinTheMemoryBound() async throws {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
        try await destination.start()
        let pid = destination.process.processIdentifier
        #expect(try await curl(destination, "/v1/health").status == 200)
        let idle = currentRSS(pid)
        for (name, make, bound) in [
            ("pax-chain", HostileArchive.paxChain, "pax bytes per entry"),
            ("tag-flood", HostileArchive.tagFlood, "tag files total size"),
        ] {
            let id = ArchiveID.make()
            let path = temp.path("\(name).dva")
            try make(id, 64 << 20, path)
            let answer = try await curl(
                destination, "/v1/archives/\(id)",
                [
                    "-T", path, "-H", "Expect:",
                    "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: try SHA256.file(path).hex) ?? "")",
                ])
            #expect(answer.status == 422, "\(name): \(answer.status)")
            let digest = SHA256.hex(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            let receipt = try Receipt.open(answer.body, trust: pki.trust(), receiver: "430100", archiveId: id, digest: digest)
            #expect(receipt.reasons.map(\.code) == ["size-limit"], "\(name): \(receipt.reasons)")
            #expect(receipt.reasons.first?.detail.hasPrefix(bound) == true, "\(name): \(receipt.reasons)")
        }
        let peak = peakRSS(pid)
        print("hostile archives: daemon idle \(Int(idle)) MiB, peak \(Int(peak)) MiB")
        #expect(peak - idle < 64, "peak \(peak) MiB, idle \(idle) MiB")
        _ = try await destination.stop()
    }

    /// `GET /v1/health` from one peer answers at once (server time, p95 of 40) while another
    /// peer keeps all 16 upload slots busy with slow hostile uploads that are then verified.
    @Test func healthAnswersQuicklyWhileEverySlotIsBusy() async throws {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki,
            peers: [
                .init(code: "441800", url: "https://127.0.0.1:1"),
                .init(code: "110000", url: "https://127.0.0.1:1"),
            ],
            server: "max_concurrent_uploads = 16\nmax_uploads_per_peer = 16")
        try await destination.start()
        let url = try destination.url
        let paths = try (0..<16).map { i in
            let path = temp.path("hostile-\(i).dva")
            try (i.isMultiple(of: 2) ? HostileArchive.paxChain : HostileArchive.tagFlood)(ArchiveID.make(), 8 << 20, path)
            return path
        }
        // 8 MiB at 1 MB/s: each upload holds its slot about 8 s, then is verified and rejected.
        let uploads = paths.enumerated().map { i, path in
            let args = [
                "-sS", "--limit-rate", "1M", "--max-time", "60", "--cert", pki.cert("441800"), "--key", pki.key("441800"),
                "--cacert", pki.ca, "-H", "Expect:", "-o", "/dev/null", "-w", "%{http_code}", "-T", path,
                "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: (try? SHA256.file(path).hex) ?? "") ?? "")",
                "\(url)/v1/archives/hostile-\(i)",
            ]
            return Task { try await runDetached("curl", args) }
        }
        var most = 0
        let busy = try await eventually {
            most = max(
                most,
                (try? FileManager.default.contentsOfDirectory(atPath: destination.state.appendingPathComponent("inbox/.incoming").path))?
                    .count ?? 0)
            return most == 16
        }
        #expect(busy, "only \(most) of the 16 uploads were in progress at once\n\(destination.log.suffix(3000))")
        var seconds: [Double] = []
        for _ in 0..<40 {
            let answer = try await runDetached(
                "curl",
                [
                    "-sS", "--cert", pki.cert("110000"), "--key", pki.key("110000"), "--cacert", pki.ca,
                    "-o", "/dev/null", "-w", "%{http_code} %{time_appconnect} %{time_starttransfer}",
                    "\(url)/v1/health",
                ])
            let fields = answer.stdout.split(separator: " ")
            #expect(fields.first == "200", "\(answer.stdout) \(answer.stderr)")
            if fields.count == 3, let connected = Double(fields[1]), let first = Double(fields[2]) { seconds.append(first - connected) }
            try await Task.sleep(for: .milliseconds(100))
        }
        var codes: [String] = []
        for upload in uploads { codes.append(try await upload.value.stdout) }
        seconds.sort()
        let p95 = seconds[min(seconds.count - 1, Int(Double(seconds.count) * 0.95))]
        print("health while 16 hostile uploads run: p95 \(Int(p95 * 1000)) ms, max \(Int((seconds.last ?? 0) * 1000)) ms")
        #expect(seconds.count == 40)
        // The 100 ms figure is measured by `dossier-bench hostile` on a quiet machine; here, among
        // the other suites running at once, the test holds health to not waiting behind any
        // verification (each takes seconds).
        #expect(p95 < 1, "\(seconds)")
        #expect(codes.allSatisfy { $0 == "422" }, "\(codes)")
        _ = try await destination.stop()
    }

    /// curl against the daemon as 441800.
    func curl(_ daemon: DaemonProcess, _ path: String, _ extra: [String] = []) async throws -> (status: Int, body: [UInt8]) {
        let body = temp.path("body-\(UUID().uuidString)")
        let result = try await runDetached(
            "curl",
            [
                "-sS", "--cert", pki.cert("441800"), "--key", pki.key("441800"), "--cacert", pki.ca,
                "-o", body, "-w", "%{http_code}",
            ] + extra + ["\(try daemon.url)\(path)"])
        return (Int(result.stdout) ?? 0, [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: body))) ?? Data()))
    }
}
