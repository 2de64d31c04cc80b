import DossierTestSupport
import Foundation
import Testing

/// The units in systemd/ are checked by systemd's own analyzer when it is installed.
@Suite struct SystemdUnitTests {
    static let analyzer = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The unit with ExecStart pointing at the built binary (`verify` wants it to exist).
    func unitForThisBuild(_ temp: TempDir) throws -> String {
        let unit = try String(contentsOf: packageRoot.appendingPathComponent("systemd/dossierd.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/dossierd", with: product("dossierd"))
        let path = temp.path("dossierd.service")
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: analyzer != nil, "systemd-analyze is not installed"))
    func hardenedToAtMostTwo() throws {
        let temp = try TempDir()
        let unit = try unitForThisBuild(temp)
        // --threshold is the exposure score × 10: fail above 2.0.
        let result = try run(Self.analyzer ?? "", ["security", "--offline=true", "--threshold=20", unit])
        #expect(result.status == 0, "\(result.stdout)")
        let overall = result.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
        #expect(overall.contains("OK") || overall.contains("SAFE"), "\(overall)")
    }

    @Test(.enabled(if: analyzer != nil, "systemd-analyze is not installed"))
    func verifiesClean() throws {
        let temp = try TempDir()
        let result = try run(Self.analyzer ?? "", ["verify", try unitForThisBuild(temp)])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func sysusersAndTmpfilesNameTheSameUser() throws {
        let sysusers = try String(contentsOf: packageRoot.appendingPathComponent("systemd/dossierd.sysusers"), encoding: .utf8)
        let tmpfiles = try String(contentsOf: packageRoot.appendingPathComponent("systemd/dossierd.tmpfiles"), encoding: .utf8)
        let unit = try String(contentsOf: packageRoot.appendingPathComponent("systemd/dossierd.service"), encoding: .utf8)
        #expect(sysusers.contains("u dossierd"))
        #expect(tmpfiles.contains("dossierd dossierd"))
        #expect(unit.contains("User=dossierd") && unit.contains("Type=notify") && unit.contains("WatchdogSec="))
    }
}
