import DossierTestSupport
import Foundation
import Testing

/// The offline `dossierctl` commands as an operator runs them: exit codes and JSON shapes.
@Suite struct OfflineCommandTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func packVerifyInspect() throws {
        let sample = try SampleDossier.make(in: temp, seed: 71)
        let out = temp.path("out.dva")
        let packed = try dossierctl([
            "pack", sample.dir.path, "--to", "430100", "--cert", pki.cert("441800"),
            "--key", pki.key("441800"), "--out", out, "--json",
        ])
        #expect(packed.status == 0, "\(packed.stderr)")
        let result = try json(packed.stdout)
        let id = try #require(result["id"] as? String)
        #expect((result["sha256"] as? String)?.count == 64)
        #expect(result["size"] as? Int == (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int))

        let verified = try dossierctl(["verify", out, "--trust", pki.ca, "--expect-destination", "430100", "--json"])
        #expect(verified.status == 0, "\(verified.stdout)")
        let verdict = try json(verified.stdout)
        for key in ["valid", "archiveId", "origin", "destination", "signer", "reasons"] {
            #expect(verdict[key] != nil, "verify --json lacks \(key)")
        }
        #expect(verdict["valid"] as? Bool == true)
        #expect(verdict["archiveId"] as? String == id)
        #expect((verdict["signer"] as? [String: Any])?["authority"] as? String == "441800")

        let wrongDestination = try dossierctl(["verify", out, "--trust", pki.ca, "--expect-destination", "440100", "--json"])
        #expect(wrongDestination.status == 1)
        #expect(((try json(wrongDestination.stdout))["reasons"] as? [[String: Any]])?.first?["code"] as? String == "wrong-destination")

        let inspected = try dossierctl(["inspect", out])
        #expect(inspected.status == 0)
        #expect(inspected.stdout.contains(sample.vin) && inspected.stdout.contains("serialNumber=441800"), "\(inspected.stdout)")
        #expect(try json(try dossierctl(["inspect", out, "--json"]).stdout)["bagInfo"] != nil)

        // Setup errors are 2 and name the file.
        let noTrust = try dossierctl(["verify", out, "--trust", temp.path("missing-ca.pem")])
        #expect(noTrust.status == 2)
        #expect(noTrust.stderr.contains("missing-ca.pem"))
        #expect(try dossierctl(["verify", temp.path("missing.dva"), "--trust", pki.ca]).status == 2)
    }

    @Test func packRefusesWhatCheckRefusesWithTheSameReasons() throws {
        let seized = try SampleDossier.make(in: temp, seed: 72, ineligible: "seized")
        let check = try dossierctl(["check", seized.dir.path, "--to", "430100", "--json"])
        #expect(check.status == 1)
        let checkCodes = ((try json(check.stdout))["problems"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        let pack = try dossierctl([
            "pack", seized.dir.path, "--to", "430100", "--cert", pki.cert("441800"),
            "--key", pki.key("441800"), "--out", temp.path("refused.dva"), "--json",
        ])
        #expect(pack.status == 1)
        let packCodes = ((try json(pack.stdout))["problems"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        #expect(checkCodes == ["seized"])
        #expect(packCodes == checkCodes)
        #expect(!FileManager.default.fileExists(atPath: temp.path("refused.dva")))
    }

    @Test func checkAndSampleExitCodes() throws {
        let sample = try SampleDossier.make(in: temp, seed: 73)
        #expect(try dossierctl(["check", sample.dir.path, "--to", "430100"]).status == 0)
        #expect(try dossierctl(["check", temp.path("no-such-folder")]).status == 2)
        let empty = temp.url.appendingPathComponent("empty-dossier")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let missing = try dossierctl(["check", empty.path, "--json"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("missing-record"))
        #expect(try dossierctl(["sample", "--out", temp.path("s"), "--ineligible", "no-such-rule"]).status == 2)
        // Deterministic for a seed: the same record twice.
        let again = try SampleDossier.make(in: temp, seed: 73)
        #expect(
            try Data(contentsOf: again.dir.appendingPathComponent("dossier.json"))
                == (try Data(contentsOf: sample.dir.appendingPathComponent("dossier.json"))))
    }

    /// The offline commands must not pay for libcurl's thirty libraries at start; the online
    /// ones load it on their first request and still name the socket that did not answer.
    @Test func libcurlIsLoadedOnlyToTalkToTheDaemon() throws {
        let linked = try run("/usr/bin/ldd", [product("dossierctl")])
        #expect(linked.status == 0)
        #expect(!linked.stdout.contains("libcurl"), "dossierctl links libcurl:\n\(linked.stdout)")
        let socket = temp.path("no-daemon.sock")
        let status = try dossierctl(["status", "--socket", socket])
        #expect(status.status == 2)
        #expect(status.stderr.contains(socket))
        #expect(status.stderr.contains("Couldn't connect to server"), "libcurl's own reason: \(status.stderr)")
    }
}
