import Foundation

/// A real `dossier-mock-peer` process: its own authority code and certificate, listening on
/// 127.0.0.1 with OS-picked ports; faults set by command-line flags and through its plain-HTTP
/// control endpoint (driven with the `curl` command line).
public final class MockPeerProcess: @unchecked Sendable {
    // Safe: one test drives one mock from one task.
    public let code: String
    public let process = Process()
    public private(set) var port = 0
    public private(set) var controlPort = 0
    public let state: URL

    /// Starts the mock and waits for its `listening <host>:<port> control <port>` line.
    public init(code: String = "430100", in parent: URL, pki: TestPKI, flags: [String] = []) async throws {
        self.code = code
        state = parent.appendingPathComponent("mock-\(code)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: product("dossier-mock-peer"))
        process.arguments = ["--cert", pki.cert(code), "--key", pki.key(code), "--ca", pki.ca, "--state", state.path] + flags
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let reader = out.fileHandleForReading
        let deadline = Date().addingTimeInterval(10)
        var text = ""
        while Date() < deadline, !text.contains("\n"), process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(20)); continue }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard words.count >= 4, words[0] == "listening", let peer = words[1].split(separator: ":").last.flatMap({ Int($0) }),
              let control = Int(words[3]) else {
            throw HarnessError.failed("dossier-mock-peer did not say it was listening: \(text)")
        }
        port = peer
        controlPort = control
    }

    public var url: String { "https://127.0.0.1:\(port)" }

    /// Sends a control request; returns the body.
    @discardableResult
    public func control(_ method: String, _ path: String, json: String? = nil) throws -> String {
        var arguments = ["-s", "-X", method, "http://127.0.0.1:\(controlPort)\(path)"]
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        let result = try run("curl", arguments)
        guard result.status == 0 else { throw HarnessError.failed("control \(method) \(path): \(result.stderr)") }
        return result.stdout
    }

    /// The archives the mock stored, as `[[id, digest, status]]` JSON objects.
    public func received() throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(try control("GET", "/received").utf8)) as? [[String: Any]]) ?? []
    }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}
