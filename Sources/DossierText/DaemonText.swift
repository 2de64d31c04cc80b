/// The texts `dossierd` shows an operator, in `Language.current`: its help, the demo's story,
/// the admin API's error answers (in both languages: `dossierctl` picks its own), and the
/// `reason.txt` of a refused intake folder. Log lines stay English and are not in here.
public enum DaemonText {
    // MARK: Help

    /// The abstract of `dossierd`.
    public static var abstract: String {
        text(
            "Exchange signed vehicle registration archives with peer authorities.",
            "与对端车辆管理所转递签名的机动车档案（电子档案转递）。")
    }
    /// The discussion of `dossierd`: its signals.
    public static var discussion: String {
        text(
            "Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads the configuration and certificates.",
            "信号：SIGTERM/SIGINT 排空在途转递后停止；SIGHUP 重新加载配置与证书。")
    }
    /// `--config`.
    public static var configHelp: String { text("The configuration file.", "配置文件。") }
    /// `--check-config`.
    public static var checkConfigHelp: String {
        text("Check the configuration and the files it names, then exit.", "检查配置及其引用的文件，然后退出。")
    }
    /// `--accept-journal-damage`.
    public static var acceptJournalDamageHelp: String {
        text(
            "Start even if the journal is damaged (damaged segments are kept aside and reported).",
            "日志损坏时仍然启动（损坏的段文件改名保留并报告）。")
    }
    /// `--sm2` (with `--demo`).
    public static var demoSM2Help: String {
        text(
            "With --demo: the three authorities sign with SM2 (the sm2-sm3 profile) over EC TLS.",
            "与 --demo 同用：三个车辆管理所均以 SM2 签名（sm2-sm3 配置），TLS 仍为 EC。")
    }
    /// `--demo`.
    public static var demoHelp: String {
        text(
            "Run the demo: three authorities on loopback find each other in a signed directory and transfer a synthetic dossier.",
            "运行演示：回环地址上的三个车辆管理所经签名名录相互发现，并转递一份合成机动车档案。")
    }
    /// `--log-level`.
    public static var logLevelHelp: String {
        text("Log level: trace, debug, info, notice, warning, error.", "日志级别：trace、debug、info、notice、warning、error。")
    }
    /// `--check-config` passed.
    public static func configOK(file: String, authority: String, peers: Int) -> String {
        text("\(file): ok (authority \(authority), \(peers) peers)", "\(file)：通过（本所 \(authority)，\(peers) 个对端）")
    }

    /// `--check-config` found a problem (the problem names the file and key; its words are
    /// `DaemonText.Config`'s, in the same language).
    public static func checkFailed(_ problem: String) -> String { text(problem, "配置检查未通过：\(problem)") }

    /// The daemon could not start (configuration, credentials or state).
    public static func startFailed(_ problem: String) -> String { text(problem, "无法启动：\(problem)") }

    // MARK: systemd status (`systemctl status dossierd`)

    /// `STATUS=` once the daemon listens.
    public static func listeningStatus(_ address: String) -> String { text("listening on \(address)", "正在监听 \(address)") }

    /// `STATUS=` after a reload (SIGHUP), accepted or refused.
    public static func reloadStatus(accepted: Bool, at time: String, listen: String) -> String {
        accepted
            ? text("reloaded at \(time); listening \(listen)", "已于 \(time) 重新加载配置；监听 \(listen)")
            : text(
                "reload refused at \(time); listening \(listen)",
                "\(time) 重新加载被拒绝，保持运行中的配置；监听 \(listen)")
    }

    // MARK: Demo

    /// The demo's numbered steps and remarks, in order.
    public enum Demo {
        /// Step 1.
        public static var pki: String {
            text(
                "1. A throwaway PKI: one CA, one certificate per authority (subject serialNumber = authority code),\n"
                    + "   the directory operator's (100000) among them",
                "1. 临时 PKI：一个 CA，每个车辆管理所一张证书（主题 serialNumber = 车辆管理所代码），\n"
                    + "   包括名录运营方 (100000) 的证书")
        }
        /// Step 1, with `--sm2`.
        public static var sm2PKI: String {
            text(
                "   and an SM2 CA with one SM2 signing certificate per authority (sm2-sm3 profile; TLS stays EC)",
                "   以及一个 SM2 CA，每个车辆管理所一张 SM2 签名证书（sm2-sm3 配置；TLS 仍为 EC）")
        }
        /// Step 1, the TSA.
        public static var tsa: String {
            text(
                "   and a time-stamping authority (dossier-mock-tsa, OpenSSL's RFC 3161 responder) on 127.0.0.1",
                "   以及一个可信时间戳服务（dossier-mock-tsa，OpenSSL 的 RFC 3161 应答程序），监听 127.0.0.1")
        }
        public static func tsaAt(_ url: String) -> String { text("   TSA at \(url)", "   时间戳服务 \(url)") }
        /// Step 2.
        public static var directoryServer: String {
            text(
                "2. The directory operator's HTTPS server (dossier-mock-peer --publish, mutual TLS), nothing published yet",
                "2. 名录运营方的 HTTPS 服务器（dossier-mock-peer --publish，双向 TLS），尚未发布任何内容")
        }
        /// Where the directory will be.
        public static func directoryAt(_ url: String) -> String { text("   directory URL \(url)", "   名录地址 \(url)") }
        /// Step 3.
        public static var startAuthorities: String {
            text(
                "3. Starting 441800 Qingyuan, 430100 Changsha and 440100 Guangzhou on 127.0.0.1, ports picked by the OS;\n"
                    + "   their configs have [directory] url/trust and no [[peers]]; their first fetch finds nothing\n"
                    + "   published (HTTP 404, listed under \"last errors\" below), so they start with no peers",
                "3. 启动 441800 清远、430100 长沙、440100 广州，地址 127.0.0.1，端口由系统分配；\n"
                    + "   配置中只有 [directory] url/trust，没有 [[peers]]；首次获取时尚未发布（HTTP 404，\n"
                    + "   见下方“最近错误”），因此启动时没有对端")
        }
        /// The address a node listens on.
        public static func listening(_ code: String, _ url: String) -> String {
            text("   \(code) listening on \(url)", "   \(code) 监听 \(url)")
        }
        /// Step 4.
        public static var signDirectory: String {
            text(
                "4. The operator lists the three (URL, push, active) and signs the directory as CMS (dossierctl directory sign):",
                "4. 运营方列出这三个车辆管理所（URL、push、active），以 CMS 签名名录（dossierctl directory sign）：")
        }
        /// Step 4, the daemons fetch.
        public static var fetchDirectory: String {
            text(
                "   SIGHUP to each daemon: it fetches the directory, verifies it, keeps it and takes its peers from it",
                "   向各守护进程发送 SIGHUP：获取名录、验证、保存，并以其中的条目作为对端")
        }
        /// Step 4, the third authority's peers.
        public static var thirdPeers: String {
            text(
                "   Guangzhou (440100), told of no one in its config, now knows the other two (dossierctl peers):",
                "   广州 (440100) 的配置中没有任何对端，现已从名录得知另外两个（dossierctl peers）：")
        }
        /// A daemon did not take its peers from the directory in time.
        public static func peersNotFetched(socket: String, count: Int) -> String {
            text(
                "the daemon on \(socket) did not list \(count) directory peers within 10 s (see its log beside its state)",
                "\(socket) 上的守护进程 10 秒内未列出 \(count) 个来自名录的对端（见状态目录旁的日志）")
        }
        /// A mock did not start.
        public static func helperNotListening(_ name: String) -> String {
            text("\(name) did not start listening within 10 s", "\(name) 10 秒内未开始监听")
        }
        /// Step 5.
        public static var sample: String {
            text(
                "5. A synthetic dossier (valid VIN, ID numbers, plate 粤R…, scanned PDF/JPEG/PNG documents)",
                "5. 一份合成机动车档案（有效的车辆识别代号、身份证明号码、号牌 粤R…，扫描的 PDF/JPEG/PNG 文件）")
        }
        /// Step 6.
        public static var intake: String {
            text(
                "6. Dropped into Qingyuan's intake/430100/: packed, signed, timestamped, queued, pushed to the directory's URL",
                "6. 放入清远的 intake/430100/：封装、签名、加盖时间戳、进入发件箱、推送到名录所列地址")
        }
        /// The archive was delivered.
        public static func delivered(_ id: String) -> String {
            text(
                "   delivered \(id); Changsha's signed receipt is kept by Qingyuan",
                "   已送达 \(id)；长沙签名的回执由清远保存")
        }
        /// Step 7.
        public static var verify: String {
            text("7. Changsha verifies what it stored, as any auditor could:", "7. 长沙验证所存档案（任何审计者都可同样验证）：")
        }
        /// Step 8.
        public static var statusOrigin: String { text("8. dossierctl status, Qingyuan (441800):", "8. dossierctl status，清远 (441800)：") }
        /// Step 9.
        public static var statusDestination: String {
            text("9. dossierctl status, Changsha (430100):", "9. dossierctl status，长沙 (430100)：")
        }
        /// Step 10.
        public static var stopping: String {
            text("10. Stopping the three (SIGTERM: drain, journal durable, exit 0)", "10. 停止三端（SIGTERM：排空、日志落盘、退出码 0）")
        }
        /// A node exited.
        public static func exited(_ code: String, status: Int32) -> String {
            text("   \(code) exited with status \(status)", "   \(code) 退出，状态 \(status)")
        }
        /// The end.
        public static var complete: String { text("demo complete", "演示完成") }
        /// The name of a demo authority (or of the directory operator, 100000), in both languages.
        public static func officeNames(_ code: String) -> Bilingual {
            switch code {
            case "441800": Bilingual("Qingyuan Vehicle Administration Office", "清远市车辆管理所")
            case "430100": Bilingual("Changsha Vehicle Administration Office", "长沙市车辆管理所")
            case "440100": Bilingual("Guangzhou Vehicle Administration Office", "广州市车辆管理所")
            default: Bilingual("Traffic Management Bureau (directory operator)", "交通管理局（名录运营方）")
            }
        }
        /// The name of a demo authority in the current language.
        public static func officeName(_ code: String) -> String { officeNames(code).description }
        /// `dossierctl` is not beside `dossierd`.
        public static func missingCtl(_ path: String) -> String {
            text(
                "\(path) is missing: build every product first (swift build -c release)",
                "缺少 \(path)：请先构建全部产品（swift build -c release）")
        }
        /// A node did not start.
        public static func notListening(_ state: String) -> String {
            text(
                "the daemon in \(state) did not start listening within 10 s (see its log beside it)",
                "\(state) 中的守护进程 10 秒内未开始监听（见同目录下的日志）")
        }
        /// The archive was not delivered in time.
        public static func noDelivery(socket: String) -> String {
            text(
                "no delivery within 30 s; `dossierctl queue --socket \(socket)` shows why",
                "30 秒内未送达；原因见 `dossierctl queue --socket \(socket)`")
        }
        /// A command of the demo failed.
        public static func stepFailed(_ what: String, status: Int32, output: String) -> String {
            text("\(what) failed (\(status)): \(output)", "\(what) 失败（\(status)）：\(output)")
        }
    }

    // MARK: Admin API answers

    /// The admin API's error answers, in both languages.
    public enum Admin {
        /// `GET /queue?state=` with an unknown state.
        public static func unknownState(_ state: String, known: String) -> Bilingual {
            Bilingual("unknown state \(state); one of \(known)", "未知状态 \(state)；可用：\(known)")
        }
        /// No outbox entry has this id.
        public static func noArchive(_ id: String) -> Bilingual {
            Bilingual("no archive \(id) in the outbox", "发件箱中没有档案 \(id)")
        }
        /// A request body that does not decode.
        public static func expectedBody(_ shape: String) -> Bilingual {
            Bilingual("expected \(shape)", "请求体应为 \(shape)")
        }
        /// `POST /submit` of a dossier the rules refuse (the problems follow).
        public static func notTransferable(directory: String, destination: String) -> Bilingual {
            Bilingual(
                "\(directory): the dossier cannot be transferred to \(destination)",
                "\(directory)：该机动车档案不能转递至 \(destination)")
        }
        /// The origin refused a forwarded request.
        public static func peerAnswered(_ peer: String, _ answer: String) -> Bilingual {
            Bilingual("\(peer) answered: \(answer)", "对端 \(peer) 应答：\(answer)")
        }
        /// A forwarded request could not be made.
        public static func peerFailed(_ peer: String, _ error: String) -> Bilingual {
            Bilingual("\(peer): \(error)", "对端 \(peer)：\(error)")
        }
        /// `POST /submit` failed for another reason.
        public static func submitFailed(_ directory: String, _ error: Bilingual) -> Bilingual {
            Bilingual("\(directory): \(error.en)", "\(directory)：\(error.zh)")
        }
    }

    // MARK: Intake

    /// The `reason.txt` of a folder refused at intake: both languages, the current one first.
    public static func intakeReason(destination: String, at: String, reason: Bilingual) -> String {
        Bilingual(
            "destination: \(destination)\nrefused at: \(at)\n\n\(reason.en)\n",
            "转入地车辆管理所：\(destination)\n拒绝时间：\(at)\n\n\(reason.zh)\n"
        ).both()
    }
}
