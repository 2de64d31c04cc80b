import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// The client's TLS policy (docs/protocol.md §2): against `openssl s_server` offering one TLS 1.2
/// suite, libcurl completes the handshake only for ECDHE with AEAD, with EC and RSA certificates.
@Suite(.serialized) struct OutboundTLSPolicyTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test(arguments: [
        ("430100", "ECDHE-ECDSA-AES128-GCM-SHA256", true), ("430100", "ECDHE-ECDSA-CHACHA20-POLY1305", true),
        ("430100", "ECDHE-ECDSA-AES128-SHA", false), ("430100", "ECDHE-ECDSA-AES256-SHA384", false),
        ("430100-rsa", "ECDHE-RSA-AES256-GCM-SHA384", true), ("430100-rsa", "AES128-GCM-SHA256", false),
        ("430100-rsa", "AES256-SHA256", false), ("430100-rsa", "ECDHE-RSA-AES128-SHA", false),
    ])
    func onlyECDHEWithAEADIsAccepted(certificate: String, suite: String, accepted: Bool) async throws {
        let server = try OneSuiteServer(certificate: pki.cert(certificate), key: pki.key(certificate), suite: suite, in: temp)
        defer { server.stop() }
        // s_server -www's answer is no health JSON, and it may not end the connection: any outcome
        // but a TLS failure means the suite was negotiated.
        var options = PeerClient.Options()
        options.totalTimeout = 5
        let client = try pki.client(options: options)
        defer { client.shutdown() }
        let operations = PeerOperations(client: client, trust: try pki.currentTrust())
        var refusal: TransportError?
        do {
            _ = try await operations.health(baseURL: "https://127.0.0.1:\(try await server.port())", peer: PeerIdentity(code: "430100"))
        } catch let error as TransportError {
            if case .tls = error { refusal = error }
        } catch {}
        #expect((refusal == nil) == accepted, "\(suite) with \(certificate): \(refusal.map { "\($0)" } ?? "negotiated")")
    }
}

/// `openssl s_server` on 127.0.0.1 (port chosen by the OS) offering exactly one TLS 1.2 suite.
final class OneSuiteServer: @unchecked Sendable {
    // Safe: one test owns it; `process` and `output` are set once.
    private let process = Process()
    private let output: URL

    init(certificate: String, key: String, suite: String, in temp: TempDir) throws {
        output = temp.url.appendingPathComponent("s_server-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Line-buffered, so the ACCEPT line reaches the file at once.
        process.arguments = [
            "stdbuf", "-oL", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", certificate, "-key", key,
            "-tls1_2", "-cipher", suite, "-www",
        ]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The port from its `ACCEPT 127.0.0.1:<port>` line (10 s at most).
    func port() async throws -> Int {
        var port: Int?
        _ = try await eventually {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            port = text.split(separator: "\n").first { $0.hasPrefix("ACCEPT ") }?.split(separator: ":").last.flatMap { Int($0) }
            return port != nil || !process.isRunning
        }
        guard let port else { throw HarnessError.failed("openssl s_server did not listen") }
        return port
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
