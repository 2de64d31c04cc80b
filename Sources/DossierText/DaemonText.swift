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
    /// `--demo`.
    public static var demoSM2Help: String {
        text(
            "With --demo: both authorities sign with SM2 (the sm2-sm3 profile) over EC TLS.",
            "与 --demo 同用：两个车辆管理所均以 SM2 签名（sm2-sm3 配置），TLS 仍为 EC。")
    }
    public static var demoHelp: String {
        text(
            "Run the demo: two authorities on loopback transfer a synthetic dossier.",
            "运行演示：回环地址上的两个车辆管理所转递一份合成机动车档案。")
    }
    /// `--log-level`.
    public static var logLevelHelp: String {
        text("Log level: trace, debug, info, notice, warning, error.", "日志级别：trace、debug、info、notice、warning、error。")
    }
    /// `--check-config` passed.
    public static func configOK(file: String, authority: String, peers: Int) -> String {
        text("\(file): ok (authority \(authority), \(peers) peers)", "\(file)：通过（本所 \(authority)，\(peers) 个对端）")
    }

    /// `--check-config` found a problem (the problem itself names the file and key, in English).
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
                "1. A throwaway PKI: one CA, one certificate per authority (subject serialNumber = authority code)",
                "1. 临时 PKI：一个 CA，每个车辆管理所一张证书（主题 serialNumber = 车辆管理所代码）")
        }
        /// Step 2.
        public static var startDestination: String {
            text(
                "2. Starting 430100 Changsha (destination) on 127.0.0.1, port picked by the OS",
                "2. 启动 430100 长沙（转入地车辆管理所），地址 127.0.0.1，端口由系统分配")
        }
        /// The address a node listens on.
        public static var sm2PKI: String {
            text(
                "   and an SM2 CA with one SM2 signing certificate per authority (sm2-sm3 profile; TLS stays EC)",
                "   以及一个 SM2 CA，每个车辆管理所一张 SM2 签名证书（sm2-sm3 配置；TLS 仍为 EC）")
        }
        public static var tsa: String {
            text(
                "   and a time-stamping authority (dossier-mock-tsa, OpenSSL's RFC 3161 responder) on 127.0.0.1",
                "   以及一个可信时间戳服务（dossier-mock-tsa，OpenSSL 的 RFC 3161 应答程序），监听 127.0.0.1")
        }
        public static var addsPeer: String {
            text(
                "   Changsha adds Qingyuan as a peer: config rewritten, SIGHUP (reload, no restart)",
                "   长沙将清远加为对端：改写配置后发送 SIGHUP（重载，不重启）")
        }
        public static func peerNotAdded(_ url: String) -> String {
            text(
                "the reload did not add the peer \(url) within 10 s (see the log beside the state)",
                "重载后 10 秒内未出现对端 \(url)（见状态目录旁的日志）")
        }
        public static func tsaAt(_ url: String) -> String { text("   TSA at \(url)", "   时间戳服务 \(url)") }
        public static func listening(_ address: String) -> String { text("   listening on \(address)", "   监听 \(address)") }
        /// Step 3.
        public static var startOrigin: String {
            text(
                "3. Starting 441800 Qingyuan (origin), with Changsha as a push peer",
                "3. 启动 441800 清远（转出地车辆管理所），长沙为推送 (push) 对端")
        }
        /// Step 4.
        public static var sample: String {
            text(
                "4. A synthetic dossier (valid VIN, ID numbers, plate 粤R…, scanned PDF/JPEG/PNG documents)",
                "4. 一份合成机动车档案（有效的车辆识别代号、身份证明号码、号牌 粤R…，扫描的 PDF/JPEG/PNG 文件）")
        }
        /// Step 5.
        public static var intake: String {
            text(
                "5. Dropped into Qingyuan's intake/430100/: packed, signed, timestamped, queued, pushed",
                "5. 放入清远的 intake/430100/：封装、签名、加盖时间戳、进入发件箱、推送")
        }
        /// The archive was delivered.
        public static func delivered(_ id: String) -> String {
            text(
                "   delivered \(id); Changsha's signed receipt is kept by Qingyuan",
                "   已送达 \(id)；长沙签名的回执由清远保存")
        }
        /// Step 6.
        public static var verify: String {
            text("6. Changsha verifies what it stored, as any auditor could:", "6. 长沙验证所存档案（任何审计者都可同样验证）：")
        }
        /// Step 7.
        public static var statusOrigin: String { text("7. dossierctl status, Qingyuan (441800):", "7. dossierctl status，清远 (441800)：") }
        /// Step 8.
        public static var statusDestination: String {
            text("8. dossierctl status, Changsha (430100):", "8. dossierctl status，长沙 (430100)：")
        }
        /// Step 9.
        public static var stopping: String {
            text("9. Stopping both (SIGTERM: drain, journal durable, exit 0)", "9. 停止两端（SIGTERM：排空、日志落盘、退出码 0）")
        }
        /// A node exited.
        public static func exited(_ code: String, status: Int32) -> String {
            text("   \(code) exited with status \(status)", "   \(code) 退出，状态 \(status)")
        }
        /// The end.
        public static var complete: String { text("demo complete", "演示完成") }
        /// The authority names of the demo's configuration.
        public static func officeName(_ code: String) -> String {
            code == "441800"
                ? text("Qingyuan Vehicle Administration Office", "清远市车辆管理所")
                : text("Changsha Vehicle Administration Office", "长沙市车辆管理所")
        }
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
