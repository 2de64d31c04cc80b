import DossierArchive
import DossierDaemon
import DossierTestSupport
import Foundation
import Testing

/// docs/directory.md, "Peers": the peers in force are the directory's active entries and the
/// local `[[peers]]`, a local entry overriding URL, mode and limits; a suspended authority is
/// neither a peer nor let in.
@Suite struct DirectoryPeersTests {
    static let config =
        ConfigTests.valid + """

            mode = "both"
            max_concurrent = 9
            spki_sha256 = ["\(Data(repeating: 1, count: 32).base64EncodedString())"]
            [[peers]]
            code = "310000"
            url = "https://shanghai.example"
            [directory]
            url = "https://directory.example/authorities.p7m"
            trust = ["operator-ca.pem"]
            refresh = "10m"
            """

    @Test func directoryAndLocalPeersMerge() throws {
        let config = try DaemonConfig.parse(Self.config, file: "/etc/dossierd/dossierd.toml")
        let settings = try #require(config.directory)
        #expect(settings.url == "https://directory.example/authorities.p7m" && settings.refresh == 600)
        #expect(settings.trustFiles == ["/etc/dossierd/operator-ca.pem"])
        let pin = Data(repeating: 2, count: 32).base64EncodedString()
        let directory = AuthorityDirectory(
            serial: 1, issuedAt: Date(), nextUpdate: Date().addingTimeInterval(3600), issuer: "operator",
            authorities: [
                .init(code: "430100", name: "Changsha", nameZh: "长沙", url: "https://listed.example", modes: [.push], spkiSha256: [pin]),
                .init(code: "110000", name: "Beijing", nameZh: "北京", url: "https://beijing.example", modes: [.pull]),
                .init(code: "440100", name: "Guangzhou", nameZh: "广州", url: "https://gz.example", modes: [.push], status: .suspended),
                .init(code: "441800", name: "Qingyuan", nameZh: "清远", url: "https://self.example", modes: [.push]),
            ])
        let merged = config.applying(directory: directory)
        #expect(merged.peers.map(\.code).sorted() == ["110000", "310000", "430100"])
        let changsha = try #require(merged.peer("430100"))
        #expect(changsha.url == "https://peer.example:8443" && changsha.mode == .both && changsha.maxConcurrent == 9)
        #expect(changsha.spkiSHA256.count == 2)
        #expect(merged.peer("110000")?.mode == .pull)
        #expect(merged.source(of: "430100") == .both && merged.source(of: "110000") == .directory && merged.source(of: "310000") == .local)
        #expect(merged.accepts(caller: "110000") && !merged.accepts(caller: "440100") && !merged.accepts(caller: "999999"))

        // Suspending a locally configured authority removes it too; without a directory, the local peers.
        var suspended = directory
        suspended.authorities[0].status = .suspended
        #expect(config.applying(directory: suspended).peer("430100") == nil)
        #expect(!config.applying(directory: suspended).accepts(caller: "430100"))
        #expect(config.applying(directory: nil).peers.map(\.code) == ["430100", "310000"])
    }

    @Test func directoryKeysAreChecked() {
        let bad = Self.config.replacingOccurrences(of: "refresh = \"10m\"", with: "refresh = \"10m\"\nrefrsh = 1")
        #expect(throws: ConfigError.self) { try DaemonConfig.parse(bad, file: "/etc/dossierd/dossierd.toml") }
        let noTrust = Self.config.replacingOccurrences(of: "trust = [\"operator-ca.pem\"]", with: "")
        #expect(throws: ConfigError.self) { try DaemonConfig.parse(noTrust, file: "/etc/dossierd/dossierd.toml") }
    }
}
