import DossierAdmin
import DossierDaemon
import DossierModel
import DossierTestSupport
import Foundation
import Testing

/// `[policy.credit]` (docs/domain.md, "Credit restrictions"): a dealer on the credit list is
/// refused everywhere the daemon checks a dossier — `submit`, intake, a peer's request — with
/// the finding `credit-restricted` in both languages, or packed with a warning under
/// `action = "warn"`; a list served over HTTPS is fetched and its changes apply without a restart.
@Suite(.serialized) struct CreditRestrictionTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let peers: [DaemonProcess.Peer] = [.init(code: "430100", url: "https://127.0.0.1:1")]

    init() throws { temp = try TempDir() }

    /// A sample dossier whose owner (the seller) is a dealer, and the dealer's credit code: the
    /// sample generator makes one owner in five a car dealer.
    private func dealerDossier(from first: Int) throws -> (sample: SampleDossier, code: String) {
        for seed in first..<(first + 40) {
            let sample = try SampleDossier.make(in: temp, seed: seed)
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: sample.dir.appendingPathComponent("dossier.json")))
            let owner = (record as? [String: Any])?["owner"] as? [String: Any]
            if owner?["idType"] as? String == "uscc", let code = owner?["idNumber"] as? String { return (sample, code) }
        }
        throw HarnessError.failed("no dealer-owned sample among seeds \(first)..<\(first + 40)")
    }

    private func credit(_ body: String) -> String { "[policy.credit]\n\(body)\n" }

    @Test func aListedDealerIsRefusedAtSubmitIntakeAndRequestAndOnlyWarnedUnderWarn() async throws {
        let (sample, code) = try dealerDossier(from: 300)
        let list = temp.path("credit.txt")
        try "# joint punishment list\n\(code) dishonest judgment debtor 失信被执行人\n".write(toFile: list, atomically: true, encoding: .utf8)
        let node = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: peers, extra: credit("list = \"\(list)\""))
        try await node.start(notifying: true)

        // submit: exit 1, both languages, the list's reason.
        let refused = try node.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(refused.status == 1, "\(refused.stdout)")
        for text in ["credit-restricted", "seller", code, "dishonest judgment debtor", "信用惩戒名单", "出让方"] {
            #expect(refused.stderr.contains(text), "\(text): \(refused.stderr)")
        }
        let chinese = try node.ctl(["submit", sample.dir.path, "--to", "430100"], environment: environment(lang: "zh_CN.UTF-8"))
        #expect(chinese.status == 1)
        #expect(chinese.stderr.contains("不能转递") && chinese.stderr.contains("统一社会信用代码\(code)"), "\(chinese.stderr)")

        // Offline, the same list gives the same finding.
        let checked = try dossierctl(["check", sample.dir.path, "--to", "430100", "--credit-list", list])
        #expect(checked.status == 1 && checked.stdout.contains("credit-restricted"), "\(checked.stdout)")
        let pack = [
            "pack", sample.dir.path, "--to", "430100", "--cert", pki.cert("441800"), "--key", pki.key("441800"), "--credit-list", list,
        ]
        let unpacked = try dossierctl(pack + ["--out", temp.path("refused.dva")])
        #expect(unpacked.status == 1 && unpacked.stderr.contains("credit-restricted"), "\(unpacked.stderr)")
        let packedAnyway = try dossierctl(pack + ["--out", temp.path("warned.dva"), "--credit-warn"])
        #expect(packedAnyway.status == 0 && packedAnyway.stderr.contains("warning: - credit-restricted"), "\(packedAnyway.stderr)")
        #expect(FileManager.default.fileExists(atPath: temp.path("warned.dva")))

        // intake: moved aside with the reason.
        let staged = node.state.appendingPathComponent("intake/430100/.dealer")
        try FileManager.default.copyItem(at: sample.dir, to: staged)
        try FileManager.default.moveItem(at: staged, to: node.state.appendingPathComponent("intake/430100/dealer"))
        let failed = node.state.appendingPathComponent("intake/failed")
        // The folder is moved aside first, its reason.txt written after.
        func reasonFile() -> URL? {
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: failed.path)) ?? []
            return folders.map { failed.appendingPathComponent($0).appendingPathComponent("reason.txt") }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
        #expect(try await eventually(seconds: 20) { reasonFile() != nil })
        let reason = try String(contentsOf: try #require(reasonFile()), encoding: .utf8)
        #expect(reason.contains("credit-restricted") && reason.contains("dishonest judgment debtor"), "\(reason)")

        // A peer's request of the vehicle: 422 with the finding.
        let registry = node.state.appendingPathComponent("registry")
        try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: registry.appendingPathComponent(sample.vin))
        let asked = try run(
            "curl",
            [
                "-sS", "-w", "\n%{http_code}", "--cert", pki.cert("430100"), "--key", pki.key("430100"), "--cacert", pki.ca,
                "-H", "Content-Type: application/json", "--data", #"{"vin": "\#(sample.vin)", "plate": "\#(sample.plate)"}"#,
                "\(try node.url)/v1/requests",
            ])
        #expect(asked.stdout.hasSuffix("\n422") && asked.stdout.contains("credit-restricted"), "\(asked.stdout) \(asked.stderr)")
        // Nothing was packed for it: the queue is still empty.
        #expect(try node.ctl([AdminProtocol.QueueLine].self, ["queue"]).isEmpty)

        // Under "warn" (applied by SIGHUP), it is packed, and the warning is shown.
        try node.writeConfig(pki: pki, peers: peers, extra: credit("list = \"\(list)\"\naction = \"warn\""))
        try node.reload()
        let warned = try node.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stdout.contains("warning: credit-restricted") && warned.stdout.contains("信用惩戒名单"), "\(warned.stdout)")
        #expect(try await node.waitForQueue { !$0.isEmpty }.count == 1)
        #expect(node.log.contains("dossier packed despite a finding"))

        // A list with a bad check character refuses the reload; the list in force stays.
        try "\(code.dropLast())\(code.last == "0" ? "1" : "0") fraud\n".write(toFile: list, atomically: true, encoding: .utf8)
        try node.reload()
        #expect(node.log.contains("reload refused") && node.log.contains("\(list):1:"), "\(node.log)")
        #expect(try await node.stop() == 0)
    }

    @Test func aListServedOverHTTPSIsFetchedAndItsChangesApplyWithoutARestart() async throws {
        let (sample, code) = try dealerDossier(from: 400)
        let published = temp.path("published")
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        let served = "\(published)/credit.txt"
        try "\(code) fraud in vehicle trading\n".write(toFile: served, atomically: true, encoding: .utf8)
        let mock = try await MockPeerProcess.launch(in: temp, ["--publish", published])
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki, peers: peers,
            extra: credit("url = \"\(mock.url)/published/credit.txt\"\nrefresh = \"1s\""))
        try await node.start(notifying: true)
        let kept = node.state.appendingPathComponent("credit-list.txt").path
        #expect(try await eventually(seconds: 20) { FileManager.default.fileExists(atPath: kept) })
        let refused = try node.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(refused.status == 1 && refused.stderr.contains("fraud in vehicle trading"), "\(refused.stderr)")

        // A bad list is refused, said in status, and the one in force kept.
        try "\(code) \n".write(toFile: served, atomically: true, encoding: .utf8)
        #expect(try await eventually(seconds: 20) { self.warning(node, contains: "has no reason after it") })
        #expect(try node.ctl(["submit", sample.dir.path, "--to", "430100"]).status == 1)

        // The dealer taken off the list: the next submission goes through, without a restart.
        try "# empty for now\n".write(toFile: served, atomically: true, encoding: .utf8)
        #expect(try await eventually(seconds: 20) { (try? node.ctl(["submit", sample.dir.path, "--to", "430100"]).status) == 0 })
        #expect(node.log.contains("credit list refreshed"))

        // An emergency list file instead (listing the dealer), then the URL again: the served list
        // is in force again though it did not change meanwhile. A fetch conditional on the copy
        // the file had replaced got 304 and kept the file's list (found in review).
        let emergency = temp.path("emergency.txt")
        try "\(code) listed in an emergency\n".write(toFile: emergency, atomically: true, encoding: .utf8)
        try node.writeConfig(pki: pki, peers: peers, extra: credit("list = \"\(emergency)\""))
        try node.reload()
        #expect(try await eventually(seconds: 20) { (try? node.ctl(["submit", sample.dir.path, "--to", "430100"]).status) == 1 })
        try node.writeConfig(pki: pki, peers: peers, extra: credit("url = \"\(mock.url)/published/credit.txt\"\nrefresh = \"1s\""))
        try node.reload()
        #expect(try await eventually(seconds: 20) { (try? node.ctl(["submit", sample.dir.path, "--to", "430100"]).status) == 0 })
        #expect(try await node.stop() == 0)
        _ = try await mock.stop()
    }

    private func warning(_ node: DaemonProcess, contains text: String) -> Bool {
        ((try? node.ctl(AdminProtocol.Status.self, ["status"]).warnings) ?? []).contains { $0.contains(text) }
    }
}

/// `[policy.credit]` in the config: a list file is read and checked with it, and every error
/// names the key, and for the list the file and line.
@Suite struct CreditConfigTests {
    func parse(_ credit: String, in temp: TempDir) throws(ConfigError) -> DaemonConfig {
        try DaemonConfig.parse(ConfigTests.valid + "\n[policy.credit]\n" + credit, file: temp.path("dossierd.toml"))
    }

    @Test func aListFileIsReadRelativeToTheConfigAndTheDefaultRulesStay() throws {
        let temp = try TempDir()
        try "# comment\n91350100M000100Y43 fraud\n".write(toFile: temp.path("credit.txt"), atomically: true, encoding: .utf8)
        let config = try parse("list = \"credit.txt\"", in: temp)
        #expect(config.policy == .default)
        #expect(config.credit?.action == .block)
        guard case let .file(path, list)? = config.credit?.source else { throw HarnessError.failed("no list file") }
        #expect(path == temp.path("credit.txt"))
        #expect(list.reasons == ["91350100M000100Y43": "fraud"])
        #expect(try parse("url = \"https://credit.example/list.txt\"\naction = \"warn\"", in: temp).credit?.action == .warn)
    }

    @Test func badSettingsAndBadListsAreConfigErrors() throws {
        let temp = try TempDir()
        try "91350100M000100Y43 fraud\n91350100M000100Y44 fraud\n".write(toFile: temp.path("bad.txt"), atomically: true, encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("list = \"bad.txt\"", "policy.credit.list", "bad.txt:2: \"91350100M000100Y44\" is not a unified social credit code"),
            ("list = \"none.txt\"", "policy.credit.list", "cannot be read"),
            ("", "policy.credit.list", "missing"),
            ("list = \"bad.txt\"\nurl = \"https://x.example/l\"", "policy.credit.url", "exclude each other"),
            ("url = \"http://x.example/l\"", "policy.credit.url", "not an https:// URL"),
            ("url = \"https://x.example/l\"\naction = \"ignore\"", "policy.credit.action", "not one of block, warn"),
            ("url = \"https://x.example/l\"\nlists = 1", "policy.credit.lists", "unknown key"),
        ]
        for (text, key, problem) in cases {
            do {
                _ = try parse(text, in: temp)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.key == key, "\(text): \(error)")
                #expect(error.problem.contains(problem), "\(text): \(error)")
            }
        }
    }
}
