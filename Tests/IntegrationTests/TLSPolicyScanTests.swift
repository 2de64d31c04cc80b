import DossierTestSupport
import Foundation
import Testing

/// docs/protocol.md (Transport and TLS) from outside: every TLS 1.2 suite this OpenSSL knows is
/// offered alone to a running `dossierd`, with an EC and with an RSA server certificate; only
/// ECDHE with AEAD may be agreed (no CBC, no SHA-1 MAC, no static RSA key exchange).
@Suite(.serialized) struct TLSPolicyScanTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    @Test(arguments: [("430100", "ECDSA"), ("430100-rsa", "RSA")])
    func onlyECDHEWithAEADIsAgreed(certificate: String, authentication: String) async throws {
        let node = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:9")])
        try node.writeConfig(
            pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:9")], certificate: pki.cert(certificate),
            key: pki.key(certificate))
        let address = try await node.start()
        let suites = try run("openssl", ["ciphers", "-tls1_2", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").map(String.init)
            .filter { !$0.hasPrefix("TLS_") }
        #expect(suites.count > 30, "\(suites)")
        var agreed: [String] = []
        for suite in suites where try await handshake(address, suite) {
            agreed.append(suite)
        }
        let allowed = ["AES128-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305"].map { "ECDHE-\(authentication)-\($0)" }
        #expect(Set(agreed) == Set(allowed), "agreed: \(agreed)")
        #expect(try await node.stop() == 0)
    }

    /// Whether a TLS 1.2 handshake offering only `suite` completes, as client 441800.
    private func handshake(_ address: String, _ suite: String) async throws -> Bool {
        let result = try await runDetached(
            "sh",
            [
                "-c",
                "openssl s_client -connect \(address) -tls1_2 -cipher '\(suite):@SECLEVEL=0' -cert \(pki.cert("441800")) "
                    + "-key \(pki.key("441800")) -CAfile \(pki.ca) </dev/null 2>&1",
            ])
        return result.stdout.contains("Cipher is \(suite)")
    }
}
