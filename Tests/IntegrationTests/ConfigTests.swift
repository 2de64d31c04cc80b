import DossierDaemon
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// A config error names the file, the key and what is wrong; the daemon does not start.
@Suite struct ConfigTests {
    static let valid = """
        [authority]
        code = "441800"
        [tls]
        certificate = "c.pem"
        key = "k.pem"
        trust = ["ca.pem"]
        [[peers]]
        code = "430100"
        url = "https://peer.example:8443"
        """

    func problem(_ text: String) -> ConfigError? {
        do { _ = try DaemonConfig.parse(text, file: "/etc/dossierd/dossierd.toml"); return nil } catch { return error }
    }

    @Test func validConfigResolvesPathsAndDefaults() throws {
        let config = try DaemonConfig.parse(Self.valid, file: "/etc/dossierd/dossierd.toml")
        #expect(config.certificateFile == "/etc/dossierd/c.pem")
        #expect(config.trustFiles == ["/etc/dossierd/ca.pem"])
        #expect(config.retry.firstDelay == 5)
        #expect(config.retry.cap == 600)
        #expect(config.retry.giveUpAfter == 72 * 3600)
        #expect(config.peers.map(\.code) == ["430100"])
        #expect(config.peers[0].mode == .push)
        #expect(config.peers[0].spkiSHA256.isEmpty)
        // Only configured peers may call, unless the operator opens the door.
        #expect(!config.acceptUnlistedPeers && config.accepts(caller: "430100") && !config.accepts(caller: "110000"))
        let open = try DaemonConfig.parse(
            Self.valid.replacingOccurrences(of: "[[peers]]", with: "[server]\naccept_unlisted_peers = true\n[[peers]]"),
            file: "/etc/dossierd/dossierd.toml")
        #expect(open.accepts(caller: "110000"))
        let pin = String(repeating: "A", count: 43) + "="
        let pinned = try DaemonConfig.parse(Self.valid + "\nspki_sha256 = [\"\(pin)\"]", file: "/etc/dossierd/dossierd.toml")
        #expect(pinned.peers[0].identity == PeerIdentity(code: "430100", spkiSHA256: [[UInt8](repeating: 0, count: 32)]))
    }

    @Test(arguments: [
        ("", "authority", "missing table"),
        (valid.replacingOccurrences(of: "\"441800\"", with: "\"4418\""), "authority.code", "6-digit"),
        (valid + "\ncolour = \"red\"", "peers[0].colour", "unknown key"),
        (valid.replacingOccurrences(of: "https://peer.example:8443", with: "http://peer.example"), "peers[0].url", "https://"),
        (valid + "\n[retry]\nfirst_delay = \"soon\"", "retry.first_delay", "duration"),
        // Once a trap at start (found in review): NIO's time amounts are 64-bit nanoseconds.
        (valid + "\n[server]\nidle_timeout = inf", "server.idle_timeout", "100 years"),
        (valid + "\n[server]\nidle_timeout = \"1e12s\"", "server.idle_timeout", "100 years"),
        (valid + "\n[retry]\nfactor = \"two\"", "retry.factor", "number"),
        (valid + "\n[server]\nlisten = \"nowhere\"", "server.listen", "host:port"),
        (valid + "\n[[peers]]\ncode = \"430100\"\nurl = \"https://x.example\"", "peers[1].code", "twice"),
        (valid + "\nmode = \"carrier-pigeon\"", "peers[0].mode", "push, pull, both"),
        (valid.replacingOccurrences(of: "trust = [\"ca.pem\"]", with: ""), "tls.trust", "CA"),
        (valid + "\n[limits]\nmax_archive_size = \"lots\"", "limits.max_archive_size", "size"),
        (valid + "\n[admin]\nmetrics_listen = \"0.0.0.0:9464\"", "admin.metrics_listen", "loopback"),
        (valid + "\nspki_sha256 = [\"c2hvcnQ=\"]", "peers[0].spki_sha256", "SHA-256"),
        (valid + "\n[server]\naccept_unlisted_peers = \"yes\"", "server.accept_unlisted_peers", "true or false"),
        (valid + "\n[signing]\ncertificate = \"s.pem\"", "signing.key", "go together"),
        (valid + "\n[signing]\nrequire_profile = \"rsa\"", "signing.require_profile", "sha256, sm2-sm3"),
    ])
    func errorsNameTheKey(text: String, key: String, words: String) {
        let error = problem(text)
        #expect(error?.file == "/etc/dossierd/dossierd.toml")
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.problem.contains(words) == true, "\(String(describing: error))")
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        let error = problem("[authority]\ncode = = 1\n")
        #expect(error?.key == "")
        #expect(error?.problem.contains("line 2") == true, "\(String(describing: error))")
    }

    @Test func theDocumentedExampleParses() throws {
        let example = packageRoot.appendingPathComponent("Config/dossierd.toml").path
        let config = try DaemonConfig.load(path: example)
        #expect(config.authorityCode == "441800")
        #expect(config.peers.first?.code == "430100")
    }

    @Test func checkConfigCommand() throws {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let daemon = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")])
        let ok = try run(product("dossierd"), ["--config", daemon.configFile.path, "--check-config"])
        #expect(ok.status == 0, "\(ok.stderr)")
        // A certificate of another authority than authority.code is refused, naming both.
        try daemon.writeConfig(pki: pki, peers: [], certificate: pki.cert("430100"), key: pki.key("430100"))
        let wrong = try run(product("dossierd"), ["--config", daemon.configFile.path, "--check-config"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("430100") && wrong.stderr.contains("441800"), "\(wrong.stderr)")
        // A private key group or others can read: refused, naming the file and its mode.
        let exposed = temp.path("exposed.key")
        try FileManager.default.copyItem(atPath: pki.key("441800"), toPath: exposed)
        chmod(exposed, 0o644)
        try daemon.writeConfig(pki: pki, peers: [], key: exposed)
        let readable = try run(product("dossierd"), ["--config", daemon.configFile.path, "--check-config"])
        #expect(readable.status == 2)
        #expect(readable.stderr.contains(exposed) && readable.stderr.contains("0644"), "\(readable.stderr)")
        let started = try run(product("dossierd"), ["--config", daemon.configFile.path])
        #expect(started.status != 0 && started.stderr.contains("0644"), "\(started.stderr)")
        chmod(exposed, 0o600)
        #expect(try run(product("dossierd"), ["--config", daemon.configFile.path, "--check-config"]).status == 0)
        let missing = try run(product("dossierd"), ["--config", temp.path("nope.toml"), "--check-config"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.toml"))
    }

    @Test func signingDefaultsToTLSAndParsesTheProfile() throws {
        let config = try DaemonConfig.parse(Self.valid, file: "/etc/dossierd/dossierd.toml")
        #expect(config.signingCertificateFile == "/etc/dossierd/c.pem" && config.signingKeyFile == "/etc/dossierd/k.pem")
        #expect(config.requiredProfile == nil)
        let separate = try DaemonConfig.parse(
            Self.valid.replacingOccurrences(
                of: "[[peers]]", with: "[signing]\ncertificate = \"s.pem\"\nkey = \"s.key\"\nrequire_profile = \"sm2-sm3\"\n[[peers]]"),
            file: "/etc/dossierd/dossierd.toml")
        #expect(separate.signingCertificateFile == "/etc/dossierd/s.pem" && separate.signingKeyFile == "/etc/dossierd/s.key")
        #expect(separate.certificateFile == "/etc/dossierd/c.pem")
        #expect(separate.requiredProfile == .sm2SM3)
    }

    /// `[signing]` beside `[tls]`: an SM2 signer with an EC TLS certificate of the same authority
    /// starts; another authority's signer, or a signing key others can read, does not.
    @Test func checkConfigWithASeparateSigner() throws {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let daemon = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [])
        func check(signer code: String, key: String? = nil) throws -> ProcessResult {
            try daemon.writeConfig(
                pki: pki, peers: [], extra: "[signing]\ncertificate = \"\(pki.cert(code))\"\nkey = \"\(key ?? pki.key(code))\"")
            return try run(product("dossierd"), ["--config", daemon.configFile.path, "--check-config"])
        }
        let ok = try check(signer: "441800-sm2")
        #expect(ok.status == 0, "\(ok.stderr)")
        let other = try check(signer: "430100-sm2")
        #expect(other.status == 2)
        #expect(other.stderr.contains("signing.certificate") && other.stderr.contains("430100"), "\(other.stderr)")
        let exposed = temp.path("exposed-sm2.key")
        try FileManager.default.copyItem(atPath: pki.key("441800-sm2"), toPath: exposed)
        chmod(exposed, 0o644)
        let readable = try check(signer: "441800-sm2", key: exposed)
        #expect(readable.status == 2)
        #expect(readable.stderr.contains("signing.key") && readable.stderr.contains("0644"), "\(readable.stderr)")
    }
}
