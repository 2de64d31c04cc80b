import ArgumentParser
import DossierArchive
import DossierSamples
import DossierTestSupport
import Foundation

/// `dossier-bench directory`: what a directory of 400 authorities costs a daemon (docs/directory.md, "Cost"):
/// the time from launch to listening with its peers in force (a restart, the last good directory
/// kept), and its idle resident memory, beside a daemon with one `[[peers]]` entry and no directory.
struct DirectoryBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory", abstract: "Start-up time and idle RSS with 400 directory peers, against 1 peer.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Authorities in the directory.") var authorities = 400

    @Option(help: "Archives pushed per run of the push figures (0: skip them).") var archives = 400
    @Option(help: "Peers (mock-peer processes) the archives are spread over in the spread figure (0: skip it).") var spread = 50
    @Flag(help: "Only the spread figure.") var spreadOnly = false

    func run() async throws {
        var figures: [Figure] = []
        if !spreadOnly {
            figures += try await DirectoryBench.figures(authorities: authorities, rounds: options.rounds)
            if archives > 0 {
                figures += try await DirectoryBench.pushFigures(archives: archives, authorities: authorities, rounds: options.rounds)
            }
        }
        if archives > 0 && spread > 0 {
            figures += try await DirectoryBench.spreadFigures(archives: archives, peers: spread, rounds: options.rounds)
        }
        report(figures, json: options.json)
    }
}

enum DirectoryBench {
    static func figures(authorities: Int, rounds: Int) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        let entries = (0..<authorities).map { index in
            let code = index == 0 ? "430100" : String(500_000 + index)
            return AuthorityDirectory.Entry(
                code: code, name: "Authority \(code)", nameZh: "车管所 \(code)", url: index == 0 ? mock.url : "https://127.0.0.1:9",
                modes: [.push], spkiSha256: [Data(repeating: UInt8(index % 256), count: 32).base64EncodedString()])
        }
        let directory = AuthorityDirectory(
            serial: 1, issuedAt: Date(), nextUpdate: Date().addingTimeInterval(86_400), issuer: "bench", authorities: entries)
        let signed = try SignedDirectory.sign(directory, identity: try pki.identity(TestPKI.directoryOperator))
        try Data(signed).write(to: URL(fileURLWithPath: "\(published)/directory.p7m"))
        let table = "[directory]\nurl = \"\(mock.url)/published/directory.p7m\"\ntrust = [\"\(pki.ca)\"]\nrefresh = \"1h\""

        // A first start of each fetches (or has) its peers; the measured ones are restarts, with the
        // last good directory kept in the state directory, as in production.
        let directoryDaemon = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: table)
        let onePeerDaemon = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: mock.url)])
        for (daemon, expected) in [(directoryDaemon, authorities), (onePeerDaemon, 1)] {
            let started = Date()
            try await daemon.start()
            while peerCount(daemon) != expected {
                guard Date().timeIntervalSince(started) < 60 else { throw BenchFailure.setup("dossierd never had \(expected) peers") }
                try await Task.sleep(for: .milliseconds(50))
            }
            _ = try await daemon.stop()
        }
        var withDirectory: [(seconds: Double, rss: Double)] = []
        var onePeer: [(seconds: Double, rss: Double)] = []
        // Who restarts first alternates, each after `sync()`: in `all` this follows benches that
        // leave hundreds of MiB being written back and discarded, which slowed whichever went first.
        // At least nine pairs: a start lasts about 50 ms, and one stall of the disk in three
        // restarts moved the median by a fifth.
        for round in 0..<max(9, rounds) {
            try await inAlternatingOrder(round: round) {
                withDirectory.append(try await restartAndIdle(directoryDaemon, expecting: authorities))
            } theirs: {
                onePeer.append(try await restartAndIdle(onePeerDaemon, expecting: 1))
            }
        }
        _ = try await mock.stop()
        let (start400, start1) = (median(withDirectory.map(\.seconds)), median(onePeer.map(\.seconds)))
        let (rss400, rss1) = (median(withDirectory.map(\.rss)), median(onePeer.map(\.rss)))
        let mib = 1024.0 * 1024
        return [
            Figure(
                area: "directory", figure: "restart to listening, \(authorities) directory peers in force", value: start400 * 1000,
                unit: "ms", baseline: "1 local peer", baselineValue: start1 * 1000, ratio: start1 > 0 ? start400 / start1 : 0,
                target: "≤ 1.1×", pass: start400 <= start1 * 1.1),
            Figure(
                area: "directory", figure: "idle RSS, \(authorities) directory peers", value: rss400 / mib, unit: "MiB",
                baseline: "1 local peer", baselineValue: rss1 / mib, ratio: rss1 > 0 ? rss400 / rss1 : 0,
                target: "≤ +8 MiB", pass: rss400 - rss1 <= 8 * mib),
        ]
    }

    /// Pushes per second of `archives` archives to one peer (the mock) while `authorities`
    /// directory peers are in force, beside the same with a directory of that one peer.
    static func pushFigures(archives: Int, authorities: Int, rounds: Int) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        let unreachable = (1..<max(1, authorities)).map { (code: String(500_000 + $0), url: "https://127.0.0.1:9") }
        var many: [Double] = []
        var one: [Double] = []
        for round in 0..<max(1, rounds) {
            for (others, into) in [(unreachable, 0), ([], 1)] {
                let run = PushRun(
                    entries: [("430100", mock.url)] + others, plan: [("430100", archives)], seed: UInt64(2 * round + into + 1),
                    temp: temp, pki: pki, directoryURL: "\(mock.url)/published/directory.p7m", published: published)
                let seconds = try await run.seconds()
                if into == 0 { many.append(seconds) } else { one.append(seconds) }
            }
        }
        _ = try await mock.stop()
        return [
            .higherIsBetter(
                area: "directory", figure: "\(archives) pushes to one peer, \(authorities) directory peers in force",
                value: Double(archives) / median(many), unit: "/s", baseline: "a directory of 1",
                baselineValue: Double(archives) / median(one), minRatio: 0.8)
        ]
    }

    /// Pushes per second of `archives` archives spread evenly over `peers` peers, each its own
    /// `dossier-mock-peer` process with its own certificate (a valid division code of
    /// `SampleAuthorityCodes`, issued for the run by the test PKI's CA), beside the same number
    /// pushed to the first of them alone. Both runs have the same directory of the `peers`
    /// authorities in force, so only the spread differs. The mocks share the machine with the
    /// daemon in both runs.
    static func spreadFigures(archives: Int, peers: Int, rounds: Int) async throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let codes = SampleAuthorityCodes.first(peers, excluding: ["441800", "430100", "110000", "440100"])
        guard codes.count == peers, peers <= archives else {
            throw BenchFailure.setup("--spread \(peers): at most \(codes.count) codes, and not more than --archives")
        }
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        let issued = try DossierTestSupport.run(script, [pki.dir] + codes)
        guard issued.status == 0 else { throw BenchFailure.setup("make-dev-pki.sh: \(issued.stderr)") }
        let published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        let folders = try codes.map { _ in try TempDir() }
        let mocks = try await withThrowingTaskGroup(of: (Int, MockPeerProcess).self) { group in
            for (index, code) in codes.enumerated() {
                group.addTask {
                    let extra = index == 0 ? ["--publish", published] : []
                    return (index, try await MockPeerProcess.launch(in: folders[index], extra, credentials: .shared(code)))
                }
            }
            var launched: [Int: MockPeerProcess] = [:]
            for try await (index, mock) in group { launched[index] = mock }
            return codes.indices.compactMap { launched[$0] }
        }
        let entries = zip(codes, mocks).map { (code: $0, url: $1.url) }
        let spreadPlan = codes.enumerated().map { (code: $1, count: archives / peers + ($0 < archives % peers ? 1 : 0)) }
        var spreadRuns: [Double] = []
        var onePeerRuns: [Double] = []
        for round in 0..<max(1, rounds) {
            for (plan, into) in [(spreadPlan, 0), ([(code: codes[0], count: archives)], 1)] {
                let run = PushRun(
                    entries: entries, plan: plan, seed: UInt64(1000 + 2 * round + into), temp: temp, pki: pki,
                    directoryURL: "\(mocks[0].url)/published/directory.p7m", published: published)
                let seconds = try await run.seconds()
                if into == 0 { spreadRuns.append(seconds) } else { onePeerRuns.append(seconds) }
            }
        }
        for mock in mocks { _ = try await mock.stop() }
        // The mocks' folders must outlive them: an optimised build ends an unused array's
        // lifetime early, and each TempDir deletes its folder when it goes (the mocks then
        // answered 500 to every push and the run never ended).
        withExtendedLifetime(folders) {}
        return [
            .higherIsBetter(
                area: "directory", figure: "\(archives) pushes spread over \(peers) directory peers (\(peers) mock processes)",
                value: Double(archives) / median(spreadRuns), unit: "/s", baseline: "all to 1 of them",
                baselineValue: Double(archives) / median(onePeerRuns), minRatio: 0.8)
        ]
    }

    /// One timed push run: a fresh daemon for 441800 with no `[[peers]]`, its peers `entries`
    /// from a directory at `directoryURL`. The `plan`'s archives (per destination) are packed
    /// and queued while every entry is `pull` in the directory (waiting, not pushed); the clock
    /// starts when a directory making them `push` is fetched (SIGHUP) and stops when every
    /// archive is delivered.
    private struct PushRun {
        var entries: [(code: String, url: String)]
        var plan: [(code: String, count: Int)]
        var seed: UInt64
        var temp: TempDir
        var pki: TestPKI
        var directoryURL: String
        var published: String

        func seconds() async throws -> Double {
            let archives = plan.map(\.count).reduce(0, +)
            try publish(serial: 1, mode: .pull)
            let table = "[directory]\nurl = \"\(directoryURL)\"\ntrust = [\"\(pki.ca)\"]\nrefresh = \"1h\""
            let daemon = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: table)
            try await daemon.start(notifying: true)
            let started = Date()
            while DirectoryBench.peerCount(daemon) != entries.count {
                guard Date().timeIntervalSince(started) < 60 else { throw BenchFailure.setup("dossierd never had \(entries.count) peers") }
                try await Task.sleep(for: .milliseconds(50))
            }
            for (index, (code, count)) in plan.enumerated() {
                let folders = try SampleGenerator(
                    seed: seed &* 1000 &+ UInt64(index), count: count, documents: 2, documentSize: 16 << 10, destination: code
                ).generate(into: temp.url.appendingPathComponent("dossiers-\(UUID().uuidString)"))
                let intake = daemon.state.appendingPathComponent("intake/\(code)")
                try FileManager.default.createDirectory(at: intake, withIntermediateDirectories: true)
                for folder in folders {
                    try FileManager.default.moveItem(at: folder, to: intake.appendingPathComponent(folder.lastPathComponent))
                }
            }
            _ = try await daemon.waitForQueue(timeout: 900) { $0.count == archives }
            try publish(serial: 2, mode: .push)
            let start = Date()
            try daemon.reload()
            _ = try await daemon.waitForQueue(timeout: 900) { lines in
                lines.count == archives && lines.allSatisfy { $0["state"] as? String == "delivered" }
            }
            let seconds = Date().timeIntervalSince(start)
            _ = try await daemon.stop()
            return seconds
        }

        /// Signs the directory of `entries`, every one in `mode`, and publishes it.
        private func publish(serial: UInt64, mode: AuthorityDirectory.Mode) throws {
            let authorities = entries.map {
                AuthorityDirectory.Entry(code: $0.code, name: "Authority \($0.code)", nameZh: "车管所 \($0.code)", url: $0.url, modes: [mode])
            }
            let directory = AuthorityDirectory(
                serial: serial, issuedAt: Date(), nextUpdate: Date().addingTimeInterval(86_400), issuer: "bench", authorities: authorities)
            let signed = try SignedDirectory.sign(directory, identity: try pki.identity(TestPKI.directoryOperator))
            try Data(signed).write(to: URL(fileURLWithPath: "\(published)/directory.p7m"), options: .atomic)
        }
    }

    /// Seconds from launch until the daemon listens (its peers, the kept directory's among them,
    /// are in force by then), checked to hold `expecting` peers, and its resident memory two
    /// seconds later.
    private static func restartAndIdle(_ daemon: DaemonProcess, expecting: Int) async throws -> (seconds: Double, rss: Double) {
        let start = Date()
        try await daemon.start()
        let seconds = Date().timeIntervalSince(start)
        guard peerCount(daemon) == expecting else { throw BenchFailure.setup("dossierd did not start with \(expecting) peers") }
        try await Task.sleep(for: .seconds(2))
        let rss = procStatusKiB(daemon.process.processIdentifier, "VmRSS:") * 1024
        _ = try await daemon.stop()
        return (seconds, rss)
    }

    /// How many peers `dossierctl peers --json` lists; nil when it cannot tell.
    fileprivate static func peerCount(_ daemon: DaemonProcess) -> Int? {
        guard let result = try? daemon.ctl(["peers", "--json"]), result.status == 0 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Any])?.count
    }
}
