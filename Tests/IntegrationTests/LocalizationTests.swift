import DossierAdmin
import DossierTestSupport
import Foundation
import Testing

/// `dossierctl` and `dossierd` speak Chinese to an operator whose locale asks for it
/// (`LANG=zh_CN.UTF-8`) and English otherwise; `--json` is the same in both.
@Suite(.serialized) struct LocalizationTests {
    let temp: TempDir
    let pki = TestPKI.shared
    let zh = environment(lang: "zh_CN.UTF-8")
    let en = environment(lang: "C.UTF-8")

    init() throws { temp = try TempDir() }

    @Test func statusErrorsAndJSONAgainstARunningDaemon() async throws {
        let node = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")])
        try await node.start()

        let chinese = try node.ctl(["status"], environment: zh)
        #expect(chinese.status == 0)
        for phrase in ["本所 441800", "运行自", "发件箱", "排队 0", "已送达 0", "收件箱    已接收 0  已拒收 0", "对端车辆管理所", "430100", "推送", "正常"] {
            #expect(chinese.stdout.contains(phrase), "status in Chinese lacks \(phrase):\n\(chinese.stdout)")
        }
        let english = try node.ctl(["status"], environment: en)
        #expect(english.stdout.contains("authority 441800") && english.stdout.contains("delivered 0"), "\(english.stdout)")
        #expect(!english.stdout.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(english.stdout)")

        // An unknown archive id: the daemon's error, in the operator's language.
        let missingZh = try node.ctl(["show", "no-such-id"], environment: zh)
        #expect(missingZh.status == 1)
        #expect(missingZh.stderr.contains("发件箱中没有档案 no-such-id"), "\(missingZh.stderr)")
        let missingEn = try node.ctl(["show", "no-such-id"], environment: en)
        #expect(missingEn.status == 1)
        #expect(missingEn.stderr.contains("no archive no-such-id in the outbox"), "\(missingEn.stderr)")
        #expect(try node.ctl(["queue"], environment: zh).stdout.contains("发件箱为空"))

        // LC_ALL wins over LANG, LC_MESSAGES over LANG.
        var lcAll = zh
        lcAll["LC_ALL"] = "C.UTF-8"
        #expect(try node.ctl(["status"], environment: lcAll).stdout.contains("authority 441800"))
        var lcMessages = en
        lcMessages["LC_MESSAGES"] = "zh_CN.UTF-8"
        #expect(try node.ctl(["status"], environment: lcMessages).stdout.contains("本所 441800"))

        // The peer is down: the archive waits with a network error, shown in Chinese.
        let sample = try SampleDossier.make(in: temp, seed: 41)
        let submitted = try node.ctl(["submit", sample.dir.path, "--to", "430100"], environment: zh)
        #expect(submitted.status == 0 && submitted.stdout.contains("已放入发件箱"), "\(submitted.stdout)\(submitted.stderr)")
        _ = try await node.waitForQueue { $0.contains { $0["state"] as? String == "deferred" } }
        let queue = try node.ctl(["queue"], environment: zh).stdout
        #expect(queue.contains("→ 430100") && queue.contains("网络故障：") && queue.contains("尝试"), "\(queue)")
        let errors = try node.ctl(["status"], environment: zh).stdout
        #expect(errors.contains("最近错误") && errors.contains("网络故障："), "\(errors)")
        let refused = try node.ctl(
            ["submit", try SampleDossier.make(in: temp, seed: 42, ineligible: "seized").dir.path, "--to", "430100"], environment: zh)
        #expect(refused.status == 1 && refused.stderr.contains("不能转递至 430100") && refused.stderr.contains("seized"), "\(refused.stderr)")

        // Once the archive is cancelled nothing changes any more: --json is the same in both languages.
        let id = try node.ctl(AdminProtocol.Status.self, ["status"]).lastErrors.compactMap(\.id).first ?? ""
        var cancelled = false
        for _ in 0..<50 where !cancelled {
            cancelled = try node.ctl(["cancel", id], environment: zh).stdout.contains("已取消 \(id)")
            if !cancelled { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(cancelled, "\(id) was not cancelled")
        let again = try node.ctl(["retry", id], environment: zh)
        #expect(again.status == 1 && again.stderr.contains("档案 \(id) 不能从“已取消”状态"), "\(again.stderr)")
        for command in [["status"], ["peers"], ["queue"], ["inbox"], ["show", id]] {
            let inChinese = try node.ctl(command + ["--json"], environment: zh)
            let inEnglish = try node.ctl(command + ["--json"], environment: en)
            #expect(inChinese.status == 0 && inChinese.stdout == inEnglish.stdout, "\(command): \(inChinese.stdout) ≠ \(inEnglish.stdout)")
        }
        #expect(try await node.stop() == 0)
    }

    @Test func helpFollowsTheLocale() throws {
        let rootZh = try dossierctl(["--help"], environment: zh)
        for phrase in ["运维工具", "守护进程状态", "向转出地车辆管理所调取机动车档案", "按接收方的方式验证档案"] {
            #expect(rootZh.stdout.contains(phrase), "dossierctl --help lacks \(phrase):\n\(rootZh.stdout)")
        }
        #expect(try dossierctl(["--help"], environment: en).stdout.contains("Operate a dossierd authority"))
        let statusZh = try dossierctl(["status", "--help"], environment: zh)
        #expect(statusZh.stdout.contains("守护进程的管理套接字") && statusZh.stdout.contains("以 JSON 输出"), "\(statusZh.stdout)")
        #expect(try dossierctl(["status", "--help"], environment: en).stdout.contains("The daemon's admin socket."))
        #expect(try dossierctl(["audit", "verify", "--help"], environment: zh).stdout.contains("重新计算保管日志"))
        // ArgumentParser's own phrases too, and usage errors (still exit 2).
        #expect(statusZh.stdout.contains("选项：") && statusZh.stdout.contains("显示帮助信息。") && !statusZh.stdout.contains("OPTIONS"))
        let usage = try dossierctl(["retry"], environment: zh)
        #expect(usage.status == 2 && usage.stderr.contains("错误：请给出档案编号或 --dead"), "\(usage.stderr)")
        let usageEn = try dossierctl(["retry"], environment: en)
        #expect(usageEn.status == 2 && usageEn.stderr.contains("Error: give an archive id or --dead"), "\(usageEn.stderr)")

        let reportZh = try dossierctl(["report", "--help"], environment: zh)
        for phrase in ["超过办理时限的案件", "守护进程的管理套接字", "起始日期，YYYY-MM-DD", "截止日期（含当天）", "单个自包含文件"] {
            #expect(reportZh.stdout.contains(phrase), "report --help lacks \(phrase):\n\(reportZh.stdout)")
        }
        #expect(try dossierctl(["report", "--help"], environment: en).stdout.contains("First day, YYYY-MM-DD."))
        let badDate = try dossierctl(["report", "--from", "yesterday", "--to", "2026-12-01"], environment: zh)
        #expect(badDate.status == 2 && badDate.stderr.contains("--from yesterday：应为日期 YYYY-MM-DD"), "\(badDate.stderr)")

        let daemonZh = try run(product("dossierd"), ["--help"], environment: zh)
        #expect(daemonZh.stdout.contains("与对端车辆管理所转递签名的机动车档案") && daemonZh.stdout.contains("配置文件"), "\(daemonZh.stdout)")
        #expect(daemonZh.stdout.contains("回环地址上的三个车辆管理所"), "\(daemonZh.stdout)")
        #expect(try run(product("dossierd"), ["--help"], environment: en).stdout.contains("Exchange signed vehicle registration archives"))
    }

    /// Every subcommand's help (abstract, discussion, options, arguments) in Chinese: no run of
    /// three English words is left once command lines (`dossierctl audit prove`) are taken out.
    /// The subcommands are read from the help itself, so a new one is checked too.
    @Test func everySubcommandsHelpIsChinese() throws {
        let commandLine = try Regex("dossierctl( [a-z<>-]+)*")
        let prose = try Regex("[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}")
        /// The subcommands listed in the help of `path`, as paths.
        func subcommands(_ path: [String]) throws -> [[String]] {
            let help = try dossierctl(path + ["--help"], environment: zh).stdout
            guard let section = help.components(separatedBy: "子命令：\n").dropFirst().first else { return [] }
            let names = section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
                .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.compactMap { $0.split(separator: " ").first.map(String.init) }
            return try names.flatMap { [path + [$0]] + (try subcommands(path + [$0])) }
        }
        let paths = try subcommands([])
        #expect(paths.count >= 25 && paths.contains(["report"]) && paths.contains(["audit", "check-proof"]), "\(paths)")
        for path in [[]] + paths {
            let help = try dossierctl(path + ["--help"], environment: zh)
            let lines = help.stdout.split(separator: "\n").map { $0.replacing(commandLine, with: "") }
            #expect(help.status == 0 && !lines.contains { $0.contains(prose) }, "\(path) --help is not all Chinese:\n\(help.stdout)")
        }
        // The check finds English where there is some.
        let english = try dossierctl(["report", "--help"], environment: en).stdout
        #expect(english.split(separator: "\n").contains { $0.replacing(commandLine, with: "").contains(prose) })
    }

    @Test func checkConfigNamesTheProblemInTheOperatorsLanguage() throws {
        let node = try DaemonProcess(code: "441800", in: temp.url, pki: pki, peers: [], extra: "[sla]\ntranfer_days = 3")
        let check = ["--config", node.configFile.path, "--check-config"]
        let typoZh = try run(product("dossierd"), check, environment: zh)
        #expect(
            typoZh.status == 2 && typoZh.stderr.contains("配置检查未通过：") && typoZh.stderr.contains("sla.tranfer_days: 未知的配置项"),
            "\(typoZh.stderr)")
        let typoEn = try run(product("dossierd"), check, environment: en)
        #expect(typoEn.status == 2 && typoEn.stderr.contains("sla.tranfer_days: unknown key"), "\(typoEn.stderr)")
        let missing = try run(product("dossierd"), ["--config", temp.path("nope.toml"), "--check-config"], environment: zh)
        #expect(missing.status == 2 && missing.stderr.contains("nope.toml: 无法读取（"), "\(missing.stderr)")
    }

    @Test func notRunningSaysSoInTheOperatorsLanguage() throws {
        let socket = temp.url.appendingPathComponent("none.sock").path
        let zhResult = try dossierctl(["status", "--socket", socket], environment: zh)
        #expect(zhResult.status == 2 && zhResult.stderr.contains("守护进程是否在运行"), "\(zhResult.stderr)")
        let enResult = try dossierctl(["status", "--socket", socket], environment: en)
        #expect(enResult.status == 2 && enResult.stderr.contains("is it running?"), "\(enResult.stderr)")
    }

    @Test func verifyNamesTheSigningTimeInTheOperatorsLanguage() throws {
        let sample = try SampleDossier.make(in: temp, seed: 77)
        let out = temp.path("zh.dva")
        let packed = try dossierctl([
            "pack", sample.dir.path, "--to", "430100", "--cert", pki.cert("441800"), "--key", pki.key("441800"), "--out", out,
        ])
        #expect(packed.status == 0, "\(packed.stderr)")
        let zhResult = try dossierctl(["verify", out, "--trust", pki.ca], environment: zh)
        #expect(zhResult.status == 0 && zhResult.stdout.contains("签名时间不可信"), "\(zhResult.stdout)")
        let enResult = try dossierctl(["verify", out, "--trust", pki.ca], environment: en)
        #expect(enResult.status == 0 && enResult.stdout.contains("untrusted signing time"), "\(enResult.stdout)")
    }
}
