import ArgumentParser
import DossierArchive
import DossierModel
import DossierSamples
import DossierTestSupport
import DossierTransport
import Foundation

/// `dossier-bench transport`: pushes through `PeerClient` (libcurl multi, in process) against
/// the `curl` command line uploading the same archives to the same kind of peer
/// (`dossier-mock-peer`, a fresh one per run so neither side meets the other's duplicates).
struct TransportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transport", abstract: "Push throughput and memory, against curl.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Small archives pushed per run.") var count = 1000
    @Option(help: "Pushes in flight (both clients).") var concurrency = 8
    @Option(help: "Size of the single large archive (0 to skip).") var bigSize: Int = 1 << 30
    @Flag(help: "Push over HTTP/2 instead, against curl --http2 (and the large archive also against curl over HTTP/1.1).")
    var http2 = false

    func run() async throws {
        let ws = try TransportWorkspace()
        if http2 {
            report(
                try await TransportHTTP2Bench.figures(ws, count: count, concurrency: concurrency, rounds: options.rounds)
                    + (bigSize > 0 ? try TransportBench.bigFigures(ws, size: bigSize, rounds: options.rounds, http2: true) : []),
                json: options.json)
            return
        }
        report(
            try await TransportBench.figures(ws, count: count, concurrency: concurrency, bigSize: bigSize, rounds: options.rounds),
            json: options.json)
    }
}

/// Internal: one push by our client in a process of its own, so its peak RSS can be measured.
struct PushOnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push-once", shouldDisplay: false)
    @Option var url: String
    @Option var file: String
    @Option var id: String
    @Option var digest: String
    @Option var pki: String

    func run() async throws {
        let trust = CurrentTrust(try TrustStore(caFiles: ["\(pki)/ca.pem"]))
        let client = try PeerClient(tls: PeerTLS(certificateFile: "\(pki)/441800.pem", keyFile: "\(pki)/441800.key", trust: trust))
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: trust)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
        let outcome = await operations.push(
            baseURL: url, peer: PeerIdentity(code: "430100"), id: id, path: file, size: size, digest: digest)
        guard case .delivered = outcome else { throw BenchFailure.setup("push-once: \(outcome)") }
    }
}

/// A PKI, packed archives and fresh mock peers under one temp folder.
final class TransportWorkspace {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-bench-transport-\(getpid())")
    var pki: String { root.appendingPathComponent("pki").path }

    init() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try measureOK([packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path, pki, "441800", "430100"])
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// `count` valid archives for 430100, each from its own synthetic dossier.
    func archives(count: Int, documents: Int, documentSize: Int, name: String) throws -> [PackResult] {
        let dossiers = root.appendingPathComponent("dossiers-\(name)")
        let out = root.appendingPathComponent("archives-\(name)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let folders = try SampleGenerator(seed: 7, count: count, documents: documents, documentSize: documentSize).generate(into: dossiers)
        let identity = try SigningIdentity(certificateFile: "\(pki)/441800.pem", keyFile: "\(pki)/441800.key")
        let packed = try folders.map {
            try DossierPackager.pack(
                dossierDirectory: $0, destination: "430100", identity: identity, policy: .default, outputDirectory: out)
        }
        // Kept until the workspace goes: deleting them now would slow the first run's file
        // creations (`KeptFolders`).
        return packed
    }

    /// A fresh mock peer (430100), speaking HTTP/1.1 only unless `http2`; returns the process
    /// and its base URL.
    func mockPeer(http2: Bool = false) throws -> (Process, String) {
        let state = root.appendingPathComponent("mock-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("dossier-mock-peer")
        process.arguments =
            [
                "--cert", "\(pki)/430100.pem", "--key", "\(pki)/430100.key", "--ca", "\(pki)/ca.pem",
                "--state", state.path, "--max-uploads", "64",
            ] + (http2 ? ["--http2"] : [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var line = ""
        let deadline = Date().addingTimeInterval(10)
        while !line.contains("\n"), Date() < deadline, process.isRunning {
            line += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        let words = line.split(separator: " ")
        guard words.count >= 2, words[0] == "listening" else { throw BenchFailure.setup("dossier-mock-peer did not start: \(line)") }
        return (process, "https://\(words[1])")
    }
}

enum TransportBench {
    static func figures(_ ws: TransportWorkspace, count: Int, concurrency: Int, bigSize: Int, rounds: Int) async throws -> [Figure] {
        let small = try ws.archives(count: count, documents: 6, documentSize: 9 << 10, name: "small")
        let smallBytes = Double(small.reduce(0) { $0 + $1.size })
        var ours: [Double] = [], theirs: [Double] = []
        for _ in 0..<max(1, rounds) {
            ours.append(Double(count) / (try await pushAll(small, ws: ws, concurrency: concurrency)))
            theirs.append(Double(count) / (try curlAll(small, ws: ws, concurrency: concurrency)))
        }
        var figures = [
            Figure.higherIsBetter(
                area: "transport", figure: "\(count) pushes of \((Int(smallBytes) / max(1, count)) >> 10) KiB, \(concurrency) in flight",
                value: median(ours), unit: "/s", baseline: "curl --parallel", baselineValue: median(theirs), minRatio: 0.8)
        ]
        if bigSize > 0 { figures += try bigFigures(ws, size: bigSize, rounds: rounds) }
        return figures
    }

    /// Seconds for our client to push every archive, `concurrency` at a time, to a mock peer
    /// that offers HTTP/2 when `http2` (our client then multiplexes over it).
    static func pushAll(_ archives: [PackResult], ws: TransportWorkspace, concurrency: Int, http2: Bool = false) async throws -> Double {
        let (mock, url) = try ws.mockPeer(http2: http2)
        defer { mock.terminate(); mock.waitUntilExit() }
        let trust = CurrentTrust(try TrustStore(caFiles: ["\(ws.pki)/ca.pem"]))
        let client = try PeerClient(tls: PeerTLS(certificateFile: "\(ws.pki)/441800.pem", keyFile: "\(ws.pki)/441800.key", trust: trust))
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: trust)
        return try await seconds { try await push(archives, to: url, with: operations, concurrency: concurrency) }
    }

    /// Pushes every archive to 430100 at `url` as the daemon's push service does: at most
    /// `concurrency` transfers at once (`TransferGate`), a push whose transfer has ended checking
    /// its receipt with its place already free, so that up to twice as many pushes are under way.
    /// Each must be delivered. Returns each push's seconds, from its request to its verified
    /// receipt.
    @discardableResult
    static func push(_ archives: [PackResult], to url: String, with operations: PeerOperations, concurrency: Int) async throws -> [Double] {
        let gate = TransferGate(total: concurrency)
        return try await withThrowingTaskGroup(of: Double.self) { group in
            var next = 0
            var latencies: [Double] = []
            func add() {
                let archive = archives[next]
                next += 1
                group.addTask {
                    await gate.enter("430100", limit: concurrency)
                    let clock = ContinuousClock()
                    let began = clock.now
                    let answer = await operations.send(
                        baseURL: url, peer: PeerIdentity(code: "430100"), id: archive.id, path: archive.path,
                        size: archive.size, digest: archive.sha256)
                    await gate.leave("430100")
                    let outcome = operations.judge(answer)
                    guard case .delivered = outcome else { throw BenchFailure.setup("push \(archive.id): \(outcome)") }
                    return (clock.now - began) / .seconds(1)
                }
            }
            while next < min(2 * concurrency, archives.count) { add() }
            while let latency = try await group.next() {
                latencies.append(latency)
                if next < archives.count { add() }
            }
            return latencies
        }
    }

    /// Seconds for one `curl --parallel` process to upload every archive (`--http2` to a mock
    /// peer offering it when `http2`).
    static func curlAll(_ archives: [PackResult], ws: TransportWorkspace, concurrency: Int, http2: Bool = false) throws -> Double {
        let (mock, url) = try ws.mockPeer(http2: http2)
        defer { mock.terminate(); mock.waitUntilExit() }
        let config = ws.root.appendingPathComponent("curl-\(UUID().uuidString).conf")
        try curlPushes(archives, to: url, certificate: "\(ws.pki)/441800.pem", key: "\(ws.pki)/441800.key", ca: "\(ws.pki)/ca.pem")
            .write(to: config, atomically: true, encoding: .utf8)
        let version = http2 ? "--http2" : "--http1.1"
        return try measureOK(["curl", "--parallel", version, "--parallel-max", "\(concurrency)", "-K", config.path]).seconds
    }

    /// A curl config that pushes each archive to `url` as a peer does: mutual TLS and the
    /// archive's own `Content-Digest`, so each upload is a block of its own (`next`).
    static func curlPushes(_ archives: [PackResult], to url: String, certificate: String, key: String, ca: String) -> String {
        archives.map { archive in
            """
            url = "\(url)/v1/archives/\(archive.id)"
            upload-file = "\(archive.path)"
            output = "/dev/null"
            cert = "\(certificate)"
            key = "\(key)"
            cacert = "\(ca)"
            header = "Expect:"
            header = "Content-Digest: \(PeerProtocol.contentDigest(hex: archive.sha256) ?? "")"
            silent
            show-error
            fail

            """
        }.joined(separator: "next\n")
    }

    /// Our client (`push-once`, a process of its own) and `curl -T` pushing one `size` archive
    /// to a fresh mock peer each, over HTTP/2 when `http2` (the peer offering it, both clients
    /// asking for it); with both peak RSS. Over HTTP/2, `curl -T` over HTTP/1.1 in the same run
    /// is a second baseline: the stream's flow-control window must not make one upload slower.
    static func bigFigures(_ ws: TransportWorkspace, size: Int, rounds: Int, http2: Bool = false) throws -> [Figure] {
        guard let big = try ws.archives(count: 1, documents: 2, documentSize: size / 2, name: "big").first else { return [] }
        var ours: [Double] = [], theirs: [Double] = [], theirsHTTP1: [Double] = [], clientRSS: [Double] = [], serverRSS: [Double] = []
        let bench = CommandLine.arguments[0]
        func curl(http2: Bool) throws -> Double {
            let (mock, url) = try ws.mockPeer(http2: http2)
            defer { mock.terminate(); mock.waitUntilExit() }
            let run = try measureOK([
                "curl", "-sS", "--fail", "-o", "/dev/null", http2 ? "--http2" : "--http1.1", "-H", "Expect:",
                "--cert", "\(ws.pki)/441800.pem", "--key", "\(ws.pki)/441800.key", "--cacert", "\(ws.pki)/ca.pem",
                "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: big.sha256) ?? "")",
                "-T", big.path, "\(url)/v1/archives/\(big.id)",
            ])
            return Double(big.size) / run.seconds / 1e6
        }
        for _ in 0..<max(1, rounds) {
            let (mock, url) = try ws.mockPeer(http2: http2)
            let run = try measureOK([
                bench, "push-once", "--url", url, "--file", big.path, "--id", big.id, "--digest", big.sha256, "--pki", ws.pki,
            ])
            ours.append(Double(big.size) / run.seconds / 1e6)
            clientRSS.append(run.maxRSSBytes / 1_048_576)
            serverRSS.append(peakRSS(mock.processIdentifier) / 1_048_576)
            mock.terminate(); mock.waitUntilExit()
            theirs.append(try curl(http2: http2))
            if http2 { theirsHTTP1.append(try curl(http2: false)) }
        }
        let mib = big.size >> 20
        let over = http2 ? " over HTTP/2" : ""
        return [
            .higherIsBetter(
                area: "transport", figure: "one \(mib) MiB archive\(over)", value: median(ours), unit: "MB/s",
                baseline: http2 ? "curl -T --http2" : "curl -T", baselineValue: median(theirs), minRatio: 0.9)
        ]
            + (http2
                ? [
                    .higherIsBetter(
                        area: "transport", figure: "one \(mib) MiB archive\(over)", value: median(ours), unit: "MB/s",
                        baseline: "curl -T over HTTP/1.1", baselineValue: median(theirsHTTP1), minRatio: 0.9)
                ] : [])
            + [
                .atMost(
                    area: "transport", figure: "client peak RSS, \(mib) MiB push\(over)", value: median(clientRSS), unit: "MiB",
                    limit: 64, limitName: "64 MiB"),
                .atMost(
                    area: "transport", figure: "server peak RSS, \(mib) MiB receive\(over)", value: median(serverRSS), unit: "MiB",
                    limit: 64, limitName: "64 MiB"),
            ]
    }

    /// VmHWM of a live process, in bytes.
    static func peakRSS(_ pid: Int32) -> Double { procStatusKiB(pid, "VmHWM:") * 1024 }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = DispatchTime.now()
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
