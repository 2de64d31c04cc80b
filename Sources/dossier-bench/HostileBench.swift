import ArgumentParser
import DossierArchive
import DossierModel
import DossierSamples
import DossierTestSupport
import DossierTransport
import Foundation

/// `dossier-bench hostile`: what one authenticated peer can take from a `dossierd` (docs/protocol.md): the daemon's memory while it verifies the 512 MiB attacks, the health route's
/// latency while 16 slow hostile uploads hold every slot, and a genuine peer's push throughput
/// while another peer holds its whole share of upload slots, against the same pushes alone.
struct HostileBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hostile", abstract: "Resource isolation against a hostile peer.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Size of each hostile archive, in MiB.") var size = 512
    @Option(help: "Genuine pushes per run.") var count = 200

    func run() async throws {
        report(try await HostileBench.figures(sizeMiB: size, count: count, rounds: options.rounds), json: options.json)
    }
}

enum HostileBench {
    static let area = "hostile"

    static func figures(sizeMiB: Int, count: Int, rounds: Int) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        var figures: [Figure] = []
        for (name, make) in [("pax-chain", HostileArchive.paxChain), ("tag-file", HostileArchive.tagFlood)] {
            let path = temp.path("\(name).dva")
            try make("hostile-\(name)", UInt64(sizeMiB) << 20, path)
            var above: [Double] = []
            for _ in 0..<max(1, rounds) { above.append(try await verificationRSS(path, id: "hostile-\(name)", temp: temp, pki: pki)) }
            try? FileManager.default.removeItem(atPath: path)
            figures.append(
                .atMost(
                    area: area, figure: "daemon peak RSS above idle, \(sizeMiB) MiB \(name) archive", value: median(above),
                    unit: "MiB", limit: 64, limitName: "64 MiB"))
        }
        let flood = try certificateFlood(temp: temp, pki: pki)
        var above: [Double] = []
        for _ in 0..<max(1, rounds) { above.append(try await verificationRSS(flood.path, id: flood.id, temp: temp, pki: pki)) }
        figures.append(
            .atMost(
                area: area, figure: "daemon peak RSS above idle, a signature carrying \(floodCertificates) certificates of many names",
                value: median(above), unit: "MiB", limit: 64, limitName: "64 MiB"))
        let crl = try await forgedCRLRSS(temp: temp, pki: pki)
        figures.append(
            .reported(
                area: area, figure: "daemon peak RSS above idle, a forged CRL at its CRL URL", value: crl.above, unit: "MiB",
                baseline: "the CRL's size", baselineValue: crl.size))
        var p99s: [Double] = []
        for _ in 0..<max(1, rounds) { p99s.append(try await healthUnderLoad(temp: temp, pki: pki) * 1000) }
        figures.append(
            .atMost(
                area: area, figure: "/v1/health p99 while 16 slow hostile uploads run", value: median(p99s), unit: "ms",
                limit: 100, limitName: "100 ms"))
        let archives = try genuineArchives(count: count, temp: temp, pki: pki)
        var alone: [Double] = [], beside: [Double] = []
        for _ in 0..<max(1, rounds) {
            alone.append(try await genuineRate(archives, hostileSlots: 0, temp: temp, pki: pki))
            beside.append(try await genuineRate(archives, hostileSlots: CallerLimits.default.uploadsPerCaller, temp: temp, pki: pki))
        }
        figures.append(
            .higherIsBetter(
                area: area, figure: "genuine pushes/s while another peer holds its \(CallerLimits.default.uploadsPerCaller) slots",
                value: median(beside), unit: "/s", baseline: "no hostile peer", baselineValue: median(alone),
                minRatio: 0.8))
        return figures
    }

    /// MiB the daemon's peak resident memory rose above its idle size while it received and
    /// verified the archive at `path`, pushed by 441800 (a fresh daemon, so the peak is this one's).
    static func verificationRSS(_ path: String, id: String, temp: TempDir, pki: TestPKI) async throws -> Double {
        let daemon = try destination(temp: temp, pki: pki)
        try await daemon.start()
        let pid = daemon.process.processIdentifier
        let idle = procStatusKiB(pid, "VmRSS:") / 1024
        let status = try measure(
            [
                "curl", "-sS", "-o", "/dev/null", "-H", "Expect:", "--cert", pki.cert("441800"), "--key", pki.key("441800"),
                "--cacert", pki.ca,
            ] + contentDigest(path) + ["-T", path, "\(try daemon.url)/v1/archives/\(id)"]
        ).status
        guard status == 0 else { throw BenchFailure.failed("curl -T \(path)", status) }
        let peak = procStatusKiB(pid, "VmHWM:") / 1024
        _ = try await daemon.stop()
        return peak - idle
    }

    /// How many certificates the signature of `certificateFlood` carries.
    static let floodCertificates = 180

    /// A dossier of 441800 for 430100, packed and signed by a stranger (441800 of the unrelated
    /// CA), whose signature also carries `floodCertificates` certificates of 3,000 names each,
    /// named as the stranger's issuer (`HostileArchive.certificateFlood`): 3.7 MB of signature,
    /// under the 4 MiB a tag file may have.
    static func certificateFlood(temp: TempDir, pki: TestPKI) throws -> (path: String, id: String) {
        let folder = try SampleGenerator(seed: 17, count: 1, documents: 2, documentSize: 9 << 10, origin: "441800", destination: "430100")
            .generate(into: temp.url.appendingPathComponent("flood"))
        let packed = try DossierPackager.pack(
            dossierDirectory: folder[0], destination: "430100", identity: pki.untrustedIdentity("441800"), policy: .default,
            outputDirectory: try temp.url.appendingPathComponent("flood-packed").creatingDirectory())
        let path = temp.path("flood.dva")
        try HostileArchive.certificateFlood(
            archive: packed.path, id: packed.id, signer: ("\(pki.other)/441800.pem", "\(pki.other)/441800.key"), count: floodCertificates,
            names: 3000, scratch: temp, to: path)
        return (path, packed.id)
    }

    /// MiB the daemon's peak resident memory rose above its idle size while it fetched, and
    /// refused, a CRL forged under its CA's name (`forgedCRL`), served by a mock peer at its
    /// `crl_urls`; and the CRL's size in MiB.
    static func forgedCRLRSS(temp: TempDir, pki: TestPKI) async throws -> (above: Double, size: Double) {
        let published = temp.path("crl-published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        do {
            let measured = try await forgedCRLRSS(temp: temp, pki: pki, published: published, url: "\(mock.url)/published/ca.crl")
            _ = try? await mock.stop()
            return measured
        } catch {
            _ = try? await mock.stop()
            throw error
        }
    }

    private static func forgedCRLRSS(temp: TempDir, pki: TestPKI, published: String, url: String) async throws -> (
        above: Double, size: Double
    ) {
        let daemon = try destination(temp: temp, pki: pki)
        try daemon.writeConfig(
            pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1"), .init(code: "110000", url: "https://127.0.0.1:1")],
            tls: "crl_urls = [\"\(url)\"]\ncrl_refresh = \"1s\"")
        try await daemon.start()
        // Idle once the first fetch (nothing published yet) has failed.
        guard await waitUntil({ daemon.log.contains("CRL refresh failed") }) else { throw BenchFailure.setup("no first CRL fetch") }
        let pid = daemon.process.processIdentifier
        let idle = procStatusKiB(pid, "VmRSS:") / 1024
        let crl = try forgedCRL(pki: pki)
        try Data(crl).write(to: URL(fileURLWithPath: "\(published)/ca.crl"))
        let refused = await waitUntil(seconds: 60) { daemon.log.contains("tampered or forged") }
        let peak = procStatusKiB(pid, "VmHWM:") / 1024
        _ = try await daemon.stop()
        guard refused else { throw BenchFailure.setup("the forged CRL was not refused within a minute") }
        return (peak - idle, Double(crl.count) / 1_048_576)
    }

    /// A CRL of 1.4 million entries (30 MB) under the name of `pki`'s CA, its signature junk:
    /// what whoever answers a CRL URL can serve. OpenSSL parses it into some ten times its size.
    static func forgedCRL(pki: TestPKI) throws -> [UInt8] {
        func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
            guard content.count >= 0x80 else { return [tag, UInt8(content.count)] + content }
            let length = withUnsafeBytes(of: UInt32(content.count).bigEndian) { Array($0) }.drop { $0 == 0 }
            return [tag, 0x80 | UInt8(length.count)] + length + content
        }
        // The CA's subject as RFC 2253 gives it, last attribute first.
        let attributes: [String: [UInt8]] = ["CN": [0x55, 0x04, 0x03], "O": [0x55, 0x04, 0x0A], "C": [0x55, 0x04, 0x06]]
        let subject = try runSucceeding("openssl", ["x509", "-in", pki.ca, "-noout", "-subject", "-nameopt", "RFC2253"])
            .trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("subject=".count)
        let name = try subject.split(separator: ",").reversed().map { pair -> [UInt8] in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let oid = attributes[String(parts[0])] else { throw BenchFailure.setup("CA subject \(subject)") }
            return der(0x31, der(0x30, der(0x06, oid) + der(0x0C, Array(parts[1].utf8))))
        }.joined()
        let algorithm = der(0x30, der(0x06, [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]))
        let time = der(0x17, Array("261201000000Z".utf8))
        var entries: [UInt8] = []
        entries.reserveCapacity(1_400_000 * 22)
        for serial in 0..<1_400_000 {
            let value = UInt32(serial) | 0x10_0000
            entries += der(0x30, der(0x02, [UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]) + time)
        }
        let tbs = der(0x30, der(0x02, [0x01]) + algorithm + der(0x30, Array(name)) + time + time + der(0x30, entries))
        return der(0x30, tbs + algorithm + der(0x03, [0x00] + [UInt8](repeating: 0, count: 70)))
    }

    /// p99 seconds of `GET /v1/health` from 110000 (one kept-alive connection) while 441800
    /// trickles 16 hostile uploads, one in each slot, which are verified as they complete.
    static func healthUnderLoad(temp: TempDir, pki: TestPKI) async throws -> Double {
        let daemon = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki,
            peers: [
                .init(code: "441800", url: "https://127.0.0.1:1"),
                .init(code: "110000", url: "https://127.0.0.1:1"),
            ],
            server: "max_concurrent_uploads = 16\nmax_uploads_per_peer = 16")
        try await daemon.start()
        let url = try daemon.url
        var uploads: [Process] = []
        for i in 0..<16 {
            let path = temp.path("load-\(i).dva")
            try (i.isMultiple(of: 2) ? HostileArchive.paxChain : HostileArchive.tagFlood)("load-\(i)", 48 << 20, path)
            uploads.append(
                try curlProcess(
                    contentDigest(path) + ["--limit-rate", "4M", "-T", path, "\(url)/v1/archives/load-\(i)"],
                    as: "441800", pki: pki))
        }
        let operations = try operations110000(pki: pki)
        defer { operations.client.shutdown() }
        var seconds: [Double] = []
        while uploads.contains(where: \.isRunning) || seconds.count < 100 {
            let start = DispatchTime.now()
            _ = try await operations.health(baseURL: url, peer: PeerIdentity(code: "430100"))
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            try await Task.sleep(for: .milliseconds(20))
        }
        uploads.forEach { $0.waitUntilExit() }
        _ = try await daemon.stop()
        seconds.sort()
        return seconds[min(seconds.count - 1, Int(Double(seconds.count) * 0.99))]
    }

    /// `count` valid archives from 110000 for 430100.
    static func genuineArchives(count: Int, temp: TempDir, pki: TestPKI) throws -> [PackResult] {
        let folders = try SampleGenerator(
            seed: 13, count: count, documents: 6, documentSize: 9 << 10, origin: "110000", destination: "430100"
        )
        .generate(into: temp.url.appendingPathComponent("genuine"))
        let out = try temp.url.appendingPathComponent("genuine-packed").creatingDirectory()
        return try folders.map {
            try DossierPackager.pack(
                dossierDirectory: $0, destination: "430100", identity: pki.identity("110000"), policy: .default,
                outputDirectory: out)
        }
    }

    /// Pushes a second of 110000's archives into a fresh daemon, as many in flight as its share
    /// of slots, while 441800 trickles `hostileSlots` uploads; pushes per second.
    static func genuineRate(_ archives: [PackResult], hostileSlots: Int, temp: TempDir, pki: TestPKI) async throws -> Double {
        let daemon = try destination(temp: temp, pki: pki)
        try await daemon.start()
        let url = try daemon.url
        var hostile: [Process] = []
        for i in 0..<hostileSlots {
            let path = temp.path("slow-\(i).dva")
            try HostileArchive.tagFlood(id: "slow-\(i)", size: 32 << 20, to: path)
            hostile.append(
                try curlProcess(
                    contentDigest(path) + ["--limit-rate", "32k", "-T", path, "\(url)/v1/archives/slow-\(i)"],
                    as: "441800", pki: pki))
        }
        defer {
            hostile.forEach {
                $0.terminate(); $0.waitUntilExit()
            }
        }
        let held = await waitUntil {
            (try? FileManager.default.contentsOfDirectory(atPath: daemon.state.appendingPathComponent("inbox/.incoming").path))?.count
                == hostileSlots
        }
        guard held else { throw BenchFailure.setup("the hostile uploads did not start") }
        let operations = try operations110000(pki: pki)
        defer { operations.client.shutdown() }
        let seconds = try await TransportBench.seconds {
            try await TransportBench.push(archives, to: url, with: operations, concurrency: CallerLimits.default.uploadsPerCaller)
        }
        _ = try await daemon.stop()
        return Double(archives.count) / seconds
    }

    static func destination(temp: TempDir, pki: TestPKI) throws -> DaemonProcess {
        try DaemonProcess(
            code: "430100", in: temp.url, pki: pki,
            peers: [
                .init(code: "441800", url: "https://127.0.0.1:1"),
                .init(code: "110000", url: "https://127.0.0.1:1"),
            ])
    }

    /// The peer client of authority 110000, trusting the test CA.
    static func operations110000(pki: TestPKI) throws -> PeerOperations {
        let trust = CurrentTrust(try pki.trust())
        return PeerOperations(
            client: try PeerClient(tls: PeerTLS(certificateFile: pki.cert("110000"), keyFile: pki.key("110000"), trust: trust)),
            trust: trust)
    }

    /// curl's `-H Content-Digest: sha-256=:…:` for the file at `path`, as every push carries.
    static func contentDigest(_ path: String) throws -> [String] {
        ["-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: try SHA256.file(path).hex) ?? "")"]
    }

    /// `curl` as `client`, running on its own, its output discarded.
    static func curlProcess(_ arguments: [String], as client: String, pki: TestPKI) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "curl", "-sS", "-o", "/dev/null", "-H", "Expect:", "--cert", pki.cert(client), "--key", pki.key(client),
                "--cacert", pki.ca,
            ] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitUntil(seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
