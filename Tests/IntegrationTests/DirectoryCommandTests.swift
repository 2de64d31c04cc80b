import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// docs/directory.md, "Tools": `dossierctl directory sign|show|verify`, offline, and the checks
/// behind them: a tampered, expired-signer, untrusted or rolled-back directory is refused.
@Suite struct DirectoryCommandTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    static func directory(serial: UInt64 = 1, authorities: [AuthorityDirectory.Entry]? = nil) -> AuthorityDirectory {
        AuthorityDirectory(
            serial: serial, issuedAt: Date(timeIntervalSince1970: 1_796_000_000), nextUpdate: Date().addingTimeInterval(7 * 86_400),
            issuer: "Traffic Management Bureau",
            authorities: authorities ?? [
                .init(code: "430100", name: "Changsha", nameZh: "长沙市车辆管理所", url: "https://dms.changsha.example:8443", modes: [.push]),
                .init(
                    code: "110000", name: "Beijing", nameZh: "北京市车辆管理所", url: "https://dms.beijing.example", modes: [.push, .pull],
                    spkiSha256: [Data(repeating: 7, count: 32).base64EncodedString()], status: .suspended),
            ])
    }

    @Test func signShowVerify() throws {
        let json = temp.path("authorities.json")
        try Data(Self.directory(serial: 7).encoded()).write(to: URL(fileURLWithPath: json))
        let out = temp.path("directory.p7m")
        let op = TestPKI.directoryOperator
        let signed = try dossierctl(["directory", "sign", "--in", json, "--cert", pki.cert(op), "--key", pki.key(op), "--out", out])
        #expect(signed.status == 0, "\(signed.stderr)")

        let shown = try dossierctl(["directory", "show", out, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(object["serial"] as? Int == 7)
        #expect((object["authorities"] as? [[String: Any]])?.count == 2)
        let text = try dossierctl(["directory", "show", out])
        #expect(text.stdout.contains("430100") && text.stdout.contains("suspended"), "\(text.stdout)")

        let verified = try dossierctl(["directory", "verify", out, "--trust", pki.ca, "--json"])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("\"valid\" : true"))

        // Another CA's trust: refused, exit 1.
        let untrusted = try dossierctl(["directory", "verify", out, "--trust", "\(pki.other)/ca.pem"])
        #expect(untrusted.status == 1, "\(untrusted.stdout)")
        #expect(untrusted.stdout.contains("untrusted-signer"), "\(untrusted.stdout)")

        // One byte of the content changed: the signature no longer verifies.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let name = Array("Changsha".utf8)
        let index = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<$0 + name.count]) == name })
        bytes[index] = UInt8(ascii: "K")
        let tampered = temp.path("tampered.p7m")
        try Data(bytes).write(to: URL(fileURLWithPath: tampered))
        let refused = try dossierctl(["directory", "verify", tampered, "--trust", pki.ca])
        #expect(refused.status == 1, "\(refused.stdout)")
        #expect(refused.stdout.contains("signature-invalid"), "\(refused.stdout)")

        // Setup errors are 2.
        #expect(try dossierctl(["directory", "verify", temp.path("missing.p7m"), "--trust", pki.ca]).status == 2)
    }

    @Test func signRefusesABadFieldNamingIt() throws {
        var directory = Self.directory()
        directory.authorities[0].url = "http://plain.example"
        let json = temp.path("bad.json")
        try Data(directory.encoded()).write(to: URL(fileURLWithPath: json))
        let op = TestPKI.directoryOperator
        let result = try dossierctl(
            ["directory", "sign", "--in", json, "--cert", pki.cert(op), "--key", pki.key(op), "--out", temp.path("x.p7m")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("authorities[0].url"), "\(result.stderr)")
    }

    @Test func anExpiredSignerIsRefused() throws {
        let signed = try SignedDirectory.sign(Self.directory(), identity: try pki.expiredIdentity(TestPKI.directoryOperator))
        let trust = try pki.trust()
        let error = #expect(throws: DirectoryError.self) { try SignedDirectory.verify(signed, trust: trust) }
        guard case let .signature(reasons) = error else { Issue.record("not a signature refusal: \(String(describing: error))"); return }
        #expect(reasons.contains { $0.hasPrefix("expired-signer") }, "\(reasons)")
        // Read without judging, it is still shown.
        #expect(try SignedDirectory.read(signed).directory.serial == 1)
    }

    @Test func aSerialThatDoesNotGrowIsARollback() throws {
        let current = Self.directory(serial: 5)
        #expect(throws: Never.self) { try current.checkSuccession(of: current) }
        #expect(throws: Never.self) { try Self.directory(serial: 6).checkSuccession(of: current) }
        #expect(throws: DirectoryError.rollback(serial: 4, current: 5)) { try Self.directory(serial: 4).checkSuccession(of: current) }
        var other = current
        other.authorities.removeLast()
        #expect(throws: DirectoryError.rollback(serial: 5, current: 5)) { try other.checkSuccession(of: current) }
    }
}
