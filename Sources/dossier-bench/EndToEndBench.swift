import ArgumentParser
import DossierArchive
import DossierModel
import DossierSamples
import DossierTestSupport
import Foundation

/// `dossier-bench e2e`: dossiers per second from submission (a folder moved into the origin's
/// intake) to a verified receipt kept by the origin, between two real `dossierd` processes on
/// loopback, beside the `curl` command line pushing the same dossiers, already packed, to a
/// fresh destination daemon with the same concurrency (transfer, verification and receipt only:
/// no checking, packing, signing or journaling on the sending side). With `--http2` the
/// destination offers HTTP/2 and both clients use it. With `--pinned` the sender (the origin
/// daemon, or curl) runs on the first core and the destination on the second, as if each had
/// a machine of its own; otherwise both share every core and the rate is bound by their CPU
/// together (the last figure says how far).
struct EndToEndBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e", abstract: "Submission to verified receipt, two daemons, against curl.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Dossiers per run.") var count = 100
    @Flag(help: "The destination offers HTTP/2; the origin and curl (--http2) use it.") var http2 = false
    @Flag(help: "The sender on the first core, the destination on the second (taskset).") var pinned = false

    func run() async throws {
        report(
            try await EndToEndBench.figures(count: count, setup: .init(http2: http2, pinned: pinned), rounds: options.rounds),
            json: options.json)
    }
}

enum EndToEndBench {
    /// How the two sides run.
    struct Setup {
        var http2 = false
        /// Sender on CPU 0, destination on CPU 1.
        var pinned = false
    }

    static func figures(count: Int, setup: Setup = Setup(), rounds: Int) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        var ours: [Double] = [], theirs: [Double] = []
        var ourCPU: [Run.CPU] = [], theirCPU: [Run.CPU] = []
        var bytes = 0.0
        for round in 0..<max(1, rounds) {
            let folders = try SampleGenerator(seed: UInt64(round + 1), count: count, documents: 6, documentSize: 64 << 10)
                .generate(into: temp.url.appendingPathComponent("dossiers-\(round)"))
            let packed = try folders.map {
                try DossierPackager.pack(
                    dossierDirectory: $0, destination: "430100", identity: pki.identity("441800"),
                    policy: .default, outputDirectory: temp.url.appendingPathComponent("packed-\(round)").creatingDirectory())
            }
            bytes = Double(packed.reduce(0) { $0 + $1.size })
            try await inAlternatingOrder(round: round) {
                let daemons = try await daemonsRun(folders, setup: setup, temp: temp, pki: pki)
                ours.append(Double(count) / daemons.seconds)
                ourCPU.append(daemons.cpu)
            } theirs: {
                let curl = try await curlRun(packed, setup: setup, temp: temp, pki: pki)
                theirs.append(Double(count) / curl.seconds)
                theirCPU.append(curl.cpu)
            }
        }
        let rate = median(ours)
        // Milliseconds of CPU per dossier, the median of the runs.
        func perDossier(_ runs: [Run.CPU], _ part: KeyPath<Run.CPU, Double>) -> Double {
            median(runs.map { $0[keyPath: part] }) * 1000 / Double(count)
        }
        let (origin, client) = (perDossier(ourCPU, \.sender), perDossier(theirCPU, \.sender))
        let (receiving, receivingCurl) = (perDossier(ourCPU, \.destination), perDossier(theirCPU, \.destination))
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        var (over, curl) = setup.http2 ? (" over HTTP/2", "curl --parallel --http2 (pre-packed)") : ("", "curl --parallel (pre-packed)")
        if setup.pinned { over += ", a core each" }
        // Once the cores are busy, the rate is what a dossier's CPU allows: the slower side's
        // when each has its own core, the cores over both sides' CPU when they share them.
        let ceiling: (Double, Double) -> Double = { sender, destination in
            setup.pinned ? 1000 / max(sender, destination) : cores * 1000 / (sender + destination)
        }
        return [
            .higherIsBetter(
                area: "e2e", figure: "dossiers/s, intake → verified receipt (\(count) × \((Int(bytes) / count) >> 10) KiB)\(over)",
                value: rate, unit: "/s", baseline: curl, baselineValue: median(theirs), minRatio: 0.9),
            .reported(
                area: "e2e", figure: "MB/s, intake → verified receipt\(over)", value: rate * bytes / Double(count) / 1e6, unit: "MB/s",
                baseline: curl, baselineValue: median(theirs) * bytes / Double(count) / 1e6),
            .reported(
                area: "e2e", figure: "  CPU per dossier: the origin dossierd", value: origin, unit: "ms", baseline: "the curl client",
                baselineValue: client),
            .reported(
                area: "e2e", figure: "  CPU per dossier: the destination dossierd", value: receiving, unit: "ms",
                baseline: "the destination (curl run)", baselineValue: receivingCurl),
            .reported(
                area: "e2e", figure: setup.pinned ? "  CPU-bound ceiling, a core each" : "  CPU-bound ceiling, \(Int(cores)) cores shared",
                value: ceiling(origin, receiving), unit: "/s", baseline: "the same for curl", baselineValue: ceiling(client, receivingCurl)),
        ]
    }

    /// One run's seconds and CPU seconds, sender (the origin daemon or curl) and destination.
    struct Run {
        struct CPU {
            var sender: Double
            var destination: Double
        }
        var seconds: Double
        var cpu: CPU
    }

    /// Seconds from moving the folders into the origin's intake until the origin holds a
    /// verified receipt for each (and then checks that every entry is delivered).
    static func daemonsRun(_ folders: [URL], setup: Setup, temp: TempDir, pki: TestPKI) async throws -> Run {
        let destination = try await startDestination(http2: setup.http2, temp: temp, pki: pki)
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [.init(code: "430100", url: try destination.url, maxConcurrent: 8)])
        try await origin.start()
        if setup.pinned {
            try pin(origin.process.processIdentifier, to: "0")
            try pin(destination.process.processIdentifier, to: "1")
        }
        let intake = origin.state.appendingPathComponent("intake/430100")
        try FileManager.default.createDirectory(at: intake, withIntermediateDirectories: true)
        // The end is the last receipt kept (verified first), told by inotify: polling `dossierctl
        // queue` every 100 ms would add half that on average to a run of about a second.
        let receipts = try origin.state.appendingPathComponent("receipts").creatingDirectory()
        let kept = try FolderArrivals(folder: receipts.path, suffix: ".receipt.p7m")
        let idle = (origin.cpuSeconds ?? 0, destination.cpuSeconds ?? 0)
        let start = Date()
        for folder in folders { try FileManager.default.moveItem(at: folder, to: intake.appendingPathComponent(folder.lastPathComponent)) }
        _ = await kept.wait(for: folders.count, timeout: .seconds(600))
        let seconds = Date().timeIntervalSince(start)
        let cpu = Run.CPU(sender: (origin.cpuSeconds ?? 0) - idle.0, destination: (destination.cpuSeconds ?? 0) - idle.1)
        _ = try await origin.waitForQueue(timeout: 60) { lines in
            lines.count == folders.count && lines.allSatisfy { $0["state"] as? String == "delivered" }
        }
        _ = try await origin.stop()
        _ = try await destination.stop()
        return Run(seconds: seconds, cpu: cpu)
    }

    /// Seconds for one `curl --parallel` process to push the packed archives to a fresh daemon.
    static func curlRun(_ packed: [PackResult], setup: Setup, temp: TempDir, pki: TestPKI) async throws -> Run {
        let destination = try await startDestination(http2: setup.http2, temp: temp, pki: pki)
        if setup.pinned { try pin(destination.process.processIdentifier, to: "1") }
        let url = try destination.url
        let config = temp.url.appendingPathComponent("curl-\(UUID().uuidString).conf")
        try TransportBench.curlPushes(packed, to: url, certificate: pki.cert("441800"), key: pki.key("441800"), ca: pki.ca)
            .write(to: config, atomically: true, encoding: .utf8)
        let idle = destination.cpuSeconds ?? 0
        let curl = try measureOK(
            (setup.pinned ? ["taskset", "-c", "0"] : []) + [
                "curl", "--parallel", setup.http2 ? "--http2" : "--http1.1", "--parallel-max", "8", "-K", config.path,
            ])
        let cpu = Run.CPU(sender: curl.cpuSeconds, destination: (destination.cpuSeconds ?? 0) - idle)
        _ = try await destination.stop()
        return Run(seconds: curl.seconds, cpu: cpu)
    }

    /// Moves every thread of process `pid` onto the CPUs of `list` (`taskset -c` form: "1",
    /// "0-1"); threads it starts later inherit them.
    static func pin(_ pid: Int32, to list: String) throws {
        try measureOK(["taskset", "-a", "-p", "-c", list, "\(pid)"])
    }

    /// A fresh destination daemon (430100) taking 64 uploads at once, offering HTTP/2 when `http2`.
    static func startDestination(http2: Bool, temp: TempDir, pki: TestPKI) async throws -> DaemonProcess {
        let destination = try DaemonProcess(
            code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")],
            server: "max_concurrent_uploads = 64\nmax_uploads_per_peer = 64" + (http2 ? "\nhttp2 = true" : ""))
        try await destination.start()
        return destination
    }
}

extension URL {
    /// Creates the folder if missing and returns it.
    func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}
