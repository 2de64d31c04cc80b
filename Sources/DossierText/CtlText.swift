/// Every text `dossierctl` shows an operator, in `Language.current`: command and option help
/// (read by ArgumentParser when the command line is parsed, so chosen at startup), the lines of
/// the online commands, and the errors it prints. `--json` output is not in here: it never changes.
public enum CtlText {
    // MARK: Help

    /// The abstract of `dossierctl` itself.
    public static var rootAbstract: String {
        text(
            "Operate a dossierd authority: its queue and peers, and offline pack, verify, inspect, check.",
            "车辆管理所 dossierd 运维工具：发件箱、对端，以及离线封装、验证、查看、检查机动车档案。")
    }
    /// `--socket` of the online commands.
    public static var socketHelp: String { text("The daemon's admin socket.", "守护进程的管理套接字。") }
    /// `--json` of the online commands.
    public static var jsonHelp: String { text("Print JSON instead of text.", "以 JSON 输出（内容不随语言变化）。") }
    /// The archive id argument of `show`, `retry`, `cancel`, `audit prove`.
    public static var archiveIdHelp: String { text("The archive id.", "档案编号。") }
    /// `dossierctl status`.
    public static var statusAbstract: String {
        text("The daemon's state: queue, peers, inbox, last errors.", "守护进程状态：发件箱、对端、收件箱、最近错误。")
    }
    /// `dossierctl queue`.
    public static var queueAbstract: String {
        text("The outbox, one archive a line (like mailq).", "发件箱：每行一个待转递的机动车档案（类似 mailq）。")
    }
    /// `queue --state`.
    public static var queueStateHelp: String {
        text(
            "Only this state: queued, sending, deferred, dead, delivered, cancelled.",
            "只显示此状态：queued（排队）、sending（发送中）、deferred（待重试）、dead（转递失败）、delivered（已送达）、cancelled（已取消）。")
    }
    /// `queue --peer`.
    public static var queuePeerHelp: String { text("Only archives for this peer code.", "只显示发往此对端代码的档案。") }
    /// `dossierctl show`.
    public static var showAbstract: String { text("One archive's whole history and receipt.", "一个档案的完整转递历史与回执。") }
    /// `dossierctl retry`.
    public static var retryAbstract: String { text("Queue a dead or deferred archive again now.", "立即重新转递一个失败或待重试的档案。") }
    /// `retry --dead`.
    public static var retryDeadHelp: String { text("Queue every dead archive again.", "重新转递所有失败 (dead) 的档案。") }
    /// `retry` given neither an id nor `--dead`, or both.
    public static var retryUsage: String { text("give an archive id or --dead", "请给出档案编号或 --dead") }
    /// `dossierctl cancel`.
    public static var cancelAbstract: String { text("Stop trying to deliver an archive.", "停止转递一个档案。") }
    /// `dossierctl peers`.
    public static var peersAbstract: String { text("Configured peers and their health.", "已配置的对端车辆管理所及其状况。") }
    /// `dossierctl submit`.
    public static var submitAbstract: String {
        text(
            "Pack a dossier folder and queue it for a peer (the daemon reads the folder).",
            "封装一个机动车档案目录并放入发往对端的发件箱（由守护进程读取该目录）。")
    }
    /// The folder argument of `submit` and `check`.
    public static var submitDirectoryHelp: String {
        text("The dossier folder (dossier.json + documents/).", "机动车档案目录（dossier.json 与 documents/）。")
    }
    /// `--to` of `submit` and `pack`.
    public static var destinationHelp: String { text("Destination authority code.", "转入地车辆管理所代码。") }
    /// `dossierctl request`.
    public static var requestAbstract: String {
        text(
            "Ask the origin authority for a vehicle's archive (the buyer registers here).",
            "向转出地车辆管理所调取机动车档案（买方在本所登记）。")
    }
    /// `request --from`.
    public static var requestFromHelp: String {
        text("The origin authority's code (a configured peer).", "转出地车辆管理所代码（须为已配置的对端）。")
    }
    /// `request --vin`.
    public static var vinHelp: String { text("The vehicle's VIN.", "车辆识别代号 (VIN)。") }
    /// `request --plate`.
    public static var plateHelp: String { text("The vehicle's plate number.", "号牌号码。") }
    /// `dossierctl inbox`.
    public static var inboxAbstract: String { text("Archives received from peers.", "从对端收到的机动车档案。") }
    /// `inbox --since`.
    public static var inboxSinceHelp: String {
        text("Only those received since this ISO 8601 time.", "只显示此时间（ISO 8601）之后收到的档案。")
    }
    /// `dossierctl pack`.
    public static var packAbstract: String {
        text(
            "Check a dossier folder and pack it into a signed .dva archive for a destination.",
            "检查机动车档案目录，并为转入地封装成签名的 .dva 档案。")
    }
    /// The folder argument of `pack`.
    public static var dossierFolderHelp: String {
        text("The dossier folder: dossier.json and documents/.", "机动车档案目录：dossier.json 与 documents/。")
    }
    /// The exit status of `pack`.
    public static var packDiscussion: String {
        text(
            "Refuses, with the same reasons as `check --to`, a dossier that cannot be transferred (exit 1).",
            "不能转递的机动车档案被拒绝封装，原因与 `check --to` 相同（退出码 1）。")
    }
    /// `pack --cert`.
    public static var certHelp: String {
        text("The signing certificate (PEM; leaf first, then intermediates).", "签名证书（PEM；先叶证书，后中间证书）。")
    }
    /// `pack --key`.
    public static var keyHelp: String { text("The signing key (PEM).", "签名私钥（PEM）。") }
    /// `pack --out`.
    public static var outHelp: String { text("Output file (default ./<id>.dva).", "输出文件（默认 ./<档案编号>.dva）。") }
    /// `pack --json`.
    public static var jsonResultHelp: String { text("Print the result as JSON.", "以 JSON 输出结果。") }
    /// `dossierctl verify`.
    public static var verifyAbstract: String { text("Verify an archive as a receiver would.", "按接收方的方式验证档案（四性检测与签名）。") }
    /// The exit status of `verify`.
    public static var verifyDiscussion: String {
        text("Exit 0 valid, 1 invalid, 2 usage or setup error.", "退出码：0 有效，1 无效，2 用法或环境错误。")
    }
    /// The archive argument of `verify` and `inspect`.
    public static var archiveFileHelp: String { text("The .dva archive.", ".dva 档案文件。") }
    /// `verify --trust`.
    public static var trustHelp: String {
        text("Trusted CA certificates (PEM); repeat for several files.", "信任的 CA 证书（PEM）；多个文件重复此选项。")
    }
    /// `verify --crl`.
    public static var crlHelp: String {
        text("Certificate revocation list (PEM); repeat for several.", "证书吊销列表 CRL（PEM）；多个文件重复此选项。")
    }
    /// `verify --expect-destination`.
    public static var expectDestinationHelp: String {
        text(
            "Reject an archive whose Destination-Authority is not this code.",
            "Destination-Authority（转入地）不是此代码的档案视为无效。")
    }
    /// `verify --max-size`.
    public static var maxSizeHelp: String { text("Largest archive accepted, in bytes.", "接受的最大档案字节数。") }
    /// `--json` of `verify` and the `audit` commands.
    public static var jsonVerdictHelp: String { text("Print the verdict as JSON.", "以 JSON 输出验证结论。") }
    /// `dossierctl inspect`.
    public static var inspectAbstract: String {
        text("Show an archive's bag-info, record summary, documents and signer.", "显示档案的 bag-info、记录摘要、文件与签名者。")
    }
    /// `inspect --json`.
    public static var jsonPlainHelp: String { text("Print as JSON.", "以 JSON 输出。") }
    /// `dossierctl check`.
    public static var checkAbstract: String {
        text(
            "Validate a dossier folder and, with --to, whether it may be transferred there.",
            "校验机动车档案目录；带 --to 时同时检查能否转入该地。")
    }
    /// The exit status of `check`.
    public static var checkDiscussion: String {
        text(
            "Exit status: 0 valid (and eligible with --to), 1 not (every reason listed), 2 usage or setup error.",
            "退出码：0 有效（带 --to 时且符合转出条件），1 不符合（列出全部原因），2 用法或环境错误。")
    }
    /// `check --to` and `sample --destination`: a division code.
    public static var checkDestinationHelp: String {
        text("Destination authority (6-digit division code).", "转入地车辆管理所（6 位行政区划代码）。")
    }
    /// `check --json`.
    public static var checkJSONHelp: String {
        text("Print {valid, eligible, problems} as JSON.", "以 JSON 输出 {valid, eligible, problems}。")
    }
    /// `dossierctl sample`.
    public static var sampleAbstract: String {
        text(
            "Write synthetic dossiers (deterministic for a seed and day) for tests, benchmarks and demos.",
            "生成合成机动车档案（同一种子与日期结果相同），用于测试、基准与演示。")
    }
    /// The rules `sample --ineligible` accepts.
    public static func sampleDiscussion(rules: String) -> String {
        text("Rules --ineligible accepts: \(rules)", "--ineligible 可用的规则：\(rules)")
    }
    /// `sample --out`.
    public static var sampleOutHelp: String {
        text("Folder to write the dossiers into (created if missing).", "写入档案的目录（不存在则创建）。")
    }
    /// `sample --count`.
    public static var sampleCountHelp: String { text("Number of dossiers.", "档案数量。") }
    /// `sample --seed`.
    public static var sampleSeedHelp: String { text("Seed of the generator.", "生成器种子。") }
    /// `sample --documents`.
    public static var sampleDocumentsHelp: String { text("Document files per dossier.", "每个档案的文件数。") }
    /// `sample --document-size`.
    public static var sampleDocumentSizeHelp: String { text("Size of each document file in bytes.", "每个文件的字节数。") }
    /// `sample --ineligible`.
    public static var sampleBreakHelp: String {
        text("Make dossiers that break this rule (and only it).", "生成（仅）违反此规则的档案。")
    }
    /// `sample --origin`.
    public static var sampleOriginHelp: String {
        text("Origin authority (6-digit division code).", "转出地车辆管理所（6 位行政区划代码）。")
    }
    /// `dossierctl audit`.
    public static var auditAbstract: String {
        text("Verify the custody log, prove an archive's events, check a proof.", "核验保管日志、证明档案的保管事件、检查证明。")
    }
    /// `--state` of the `audit` commands.
    public static var auditStateHelp: String {
        text(
            "The daemon's state directory (the log is in its custody/ folder).",
            "守护进程的状态目录（保管日志在其 custody/ 下）。")
    }
    /// `dossierctl audit verify`.
    public static var auditVerifyAbstract: String {
        text(
            "Recompute the custody log and check every checkpoint and its signature.",
            "重新计算保管日志，检查每个检查点及其签名。")
    }
    /// The exit status of `audit verify`.
    public static var auditVerifyDiscussion: String {
        text(
            "Exit 0 intact, 1 the first bad entry or checkpoint is reported, 2 usage or setup error. "
                + "A torn tail (a write a crash cut short, never acknowledged) is noted, not a fault.",
            "退出码：0 完好，1 报告第一个有问题的条目或检查点，2 用法或环境错误。"
                + "尾部撕裂（崩溃中断、从未确认的写入）只作提示，不算错误。")
    }
    /// The exit status of `audit prove`.
    public static var auditProveDiscussion: String {
        text(
            "Exit 0 with the proof on stdout, 1 when the log holds no covered event of the archive or is damaged, "
                + "2 usage or setup error. Check the proof with `dossierctl audit check-proof` or any RFC 9162 verifier.",
            "退出码：0 证明输出到标准输出，1 日志中没有该档案已被检查点覆盖的事件或日志损坏，2 用法或环境错误。"
                + "用 `dossierctl audit check-proof` 或任何 RFC 9162 验证工具检查证明。")
    }
    /// The exit status of `audit check-proof`.
    public static var auditCheckProofDiscussion: String {
        text(
            "Exit 0 the proof holds, 1 it does not (the reason is printed), 2 usage or setup error.",
            "退出码：0 证明成立，1 不成立（输出原因），2 用法或环境错误。")
    }
    /// `--trust` of `audit verify` and `audit check-proof`.
    public static var auditTrustHelp: String {
        text(
            "CA certificates (PEM) the checkpoint signatures must chain to; repeat for several.",
            "检查点签名须链接到的 CA 证书（PEM）；多个文件重复此选项。")
    }
    /// `dossierctl audit prove`.
    public static var auditProveAbstract: String {
        text(
            "Print inclusion proofs (JSON) of an archive's custody events against the latest signed checkpoint.",
            "输出档案保管事件相对最新签名检查点的包含证明（JSON）。")
    }
    /// `dossierctl audit check-proof`.
    public static var auditCheckProofAbstract: String {
        text("Verify a custody proof offline against the signing authority's CA.", "离线核验保管证明（对照签名车辆管理所的 CA）。")
    }
    /// The proof argument of `audit check-proof`.
    public static var auditProofFileHelp: String {
        text("The proof (JSON from dossierctl audit prove).", "证明文件（dossierctl audit prove 输出的 JSON）。")
    }

    // MARK: Online output

    /// An outbox state as shown to an operator in `language` (the English name is what
    /// `--state` takes).
    public static func state(_ state: String, in language: Language = .current) -> String {
        guard language == .zh else { return state }
        switch state {
        case "queued": return "排队"
        case "sending": return "发送中"
        case "deferred": return "待重试"
        case "dead": return "转递失败"
        case "delivered": return "已送达"
        case "cancelled": return "已取消"
        case "held": return "暂扣"
        default: return state
        }
    }

    /// A peer's transfer mode as shown to an operator.
    public static func mode(_ mode: String) -> String {
        guard Language.current == .zh else { return mode }
        switch mode {
        case "push": return "推送"
        case "pull": return "拉取"
        case "both": return "推送与拉取"
        default: return mode
        }
    }

    /// An inbox entry's status (`accepted`, `rejected`) as shown to an operator.
    public static func inboxStatus(_ status: String) -> String {
        guard Language.current == .zh else { return status }
        switch status {
        case "accepted": return "已接收"
        case "rejected": return "已拒收"
        default: return status
        }
    }

    /// The first line of `status`: version and this authority.
    public static func statusHeader(version: String, authority: String, name: String) -> String {
        text("\(version)  authority \(authority) \(name)", "\(version)  本所 \(authority) \(name)")
    }
    /// The second line of `status`.
    public static func upSince(_ since: String, listen: String) -> String {
        text("up since \(since)  listening \(listen)", "运行自 \(since)  监听 \(listen)")
    }
    /// The label before the queue counts of `status`.
    public static var queueLabel: String { text("queue     ", "发件箱    ") }
    /// The oldest waiting archive's age in `status`.
    public static func oldestWaiting(_ age: String) -> String { text("oldest waiting \(age)", "最早等待  \(age)") }
    /// The inbox line of `status`.
    public static func inboxCounts(accepted: Int, rejected: Int) -> String {
        text("inbox     accepted \(accepted)  rejected \(rejected)", "收件箱    已接收 \(accepted)  已拒收 \(rejected)")
    }
    /// The heading of the peers in `status`.
    public static var peersLabel: String { text("peers", "对端车辆管理所") }
    /// The heading of the last errors in `status`.
    public static var auditTSATrustHelp: String {
        text(
            "CA certificates (PEM) of the time-stamping authorities whose tokens the checkpoints may carry; repeat for several (default: the --trust files).",
            "检查点所带时间戳令牌的时间戳服务（TSA）CA 证书（PEM），可重复指定多个（默认：--trust 的文件）。")
    }

    public static var tsaTrustHelp: String {
        text(
            "CA certificates of trusted time-stamping authorities (PEM); repeat for several.",
            "受信任的时间戳服务（TSA）CA 证书（PEM），可重复指定多个。")
    }
    public static var requireTimestampHelp: String {
        text(
            "Refuse an archive whose signature has no trusted timestamp token (timestamp-missing).",
            "签名没有可信时间戳令牌的档案予以拒收（timestamp-missing）。")
    }
    /// `submit`'s progress: bytes packed of the total.
    public static func packed(done: String, total: String, percent: Int) -> String {
        text("\(done) of \(total) packed, \(percent) %", "已封装 \(done)／\(total)，\(percent)%")
    }
    public static var lastErrorsLabel: String { text("last errors", "最近错误") }
    public static var warningsLabel: String { text("warnings", "警告") }

    /// A duration in seconds as `N s`, `N min` or `N h`.
    public static func age(_ seconds: Double) -> String {
        if seconds < 120 { return text("\(Int(seconds)) s", "\(Int(seconds)) 秒") }
        if seconds < 7200 { return text("\(Int(seconds / 60)) min", "\(Int(seconds / 60)) 分钟") }
        return text("\(Int(seconds / 3600)) h", "\(Int(seconds / 3600)) 小时")
    }

    /// One peer of `status` and `peers`.
    public static func peerLine(
        code: String, name: String, mode: String, url: String, circuitOpen: Bool, queued: Int, inFlight: Int,
        lastDelivered: String?, lastReceived: String?, lastError: String?
    ) -> String {
        let health = circuitOpen ? text("DOWN (circuit open)", "中断（熔断打开）") : text("ok", "正常")
        let last = lastError.map { text("  last error: ", "  最后错误：") + errorLine($0) } ?? ""
        let counts = text("queued \(queued)  in flight \(inFlight)", "排队 \(queued)  在途 \(inFlight)")
        let delivered = text("  last delivered ", "  最近送达 ") + (lastDelivered ?? text("never", "无"))
        let received = lastReceived.map { text("  last received ", "  最近收到 ") + $0 } ?? ""
        return "\(code) \(name)  \(self.mode(mode))  \(url)  \(health)  \(counts)\(delivered)\(received)\(last)"
    }

    /// `queue` with nothing to list.
    public static var outboxEmpty: String { text("outbox is empty", "发件箱为空") }
    /// One archive of `queue`.
    public static func queueLine(id: String, state: String, destination: String, size: UInt64, attempts: Int, next: String?) -> String {
        let shown = self.state(state)
        let padded = shown + String(repeating: " ", count: max(0, (Language.current == .zh ? 4 : 9) - shown.count))
        let nextText = next.map { text(" next \($0)", " 下次 \($0)") } ?? ""
        return text(
            "\(id)  \(padded) → \(destination)  \(size) B  attempts \(attempts)\(nextText)",
            "\(id)  \(padded) → \(destination)  \(size) 字节  尝试 \(attempts) 次\(nextText)")
    }
    /// Size, digest and spool file in `show`.
    public static func showSizeLine(size: UInt64, digest: String, spool: String) -> String {
        text("  size \(size)  sha256 \(digest)\n  spool \(spool)", "  大小 \(size) 字节  sha256 \(digest)\n  待发文件 \(spool)")
    }
    /// The heading of the history in `show`.
    public static var historyLabel: String { text("history", "转递历史") }
    /// The heading of the receipt in `show`.
    public static var receiptLabel: String { text("receipt", "回执") }
    /// `retry --dead` found nothing.
    public static var nothingToRetry: String { text("nothing to retry", "没有需要重新转递的档案") }
    /// `retry` queued these ids again.
    public static func queuedAgain(_ ids: String) -> String { text("queued again: \(ids)", "已重新排队：\(ids)") }
    /// `cancel` cancelled these ids.
    public static func cancelled(_ ids: String) -> String { text("cancelled \(ids)", "已取消 \(ids)") }
    /// The progress label of `submit`.
    public static func packing(_ folder: String) -> String { text("packing \(folder)", "正在封装 \(folder)") }
    /// `submit` queued the archive.
    public static func submitted(id: String, to: String, size: UInt64, sha256: String) -> String {
        text(
            "queued \(id) for \(to)  \(size) bytes  sha256 \(sha256)",
            "已放入发件箱：\(id) 发往 \(to)  \(size) 字节  sha256 \(sha256)")
    }
    /// `submit`, `pack`, `check`: a finding that did not block packing (the line holds both languages).
    public static func packedWithWarning(_ line: String) -> String { text("warning: \(line)", "警告：\(line)") }
    /// `--credit-list FILE` of `check` and `pack`.
    public static var creditListHelp: String {
        text(
            "Screen the seller and buyer against this credit restriction list (one credit code and reason a line)",
            "按此信用惩戒名单（每行一个统一社会信用代码及原因）筛查出让方和受让方")
    }
    /// `--credit-warn` of `check` and `pack`.
    public static var creditWarnHelp: String {
        text("A listed party warns instead of blocking", "名单中的当事人仅警告，不阻止")
    }
    /// `submit`: the same dossier's archive for this peer already stands.
    public static func alreadyQueued(id: String, to: String) -> String {
        text(
            "already queued as \(id) for \(to) (the same dossier): nothing new queued",
            "该档案已在发件箱中：\(id) 发往 \(to)（同一份档案），未重复放入")
    }
    /// `request`: the origin accepted.
    public static func requestAccepted(from: String, requestId: String, archiveId: String?) -> String {
        text(
            "\(from) accepted the request \(requestId); archive \(archiveId ?? "pending") will arrive in the inbox",
            "转出地 \(from) 已受理调档请求 \(requestId)；档案 \(archiveId ?? "（待定）") 将送达收件箱")
    }
    /// `inbox` with nothing to list.
    public static var inboxEmpty: String { text("inbox is empty", "收件箱为空") }
    /// One archive of `inbox`.
    public static func inboxLine(id: String, status: String, origin: String, size: UInt64, receivedAt: String) -> String {
        let shown = inboxStatus(status)
        let padded = shown + String(repeating: " ", count: max(0, (Language.current == .zh ? 3 : 8) - shown.count))
        return text(
            "\(id)  \(padded) from \(origin)  \(size) B  \(receivedAt)",
            "\(id)  \(padded) 来自 \(origin)  \(size) 字节  \(receivedAt)")
    }

    /// An error line of `status`, `queue`, `peers` or `show` (English in the daemon's JSON) in
    /// `language`: known leading phrases translated, known reason codes followed by their title,
    /// the technical detail as it is.
    public static func errorLine(_ english: String, in language: Language = .current) -> String {
        guard language == .zh else { return english }
        for (prefix, zh) in errorPrefixes where english.hasPrefix(prefix) {
            return zh + errorLine(String(english.dropFirst(prefix.count)), in: language)
        }
        if english == "timeout" { return "超时" }
        if let match = english.firstMatch(of: #/^intake (.+?) waits: /#) {
            return "intake 目录 \(match.1) 等待磁盘空间：" + errorLine(String(english[match.range.upperBound...]), in: language)
        }
        if let match = english.firstMatch(of: #/^refused \(HTTP (\d+)\): /#) {
            return "被对端拒绝（HTTP \(match.1)）：" + errorLine(String(english[match.range.upperBound...]), in: language)
        }
        if let match = english.firstMatch(of: #/^the peer does not accept this authority \(HTTP (\d+)\): /#) {
            return "对端不接受本所（HTTP \(match.1)）：" + errorLine(String(english[match.range.upperBound...]), in: language)
        }
        if let match = english.firstMatch(of: #/^intake ([^ :]+): /#) {
            return "intake 目录 \(match.1) 被拒绝：" + errorLine(String(english[match.range.upperBound...]), in: language)
        }
        return titled(english)
    }

    /// `code: detail; code: detail` (a rejection's reasons, a peer's error answer) with the
    /// Chinese title after each known reason code.
    private static func titled(_ text: String) -> String {
        text.split(separator: "; ", omittingEmptySubsequences: false).map { part in
            guard let match = part.firstMatch(of: #/^([a-z0-9-]+): /#) else { return String(part) }
            let code = String(match.1)
            let title = ReasonCode.title(code, in: .zh)
            return title == code ? String(part) : "\(code)（\(title)）：" + part[match.range.upperBound...]
        }.joined(separator: "；")
    }

    private static let errorPrefixes: [(String, String)] = [
        ("network: ", "网络故障："),
        ("TLS: ", "TLS 连接失败："),
        ("rejected by the peer: ", "被转入地拒收："),
        ("refused: ", "被对端拒绝："),
        ("bad receipt: ", "回执无效："),
        ("not sent (local problem): ", "未发送（本地问题）："),
        ("delivered but not recorded here: ", "已送达，但本所未能记录："),
        ("pulled archive refused: ", "被拉取的档案遭拒收："),
        ("pull: ", "拉取："),
        ("compaction: ", "日志压缩："),
        ("outbox: ", "发件箱："),
        ("reload: ", "重载配置失败："),
    ]

    // MARK: Offline output

    /// The first line of `check`: valid, and with a destination, eligible.
    public static func checkVerdict(valid: Bool, eligible: Bool?) -> String {
        let yes = text("yes", "是")
        let no = text("no", "否")
        return text("valid: ", "有效：") + (valid ? yes : no)
            + (eligible.map { text(", eligible: ", "，可转出：") + ($0 ? yes : no) } ?? "")
    }

    /// One problem of `check`: code, field, and the message in both languages, the current first.
    public static func checkProblem(code: String, field: String?, message: String, messageZh: String) -> String {
        "- \(code)" + (field.map { " [\($0)]" } ?? "") + ": " + Bilingual(message, messageZh).both(separator: "\n  ")
    }

    /// The first line of `verify`.
    public static func verifyVerdict(valid: Bool, id: String?, route: String, profile: String, signer: String?) -> String {
        let verdict = valid ? text("VALID", "有效") : text("INVALID", "无效")
        return "\(verdict) \(id ?? text("(no bag)", "（无档案包）"))  \(route)  "
            + text("profile: ", "算法配置：") + profile + "  " + text("signer: ", "签名者：") + (signer ?? text("(none)", "（无）"))
    }
    public static var requireProfileHelp: String {
        text(
            "Refuse an archive of another profile (sha256 or sm2-sm3; profile-refused).",
            "拒收其他算法配置的档案（sha256 或 sm2-sm3；profile-refused）。")
    }

    /// A finding of `verify` or `inspect`: its code, the code's title in Chinese, and the detail.
    public static func finding(code: String, property: String?, detail: String) -> String {
        let shown = property.map { " [\(self.property($0))]" } ?? ""
        return text("\(code)\(shown): \(detail)", "\(code)\(shown) \(ReasonCode.title(code, in: .zh))：\(detail)")
    }

    /// One of the four properties of DA/T 70 (四性).
    public static func property(_ name: String) -> String {
        guard Language.current == .zh else { return name }
        switch name {
        case "authenticity": return "真实性"
        case "integrity": return "完整性"
        case "usability": return "可用性"
        case "security": return "安全性"
        default: return name
        }
    }

    /// `pack` wrote the archive.
    public static func packed(path: String, id: String, size: UInt64, sha256: String) -> String {
        text(
            "packed \(path)\n  id      \(id)\n  size    \(size) bytes\n  sha256  \(sha256)",
            "已封装 \(path)\n  档案编号 \(id)\n  大小     \(size) 字节\n  sha256   \(sha256)")
    }

    /// The first line of `inspect`.
    public static func inspectArchive(id: String?, size: UInt64, sha256: String) -> String {
        text(
            "Archive   \(id ?? "(no bag)")  \(size) bytes  sha256 \(sha256)",
            "档案      \(id ?? "（无档案包）")  \(size) 字节  sha256 \(sha256)")
    }
    /// The record heading of `inspect`.
    public static var inspectRecord: String { text("Record", "档案记录") }
    /// The files heading of `inspect`.
    public static var inspectFiles: String { text("Files", "文件") }
    /// The signer heading of `inspect`.
    public static var inspectSigner: String { text("Signer", "签名者") }
    /// The signer's issuer in `inspect`.
    public static func signerIssuer(_ issuer: String) -> String { text("issuer \(issuer)", "签发者 \(issuer)") }
    /// The signer's validity in `inspect`.
    public static func signerValidity(_ from: String, _ to: String) -> String { text("valid \(from) to \(to)", "有效期 \(from) 至 \(to)") }
    /// `inspect` of an archive without a signature.
    public static var noSignature: String { text("(no signature)", "（无签名）") }
    /// The heading of `inspect`'s problems.
    public static var structuralProblems: String {
        text("Structural problems (run verify for the full check)", "结构问题（完整检查请运行 verify）")
    }
    /// The record summary's lines of `inspect`.
    public static func recordLines(
        vin: String, plate: String, vehicle: String, owner: String, managingOffice: String, transfer: String?, documents: [String]
    ) -> [String] {
        [
            text("VIN \(vin)  plate \(plate)", "车辆识别代号 \(vin)  号牌号码 \(plate)"), text("vehicle \(vehicle)", "车辆 \(vehicle)"),
            text("owner \(owner)", "所有人 \(owner)"), text("managing office \(managingOffice)", "管理地车辆管理所 \(managingOffice)"),
        ] + (transfer.map { [text("transfer \($0)", "转移 \($0)")] } ?? []) + documents.map { text("document \($0)", "文件 \($0)") }
    }

    /// `audit verify` found a bad entry or checkpoint.
    public static func auditInvalid(kind: String, index: UInt64, offset: Int?, file: String, treeSize: UInt64?, reason: String) -> String {
        let place =
            offset.map { text(" (byte \($0) of \(file))", "（\(file) 第 \($0) 字节）") }
            ?? treeSize.map { text(" (tree size \($0))", "（树大小 \($0)）") } ?? ""
        let shownKind = kind == "entry" ? text("entry", "条目") : text("checkpoint", "检查点")
        return text("INVALID ", "无效 ") + "\(shownKind) \(index)\(place): \(reason)"
    }

    /// `audit verify` found the log intact.
    public static func auditValid(
        entries: Int, checkpoints: Int, latest: (treeSize: UInt64, root: String, authority: String, time: String)?
    )
        -> String
    {
        let latestText =
            latest.map {
                text(
                    "latest covers \($0.treeSize), root \($0.root), signed by \($0.authority) at \($0.time)",
                    "最新检查点覆盖 \($0.treeSize) 条，根 \($0.root)，由 \($0.authority) 于 \($0.time) 签名")
            } ?? text("none yet", "尚无")
        return text(
            "VALID custody log: \(entries) entries, \(checkpoints) checkpoints (\(latestText))",
            "有效 保管日志：\(entries) 个条目，\(checkpoints) 个检查点（\(latestText)）")
    }

    /// A torn tail `audit verify` noticed.
    public static func tornTail(bytes: Int, offset: Int, file: String) -> String {
        text(
            "  note: torn tail of \(bytes) bytes at byte \(offset) of \(file) (never acknowledged; cut at the next open)",
            "  提示：\(file) 第 \(offset) 字节处有 \(bytes) 字节的撕裂尾部（从未确认；下次打开时截断）")
    }

    /// `audit check-proof`: the proof holds.
    public static func proofValid(id: String, events: Int, authority: String, treeSize: UInt64, root: String, time: String) -> String {
        text(
            "VALID \(id): \(events) event(s) in the custody log of \(authority), tree size \(treeSize), root \(root), signed at \(time)",
            "有效 \(id)：\(authority) 保管日志中的 \(events) 个事件，树大小 \(treeSize)，根 \(root)，签名时间 \(time)")
    }

    /// One event of a proof that holds.
    public static func proofEvent(index: UInt64, kind: String, peer: String, time: String, detail: String?) -> String {
        text("  #\(index) \(kind) peer \(peer) at \(time)", "  #\(index) \(kind) 对端 \(peer) 时间 \(time)")
            + (detail.map { " — \($0)" } ?? "")
    }

    /// `audit check-proof`: the proof does not hold.
    public static func proofInvalid(_ reason: String) -> String { text("INVALID ", "无效 ") + reason }

    /// An `audit` command given a folder without a custody log.
    public static func noCustodyLog(_ directory: String) -> String { text("\(directory): no custody log there", "\(directory)：此处没有保管日志") }
    /// `audit prove` on a damaged log.
    public static func custodyDamaged(_ problem: String) -> String {
        text(
            "the custody log is damaged: \(problem) (see dossierctl audit verify)",
            "保管日志已损坏：\(problem)（见 dossierctl audit verify）")
    }
    /// `audit prove`: no event of the archive is under a checkpoint yet.
    public static func notCovered(id: String, uncovered: Int) -> String {
        text(
            "no event of \(id) is covered by the latest checkpoint (\(uncovered) after it)",
            "\(id) 没有被最新检查点覆盖的事件（其后有 \(uncovered) 个）")
    }
    /// `audit prove`: newer events wait for a checkpoint.
    public static func waitingEvents(id: String, count: Int) -> String {
        text(
            "\(count) newer event(s) of \(id) wait for the next checkpoint",
            "\(id) 有 \(count) 个较新的事件等待下一个检查点")
    }
    /// `check --to` given an invalid division code.
    public static func invalidDestination(_ code: String, message: String, messageZh: String) -> String {
        "--to \(code) " + Bilingual(message, messageZh).description
    }

    // MARK: Errors

    /// The daemon does not answer on its socket.
    public static func notAnswering(socket: String, reason: String) -> String {
        text(
            "dossierd is not answering on \(socket) (\(reason)); is it running? (--socket to use another path)",
            "dossierd 在 \(socket) 上没有应答（\(reason)）；守护进程是否在运行？（用 --socket 指定其他路径）")
    }
    /// The daemon answered an error without a readable body.
    public static func answeredHTTP(_ status: Int) -> String {
        text("the daemon answered HTTP \(status)", "守护进程应答 HTTP \(status)")
    }
    /// The daemon's answer did not decode.
    public static func unexpectedAnswer(socket: String, error: String) -> String {
        text("unexpected answer from dossierd on \(socket): \(error)", "dossierd（\(socket)）的应答无法识别：\(error)")
    }
    /// `verify`: the archive's signature has no signing time at all.
    public static var noSigningTime: String { text("(none)", "（无）") }
    /// `verify`: only the signer's own claim of when it signed.
    public static func untrustedSigningTime(_ claimed: String) -> String {
        text("untrusted signing time: \(claimed) (the signer's own claim; no timestamp)", "签名时间不可信：\(claimed)（签名者自称；无时间戳）")
    }
    /// `verify`: a timestamp token from a trusted TSA.
    public static func trustedTime(_ when: String, authority: String) -> String {
        text("trusted time: \(when) by TSA \(authority)", "可信时间：\(when)，时间戳服务机构 \(authority)")
    }
    /// `verify`: a timestamp token whose TSA is not trusted here.
    public static func untrustedTimestamp(_ claimed: String, stamped: String, authority: String) -> String {
        text(
            "untrusted signing time: \(claimed) (timestamp of \(stamped) by \(authority) not trusted: see --tsa-trust)",
            "签名时间不可信：\(claimed)（\(authority) 于 \(stamped) 的时间戳不受信任：见 --tsa-trust）")
    }
    /// libcurl could not be set up.
    public static var curlFailed: String { text("libcurl could not start", "libcurl 无法启动") }
    /// libcurl could not be loaded (the package libcurl4 is missing): dlerror's text.
    public static func curlMissing(_ reason: String) -> String {
        text("libcurl could not be loaded (install libcurl4): \(reason)", "无法加载 libcurl（请安装 libcurl4）：\(reason)")
    }
    /// `--json` output could not be encoded.
    public static var jsonEncodingFailed: String { text("could not encode the JSON output", "无法生成 JSON 输出") }
}
