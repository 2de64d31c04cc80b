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
    func peakRSS(_ pid: Int32) -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    @Test func hundredConcurrentUploadsStayUnder256MiB() async throws {
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
                                            extra: "")
        try await destination.start()
        // One 4 MiB archive pushed under 100 different ids at once (each is a valid upload; the
        // id mismatch is found only after the whole body is received and verified).
        let sample = try SampleDossier.make(in: temp, seed: 111, documents: 4, documentSize: 1 << 20)
        let packed = try DossierPackager.pack(dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
                                             policy: .default, outputDirectory: temp.url)
        let config = temp.url.appendingPathComponent("curl.conf")
        let url = try destination.url
        try (0..<100).map { "url = \"\(url)/v1/archives/parallel-\($0)\"\nupload-file = \"\(packed.path)\"\noutput = \"/dev/null\"\n" }
            .joined().write(to: config, atomically: true, encoding: .utf8)
        let result = try run("curl", ["-sS", "--parallel", "--parallel-max", "100", "--cert", pki.cert("441800"), "--key", pki.key("441800"),
                                      "--cacert", pki.ca, "-H", "Expect:", "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: packed.sha256) ?? "")",
                                      "-w", "%{http_code}\n", "-K", config.path])
        let codes = result.stdout.split(separator: "\n")
        #expect(codes.count == 100, "\(result.stderr)")
        #expect(codes.allSatisfy { ["422", "503"].contains($0) }, "\(Set(codes))")
        let rss = peakRSS(destination.process.processIdentifier)
        print("100 concurrent 4 MiB uploads: daemon peak RSS \(Int(rss)) MiB")
        #expect(rss > 0 && rss < 256, "peak RSS \(rss) MiB")
        _ = try await destination.stop()
    }

    @Test func aPeerUploadingSlowerThanTheLowSpeedLimitIsCutOff() async throws {
        let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
                                            server: "low_speed_limit = 20000\nlow_speed_time = \"2s\"")
        try await destination.start()
        let sample = try SampleDossier.make(in: temp, seed: 112, documents: 6, documentSize: 64 << 10)
        let packed = try DossierPackager.pack(dossierDirectory: sample.dir, destination: "430100", identity: pki.identity("441800"),
                                             policy: .default, outputDirectory: temp.url)
        let started = Date()
        // 5 KB/s against a 20 KB/s floor: the whole upload would take 80 s. curl sends in 64 KiB
        // bursts under --limit-rate, so the server sees the low average at the second burst.
        let slow = try await runDetached("curl", ["-sS", "--limit-rate", "5k", "--max-time", "75", "--cert", pki.cert("441800"),
                                                  "--key", pki.key("441800"), "--cacert", pki.ca, "-H", "Expect:", "-o", "/dev/null",
                                                  "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: packed.sha256) ?? "")",
                                                  "-w", "%{http_code}", "-T", packed.path, "\(try destination.url)/v1/archives/\(packed.id)"])
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 60, "cut off after \(seconds) s: \(slow.stdout) \(slow.stderr)")
        #expect(slow.stdout == "408", "curl: \(slow.stdout) \(slow.stderr)")
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: destination.state.appendingPathComponent("inbox").path)) ?? []
        #expect(!stored.contains { $0.hasSuffix(".dva") })
        _ = try await destination.stop()
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullSpoolDiskRefusesClearlyAndLosesNothing() async throws {
        let small = temp.url.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mounted = try run("mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", small.path])
        guard mounted.status == 0 else {
            print("skipped: cannot mount a tmpfs here (\(mounted.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? run("umount", ["-l", small.path]) }
        let origin = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
                                       extra: "")
        try origin.writeConfig(pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
                               extra: "")
        // The state folder on the small disk.
        let text = try String(contentsOf: origin.configFile, encoding: .utf8)
            .replacingOccurrences(of: "directory = \"\(origin.state.path)\"", with: "directory = \"\(small.path)/state\"")
        try text.write(to: origin.configFile, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: small.appendingPathComponent("state"), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(at: origin.state, withDestinationURL: small.appendingPathComponent("state"))
        try await origin.start()

        var queued: [String] = []
        var refusal = ""
        for seed in 0..<12 {
            let sample = try SampleDossier.make(in: temp, seed: 120 + seed, documents: 6, documentSize: 512 << 10)
            let submitted = try origin.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
            if submitted.status == 0, let id = (try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any])?["id"] as? String {
                queued.append(id)
            } else {
                refusal = submitted.stderr
                break
            }
        }
        #expect(!queued.isEmpty)
        #expect(refusal.contains("No space left") || refusal.contains("ENOSPC") || refusal.contains("space"),
                "refusal: \(refusal)\ndaemon log:\n\(origin.log.suffix(3000))")
        // Everything acknowledged is still there, also after a restart.
        _ = try await origin.stop()
        try await origin.start()
        let lines = try await origin.waitForQueue { lines in queued.allSatisfy { id in lines.contains { $0["id"] as? String == id } } }
        #expect(lines.count == queued.count)
        _ = try await origin.stop()
    }
}
