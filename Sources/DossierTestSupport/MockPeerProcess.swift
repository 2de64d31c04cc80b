import Foundation

/// `dossier-mock-peer` (authority 430100) launched as a real process with its state in
/// `<dir>/mock-state`, faults driven through its plain-HTTP control endpoint.
public final class MockPeerProcess: Sendable {
    public let process: Process
    public let port: Int
    public let controlPort: Int
    private let output: URL

    static var executable: String { product("dossier-mock-peer") }

    private init(process: Process, port: Int, controlPort: Int, output: URL) {
        self.process = process
        self.port = port
        self.controlPort = controlPort
        self.output = output
    }

    /// The files a mock authenticates with and trusts.
    public struct Credentials: Sendable {
        public var certificate: String
        public var key: String
        public var ca: String
        public init(certificate: String, key: String, ca: String) {
            self.certificate = certificate
            self.key = key
            self.ca = ca
        }
        /// `code`'s certificate and key of the shared test PKI, and its CA.
        public static func shared(_ code: String) -> Credentials {
            Credentials(certificate: TestPKI.shared.cert(code), key: TestPKI.shared.key(code), ca: TestPKI.shared.ca)
        }
    }

    /// Starts the mock and waits (up to 20 s) for its `listening` line. `certificate` names the
    /// shared test PKI's certificate it serves with (another authority's makes it an impostor
    /// of 430100); `credentials`, when given, are used instead (another PKI).
    public static func launch(
        in dir: TempDir, _ extra: [String] = [], certificate: String = "430100",
        credentials: Credentials? = nil
    ) async throws -> MockPeerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError.failed("build dossier-mock-peer first (swift build)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let credentials = credentials ?? .shared(certificate)
        process.arguments =
            [
                "--cert", credentials.certificate, "--key", credentials.key, "--ca", credentials.ca,
                "--state", dir.path("mock-state"),
            ] + extra
        let output = dir.url.appendingPathComponent("mock-stdout-\(UUID().uuidString)")
        let line = try await launchUntilListening(process, output: output)
        // `listening 127.0.0.1:<port> control <port>`
        let words = line?.split(separator: " ") ?? []
        guard words.count == 4, let port = words[1].split(separator: ":").last.flatMap({ Int($0) }), let control = Int(words[3]) else {
            if process.isRunning { process.terminate() }
            throw MockPeerFailure.noListeningLine(String(line ?? "(nothing)"))
        }
        return MockPeerProcess(process: process, port: port, controlPort: control, output: output)
    }

    public enum MockPeerFailure: Error { case noListeningLine(String) }

    deinit { if process.isRunning { process.terminate() } }

    /// A request to the plain-HTTP control endpoint.
    @discardableResult
    public func control(_ method: String, _ path: String, json: String? = nil) async throws -> (status: Int, body: [UInt8]) {
        var args = ["-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}"]
        if let json { args += ["-H", "Content-Type: application/json", "--data", json] }
        let result = try await runDetached("curl", args + ["http://127.0.0.1:\(controlPort)\(path)"])
        let status = Int(result.stdout.split(separator: "\n").last ?? "") ?? 0
        let body = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n")
        return (status, Array(body.utf8))
    }

    /// Sends SIGTERM and waits up to 15 s for the exit; returns the exit status (nil if it
    /// had to be killed).
    public func stop() async throws -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let exited = try await eventually(seconds: 15) { !process.isRunning }
        guard exited else {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }
}

/// Runs `body` against a launched mock peer and always stops it.
public func withMockPeer<T>(in dir: TempDir, _ extra: [String] = [], _ body: (MockPeerProcess) async throws -> T) async throws -> T {
    let mock = try await MockPeerProcess.launch(in: dir, extra)
    do {
        let result = try await body(mock)
        _ = try await mock.stop()
        return result
    } catch {
        _ = try? await mock.stop()
        throw error
    }
}

/// The mock's `GET /log` entries, as far as tests look at them.
public struct LogLine: Decodable, Sendable {
    public var method: String
    public var path: String
    public var caller: String?
    public var status: Int
    public var faults: [String]
}

/// The mock's `GET /received` entries.
public struct ReceivedLine: Decodable, Sendable {
    public var id: String
    public var digest: String
    public var status: String
}

extension MockPeerProcess {
    /// `https://127.0.0.1:<port>`.
    public var url: String { "https://127.0.0.1:\(port)" }

    /// The archives the mock stored.
    public func received() async throws -> [ReceivedLine] {
        try JSONDecoder().decode([ReceivedLine].self, from: Data(try await control("GET", "/received").body))
    }

    /// What the mock's `GET /stats` tells.
    private struct Stats: Decodable {
        var inboundBytes: Int
        var peakConcurrentPushes: Int
    }

    private func stats() async throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: Data(try await control("GET", "/stats").body))
    }

    /// The bytes peers sent the mock after their TLS handshakes.
    public func inboundBytes() async throws -> Int { try await stats().inboundBytes }

    /// The most archive uploads the mock ever answered at once.
    public func peakConcurrentPushes() async throws -> Int { try await stats().peakConcurrentPushes }

    /// Every request the mock saw.
    public func log() async throws -> [LogLine] {
        try JSONDecoder().decode([LogLine].self, from: Data(try await control("GET", "/log").body))
    }
}

/// Waits, polling, until `condition` holds or `seconds` pass.
/// Runs `process` with its stdout in the file `output` (stderr discarded) and returns its first
/// `listening …` line, waiting 20 s at most; nil when none came or the process ended first.
func launchUntilListening(_ process: Process, output: URL) async throws -> Substring? {
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line: Substring?
    _ = try await eventually(seconds: 20) {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        line = text.split(separator: "\n").first { $0.hasPrefix("listening ") }
        return line != nil || !process.isRunning
    }
    return line
}

public func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
