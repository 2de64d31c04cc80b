import Foundation
import Synchronization

/// A real `dossierd` process for tests: its own state folder and config under a temp folder,
/// listening on 127.0.0.1 with a port the OS picks, stopped with a signal of the test's choice.
/// Thread-safe: what a start replaces is behind a Mutex.
public final class DaemonProcess: Sendable {
    public let code: String
    /// `timing.intake_poll` written into the config.
    public let intakePoll: String
    public let root: URL
    public let configFile: URL
    /// The state directory: `<root>/state` unless the test chose another.
    public let state: URL
    public var socket: String { root.appendingPathComponent("admin.sock").path }
    public var logFile: URL { root.appendingPathComponent("dossierd-\(current.withLock { $0.runs }).log") }
    /// The daemon of the latest `start` (a fresh, unstarted one before the first).
    public var process: Process { current.withLock { $0.process } }
    /// The notify socket the daemon reports to, once started with `notifying: true`.
    public var notify: NotifySocket? { current.withLock { $0.notify } }

    /// What each `start` replaces or counts.
    private struct Run {
        var process = Process()
        var runs = 0
        var notify: NotifySocket?
    }
    private let current = Mutex(Run())

    /// One peer entry of the config.
    public struct Peer: Sendable {
        public var code: String
        public var url: String
        public var mode: String
        public var maxConcurrent: Int
        /// The peer holds archives for this daemon, which polls it.
        public var poll: Bool
        public init(code: String, url: String, mode: String = "push", maxConcurrent: Int = 4, poll: Bool = false) {
            self.code = code
            self.url = url
            self.mode = mode
            self.maxConcurrent = maxConcurrent
            self.poll = poll
        }
    }

    /// Writes the config (see `config(...)`) and nothing else; call `start()`.
    public init(
        code: String, in parent: URL, pki: TestPKI, peers: [Peer], extra: String = "", server: String = "",
        admin: String = "", state: URL? = nil, intakePoll: String = "100ms"
    ) throws {
        self.code = code
        self.intakePoll = intakePoll
        root = parent.appendingPathComponent("daemon-\(code)-\(UUID().uuidString.prefix(8))")
        self.state = state ?? root.appendingPathComponent("state")
        configFile = root.appendingPathComponent("dossierd.toml")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try writeConfig(pki: pki, peers: peers, extra: extra, server: server, admin: admin)
    }

    /// (Re)writes the config file; `extra` adds tables at the end, `server` keys to [server],
    /// `tls` keys to [tls] (e.g. `crl = [...]`), `admin` keys to [admin] (e.g. `metrics_listen`).
    public func writeConfig(
        pki: TestPKI, peers: [Peer], extra: String = "", server: String = "", tls: String = "", admin: String = "",
        certificate: String? = nil, key: String? = nil
    ) throws {
        let peerTables = peers.map {
            "[[peers]]\ncode = \"\($0.code)\"\nurl = \"\($0.url)\"\nmode = \"\($0.mode)\"\nmax_concurrent = \($0.maxConcurrent)\npoll = \($0.poll)\n"
        }.joined(separator: "\n")
        let text = """
            [authority]
            code = "\(code)"
            name = "Test authority \(code)"
            [tls]
            certificate = "\(certificate ?? pki.cert(code))"
            key = "\(key ?? pki.key(code))"
            trust = ["\(pki.ca)", "\(pki.sm2CA)"]
            \(tls)
            [server]
            listen = "127.0.0.1:0"
            \(server)
            [state]
            directory = "\(state.path)"
            [admin]
            socket = "\(socket)"
            \(admin)
            [retry]
            first_delay = "100ms"
            max_delay = "1s"
            [timing]
            intake_poll = "\(intakePoll)"
            pull_poll = "200ms"
            drain_timeout = "5s"
            \(extra)

            \(peerTables)
            """
        try text.write(to: configFile, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon (with `environment` added) and waits until it listens; with
    /// `notifying`, it reports to `notify` (kept across restarts) and is waited for until READY=1.
    /// - Returns: the `host:port` it listens on.
    @discardableResult
    public func start(environment: [String: String] = [:], arguments: [String] = [], notifying: Bool = false) async throws -> String {
        var environment = environment
        if notifying {
            let socket = try notify ?? NotifySocket(path: root.appendingPathComponent("notify.sock").path)
            socket.discardQueued()
            current.withLock { $0.notify = socket }
            environment["NOTIFY_SOCKET"] = socket.path
        }
        try? FileManager.default.removeItem(at: state.appendingPathComponent("dossierd.listen"))
        let process = Process()
        current.withLock {
            $0.runs += 1
            $0.process = process
        }
        process.executableURL = URL(fileURLWithPath: product("dossierd"))
        process.arguments = ["--config", configFile.path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let address = try await waitForListen()
        if notifying, let notify, !notify.read(until: "READY=1").contains(where: { $0.contains("READY=1") }) {
            throw HarnessError.timeout("dossierd \(code) listens but sent no READY=1 within 10 s")
        }
        return address
    }

    /// Sends SIGHUP and waits (10 s at most) for the READY=1 that ends the reload, accepted or
    /// refused. Needs `start(notifying: true)`.
    /// - Returns: the notifications read, RELOADING=1 among them.
    @discardableResult
    public func reload() throws -> [String] {
        guard let notify else { throw HarnessError.failed("reload() needs a daemon started with notifying: true") }
        notify.discardQueued()
        kill(process.processIdentifier, SIGHUP)
        let messages = notify.read(untilAll: ["RELOADING=1", "READY=1"])
        guard messages.contains(where: { $0.contains("READY=1") }) else {
            throw HarnessError.timeout("dossierd \(code) sent no READY=1 within 10 s of SIGHUP: \(messages)\n\(log)")
        }
        return messages
    }

    /// The address in `dossierd.listen`, once the daemon wrote it (10 s at most). Looked for
    /// every 5 ms: `dossier-bench directory` times start-ups of about 50 ms with it.
    public func waitForListen() async throws -> String {
        let file = state.appendingPathComponent("dossierd.listen")
        for _ in 0..<2000 {
            if let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty { return text }
            if !process.isRunning { throw HarnessError.exited(code, process.terminationStatus, log) }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw HarnessError.timeout("dossierd \(code) did not listen within 10 s\n\(log)")
    }

    /// `https://host:port` of the running daemon.
    public var url: String {
        get throws {
            guard let text = try? String(contentsOf: state.appendingPathComponent("dossierd.listen"), encoding: .utf8) else {
                throw HarnessError.timeout("dossierd \(code) is not listening")
            }
            return "https://\(text)"
        }
    }

    /// Sends `signal` and waits (30 s at most) for the exit; returns the exit status.
    ///
    /// 30 s, measured by the clock: a stop drains for up to the 5 s `drain_timeout`, then closes
    /// the journal and custody log; a slow host must not look like a hang. On a timeout the
    /// error carries the end of the daemon's log.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        let process = self.process
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(25)) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError.timeout("dossierd \(code) did not stop within 30 s of signal \(signal)\n\(log.suffix(4000))")
        }
        return process.terminationStatus
    }

    /// CPU seconds (user and system) the running daemon has used so far; nil when it does not
    /// run or Linux's proc file system is missing.
    public var cpuSeconds: Double? {
        process.isRunning ? processCPUSeconds(pid: process.processIdentifier) : nil
    }

    /// The refused intake folders shown in `intake/failed/`, sorted: each has its reason.txt
    /// (one being set aside is under a dot name until then).
    public var refusedFolders: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("intake/failed").path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Everything the daemon logged in this run.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Runs `dossierctl` against this daemon's socket, with `environment` instead of this
    /// process's when given.
    public func ctl(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        try dossierctl(arguments + ["--socket", socket], environment: environment)
    }

    /// Runs `dossierctl <arguments> --json` and decodes its answer into the admin protocol's
    /// type, as any client of the admin API would.
    /// - Throws: `HarnessError.failed` with the command's output when it fails or does not decode.
    public func ctl<T: Decodable>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let result = try ctl(arguments + ["--json"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard result.status == 0, let value = try? decoder.decode(type, from: Data(result.stdout.utf8)) else {
            throw HarnessError.failed(
                "dossierctl \(arguments.joined(separator: " ")) → \(result.status): \(result.stdout) \(result.stderr)")
        }
        return value
    }

    /// Polls `dossierctl queue --json` until `predicate` holds for the lines (30 s at most).
    public func waitForQueue(timeout: Double = 30, _ predicate: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let result = try ctl(["queue", "--json"])
            if result.status == 0, let lines = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
                predicate(lines)
            {
                return lines
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError.timeout("queue of \(code) did not reach the expected state in \(timeout) s: \(try ctl(["queue"]).stdout)")
    }

    deinit {
        let process = self.process
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Why a test harness step failed: the message says what and where.
public enum HarnessError: Error, CustomStringConvertible {
    case exited(String, Int32, String)
    case timeout(String)
    case failed(String)

    public var description: String {
        switch self {
        case let .exited(code, status, log): return "dossierd \(code) exited with \(status):\n\(log)"
        case let .timeout(text), let .failed(text): return text
        }
    }
}
