import ArgumentParser
import DossierArchive
import DossierSamples
import DossierTestSupport
import DossierTransport
import Foundation

/// `dossier-bench push-load`: issue 19's small-push figures. Many 68 KiB pushes, 8 in flight,
/// by our client (`PeerClient`, libcurl multi, in process) to a real receiver, against one
/// `curl --parallel` process pushing the same archives to a fresh receiver of the same kind;
/// and the latency of one push under that load (p50, p99). Receivers: `dossierd` (inbox with
/// group commit, custody log, signed receipts) and `dossier-mock-peer` (the same `Inbox`, no
/// custody log). `DOSSIER_PRODUCTS=<dir>` runs another build's receivers (an A/B). With
/// `--pinned` the client (this process, or curl) runs on the first core and the receiver on the
/// second, as if each had a machine of its own; otherwise they share every core, and our client's
/// check of each signed receipt (which curl does not do) takes CPU from the receiver.
struct PushLoadBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push-load", abstract: "Small pushes under load to dossierd and the mock peer, against curl; latency.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Archives pushed per run.") var count = 1000
    @Option(help: "Pushes in flight (both clients).") var concurrency = 8
    @Option(help: "Receivers: daemon, mock, or both.") var receiver = "both"
    @Flag(help: "Receivers offer HTTP/2 and both clients use it (curl --http2).") var http2 = false
    @Flag(help: "The client on the first core, the receiver on the second (taskset).") var pinned = false

    func run() async throws {
        let receivers: [PushLoadBench.Receiver] =
            receiver == "both" ? [.daemon, .mock] : [PushLoadBench.Receiver(rawValue: receiver)].compactMap { $0 }
        guard !receivers.isEmpty else { throw ValidationError("--receiver: daemon, mock or both") }
        report(
            try await PushLoadBench.figures(
                count: count, concurrency: concurrency, receivers: receivers, http2: http2, pinned: pinned, rounds: options.rounds),
            json: options.json)
    }
}

enum PushLoadBench {
    /// Which process receives the pushes.
    enum Receiver: String {
        case daemon = "dossierd"
        case mock = "dossier-mock-peer"

        init?(rawValue: String) {
            switch rawValue {
            case "daemon", "dossierd": self = .daemon
            case "mock", "dossier-mock-peer": self = .mock
            default: return nil
            }
        }
    }

    /// A receiver started for one run: its base URL and how to stop it.
    struct Started {
        var url: String
        var pid: Int32
        /// The receiver's CPU seconds so far.
        var cpuSeconds: () -> Double?
        var stop: () async throws -> Void
    }

    static func figures(
        count: Int, concurrency: Int, receivers: [Receiver], http2: Bool, pinned: Bool = false, rounds: Int
    ) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let folders = try SampleGenerator(seed: 19, count: count, documents: 6, documentSize: 9 << 10)
            .generate(into: temp.url.appendingPathComponent("dossiers"))
        let out = try temp.url.appendingPathComponent("archives").creatingDirectory()
        let identity = try pki.identity("441800")
        let archives = try folders.map {
            try DossierPackager.pack(
                dossierDirectory: $0, destination: "430100", identity: identity, policy: .default, outputDirectory: out)
        }
        // Nothing is deleted before the last run ends (`KeptFolders`): not the samples, not a mock's state.
        let kept = KeptFolders()
        let kib = (archives.reduce(0) { $0 + Int($1.size) } / max(1, count)) >> 10
        var figures: [Figure] = []
        for receiver in receivers {
            var ours: [Double] = [], theirs: [Double] = [], p50: [Double] = [], p99: [Double] = []
            var ourCPU: [Double] = [], curlCPU: [Double] = [], receiverCPU: [Double] = [], receiverCurlCPU: [Double] = []
            for round in 0..<max(1, rounds) {
                try await inAlternatingOrder(round: round) {
                    let run = try await pushRun(
                        archives, to: receiver, http2: http2, pinned: pinned, temp: temp, kept: kept, pki: pki, concurrency: concurrency)
                    ours.append(Double(count) / run.seconds)
                    p50.append(percentile(run.latencies, 0.50) * 1000)
                    p99.append(percentile(run.latencies, 0.99) * 1000)
                    ourCPU.append(run.cpuSeconds * 1000 / Double(count))
                    receiverCPU.append(run.receiverCPUSeconds * 1000 / Double(count))
                } theirs: {
                    let curl = try await curlRun(
                        archives, to: receiver, http2: http2, pinned: pinned, temp: temp, kept: kept, pki: pki, concurrency: concurrency)
                    theirs.append(Double(count) / curl.seconds)
                    curlCPU.append(curl.cpuSeconds * 1000 / Double(count))
                    receiverCurlCPU.append(curl.receiverCPUSeconds * 1000 / Double(count))
                }
            }
            // Little's law: with `concurrency` pushes always in flight, curl's mean latency.
            let curlLatency = Double(concurrency) / median(theirs) * 1000
            let over = (http2 ? " over HTTP/2" : "") + (pinned ? ", a core each" : "")
            figures += [
                .higherIsBetter(
                    area: "push-load", figure: "\(count) pushes of \(kib) KiB\(over), \(concurrency) in flight → \(receiver.rawValue)",
                    value: median(ours), unit: "/s", baseline: http2 ? "curl --parallel --http2" : "curl --parallel",
                    baselineValue: median(theirs), minRatio: 1.0),
                .reported(
                    area: "push-load", figure: "one push's latency under that load, p50 → \(receiver.rawValue)", value: median(p50),
                    unit: "ms", baseline: "curl mean (in flight ÷ rate)", baselineValue: curlLatency),
                .reported(
                    area: "push-load", figure: "one push's latency under that load, p99 → \(receiver.rawValue)", value: median(p99),
                    unit: "ms", baseline: "curl mean (in flight ÷ rate)", baselineValue: curlLatency),
                // Ours includes verifying each receipt (the CMS, its signer's chain); curl's does not.
                .reported(
                    area: "push-load", figure: "  client CPU per push → \(receiver.rawValue)", value: median(ourCPU), unit: "ms",
                    baseline: "curl's", baselineValue: median(curlCPU)),
                .reported(
                    area: "push-load", figure: "  receiver CPU per push → \(receiver.rawValue)", value: median(receiverCPU), unit: "ms",
                    baseline: "in curl's run", baselineValue: median(receiverCurlCPU)),
            ]
        }
        return figures
    }

    /// Starts a fresh receiver (430100, accepting 441800) that takes 64 uploads at once and
    /// offers HTTP/2 when `http2`.
    static func start(_ receiver: Receiver, http2: Bool, temp: TempDir, kept: KeptFolders, pki: TestPKI) async throws -> Started {
        switch receiver {
        case .daemon:
            let daemon = try await EndToEndBench.startDestination(http2: http2, temp: temp, pki: pki)
            return Started(url: try daemon.url, pid: daemon.process.processIdentifier, cpuSeconds: { daemon.cpuSeconds }) {
                _ = try await daemon.stop()
            }
        case .mock:
            let state = try TempDir()
            kept.keep(state)
            let mock = try await MockPeerProcess.launch(in: state, ["--max-uploads", "64"] + (http2 ? ["--http2"] : []))
            let pid = mock.process.processIdentifier
            return Started(url: "https://127.0.0.1:\(mock.port)", pid: pid, cpuSeconds: { processCPUSeconds(pid: pid) }) {
                _ = try await mock.stop()
            }
        }
    }

    /// Our client pushing every archive to a fresh receiver: seconds for all, each push's, and
    /// the CPU this process (the client; the receiver runs apart) spent meanwhile.
    static func pushRun(
        _ archives: [PackResult], to receiver: Receiver, http2: Bool, pinned: Bool, temp: TempDir, kept: KeptFolders, pki: TestPKI,
        concurrency: Int
    ) async throws -> (seconds: Double, latencies: [Double], cpuSeconds: Double, receiverCPUSeconds: Double) {
        let started = try await start(receiver, http2: http2, temp: temp, kept: kept, pki: pki)
        if pinned {
            try EndToEndBench.pin(started.pid, to: "1")
            try EndToEndBench.pin(getpid(), to: "0")
        }
        // This process is the client only while it pushes; curl's run and the setup have every core.
        defer { if pinned { try? EndToEndBench.pin(getpid(), to: "0-\(ProcessInfo.processInfo.activeProcessorCount - 1)") } }
        let receiverIdle = started.cpuSeconds() ?? 0
        let trust = try pki.currentTrust()
        let client = try PeerClient(tls: PeerTLS(certificateFile: pki.cert("441800"), keyFile: pki.key("441800"), trust: trust))
        let operations = PeerOperations(client: client, trust: trust)
        var latencies: [Double] = []
        let cpu = processCPUSeconds()
        let seconds = try await TransportBench.seconds {
            latencies = try await TransportBench.push(archives, to: started.url, with: operations, concurrency: concurrency)
        }
        let cpuSeconds = processCPUSeconds() - cpu
        let receiverCPUSeconds = (started.cpuSeconds() ?? 0) - receiverIdle
        client.shutdown()
        try await started.stop()
        return (seconds, latencies, cpuSeconds, receiverCPUSeconds)
    }

    /// Seconds and CPU seconds for one `curl --parallel` process to push every archive to a
    /// fresh receiver.
    static func curlRun(
        _ archives: [PackResult], to receiver: Receiver, http2: Bool, pinned: Bool, temp: TempDir, kept: KeptFolders, pki: TestPKI,
        concurrency: Int
    ) async throws -> (seconds: Double, cpuSeconds: Double, receiverCPUSeconds: Double) {
        let started = try await start(receiver, http2: http2, temp: temp, kept: kept, pki: pki)
        if pinned { try EndToEndBench.pin(started.pid, to: "1") }
        let receiverIdle = started.cpuSeconds() ?? 0
        let config = temp.url.appendingPathComponent("curl-\(UUID().uuidString).conf")
        try TransportBench.curlPushes(archives, to: started.url, certificate: pki.cert("441800"), key: pki.key("441800"), ca: pki.ca)
            .write(to: config, atomically: true, encoding: .utf8)
        let version = http2 ? "--http2" : "--http1.1"
        let curl = try measureOK(
            (pinned ? ["taskset", "-c", "0"] : []) + ["curl", "--parallel", version, "--parallel-max", "\(concurrency)", "-K", config.path])
        let receiverCPUSeconds = (started.cpuSeconds() ?? 0) - receiverIdle
        try await started.stop()
        return (curl.seconds, curl.cpuSeconds, receiverCPUSeconds)
    }

    /// The `fraction` quantile of `values` (nearest rank); 0 for none.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
    }
}

/// Folders deleted only once the last run has ended. On ext4 without a journal (this machine's disk),
/// every new inode skips, one by one, the inodes freed in the last minute or so: deleting
/// thousands of files between two runs slowed the next run's receiver by a fifth (`perf`: its
/// file creations, and only those), whichever side that run measured.
final class KeptFolders {
    private var folders: [TempDir] = []

    func keep(_ folder: TempDir) { folders.append(folder) }
}
