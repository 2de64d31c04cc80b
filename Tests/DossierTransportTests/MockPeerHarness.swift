import DossierTransport
import DossierTestSupport
import Foundation
import Testing

/// `dossier-mock-peer` (authority 430100) launched as a real process with its state in `dir`.
final class MockPeerProcess {
    let process: Process
    let port: Int
    let controlPort: Int
    private let output: URL

    static var executable: String { packageRoot.appendingPathComponent(".build/debug/dossier-mock-peer").path }

    private init(process: Process, port: Int, controlPort: Int, output: URL) {
        self.process = process
        self.port = port
        self.controlPort = controlPort
        self.output = output
    }

    /// Starts the mock and waits (up to 20 s) for its `listening` line.
    static func launch(in dir: TempDir, _ extra: [String] = []) async throws -> MockPeerProcess {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build dossier-mock-peer first (swift build)")
        let pki = TestPKI.shared
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--cert", pki.cert("430100"), "--key", pki.key("430100"), "--ca", pki.ca,
                             "--state", dir.path("mock-state")] + extra
        let output = dir.url.appendingPathComponent("mock-stdout-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: Substring?
        _ = try await eventually(seconds: 20) {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            line = text.split(separator: "\n").first { $0.hasPrefix("listening ") }
            return line != nil || !process.isRunning
        }
        // `listening 127.0.0.1:<port> control <port>`
        let words = line?.split(separator: " ") ?? []
        guard words.count == 4, let port = words[1].split(separator: ":").last.flatMap({ Int($0) }), let control = Int(words[3]) else {
            if process.isRunning { process.terminate() }
            throw MockPeerFailure.noListeningLine(String(line ?? "(nothing)"))
        }
        return MockPeerProcess(process: process, port: port, controlPort: control, output: output)
    }

    enum MockPeerFailure: Error { case noListeningLine(String) }

    /// A request to the plain-HTTP control endpoint.
    func control(_ method: String, _ path: String, json: String? = nil) async throws -> (status: Int, body: [UInt8]) {
        var args = ["-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}"]
        if let json { args += ["-H", "Content-Type: application/json", "--data", json] }
        let result = try await runDetached("curl", args + ["http://127.0.0.1:\(controlPort)\(path)"])
        let status = Int(result.stdout.split(separator: "\n").last ?? "") ?? 0
        let body = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n")
        return (status, Array(body.utf8))
    }

    /// Sends SIGTERM and waits up to 15 s for the exit; returns the exit status (nil if it
    /// had to be killed).
    func stop() async throws -> Int32? {
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
func withMockPeer<T>(in dir: TempDir, _ extra: [String] = [], _ body: (MockPeerProcess) async throws -> T) async throws -> T {
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
struct LogLine: Decodable {
    var method: String
    var path: String
    var caller: String?
    var status: Int
    var faults: [String]
}

/// The mock's `GET /received` entries.
struct ReceivedLine: Decodable {
    var id: String
    var digest: String
    var status: String
}
