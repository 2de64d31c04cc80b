import Foundation

/// `dossier-mock-tsa` launched as a real process on 127.0.0.1 (port 0), with the test TSA
/// certificate of `TimestampPKI` unless told otherwise.
public final class MockTSAProcess: Sendable {
    public let process: Process
    public let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// `http://127.0.0.1:<port>/`.
    public var url: String { "http://127.0.0.1:\(port)/" }

    /// Starts the mock and waits (up to 20 s) for its `listening` line. `fault` is one of
    /// `none`, `down`, `slow`, `wrong-imprint`; `untrusted` serves with the unrelated CA's TSA
    /// certificate.
    public static func launch(in dir: TempDir, fault: String = "none", untrusted: Bool = false, slowSeconds: Double = 5)
        async throws -> MockTSAProcess
    {
        let executable = product("dossier-mock-tsa")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError.failed("build dossier-mock-tsa first (swift build)")
        }
        let pki = TimestampPKI.shared
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--cert", untrusted ? pki.otherTSACertificate : pki.tsaCertificate, "--key", untrusted ? pki.otherTSAKey : pki.tsaKey,
            "--fault", fault, "--slow-seconds", "\(slowSeconds)",
        ]
        let line = try await launchUntilListening(process, output: dir.url.appendingPathComponent("tsa-stdout-\(UUID().uuidString)"))
        guard let port = line?.split(separator: ":").last.flatMap({ Int($0) }) else {
            if process.isRunning { process.terminate() }
            throw HarnessError.failed("dossier-mock-tsa printed no listening line")
        }
        return MockTSAProcess(process: process, port: port)
    }

    /// Changes the fault in force (`PUT /fault`).
    public func setFault(_ fault: String) async throws {
        let result = try await runDetached("curl", ["-sS", "--fail", "--max-time", "10", "-X", "PUT", "--data", fault, "\(url)fault"])
        guard result.status == 0 else { throw HarnessError.failed("setting the TSA fault: \(result.stderr)") }
    }

    deinit { if process.isRunning { process.terminate() } }
}
