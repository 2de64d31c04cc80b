/// The texts of `dossierctl directory` (docs/directory.md), in `Language.current`.
extension CtlText {
    /// `dossierctl directory`.
    public static var directoryAbstract: String {
        text(
            "Make and read signed authority directories (offline, but show without FILE asks the daemon).",
            "制作和查看签名的车管所名录（离线；不给文件的 show 向守护进程查询）。")
    }
    /// `dossierctl directory sign`.
    public static var directorySignAbstract: String {
        text("Sign a directory's JSON as attached CMS (DER).", "将名录 JSON 签名为附带内容的 CMS（DER）。")
    }
    /// `dossierctl directory show`.
    public static var directoryShowAbstract: String {
        text(
            "Show a signed directory without judging its signature; without FILE, the one the running daemon uses.",
            "显示签名名录的内容（不验证签名）；不给文件时显示运行中的守护进程所用的名录。")
    }
    /// The optional file argument of `directory show`.
    public static var directoryShowFileHelp: String {
        text(
            "A signed directory (CMS, DER or PEM); omitted: the daemon's, over the admin socket.",
            "签名名录文件（CMS，DER 或 PEM）；省略时经管理套接字取守护进程所用的名录。")
    }
    /// `dossierctl directory verify`.
    public static var directoryVerifyAbstract: String {
        text(
            "Verify a signed directory: exit 0 valid, 1 invalid, 2 usage or setup error.",
            "验证签名名录：退出码 0 有效，1 无效，2 用法或环境错误。")
    }
    /// `directory sign --in`.
    public static var directoryInHelp: String {
        text(
            "The directory's JSON (serial, issuedAt, nextUpdate, issuer, authorities).",
            "名录 JSON（serial、issuedAt、nextUpdate、issuer、authorities）。")
    }
    /// `directory sign --cert`.
    public static var directoryCertHelp: String { text("The directory operator's certificate (PEM).", "名录发布方的证书（PEM）。") }
    /// `directory sign --key`.
    public static var directoryKeyHelp: String { text("The directory operator's private key (PEM).", "名录发布方的私钥（PEM）。") }
    /// `directory sign --out`.
    public static var directoryOutHelp: String { text("Where to write the signed directory.", "签名名录的输出文件。") }
    /// The file argument of `directory show` and `verify`.
    public static var directoryFileHelp: String { text("A signed directory (CMS, DER or PEM).", "签名名录文件（CMS，DER 或 PEM）。") }
    /// `directory verify --trust`.
    public static var directoryTrustHelp: String {
        text("The directory operator's trusted CA certificates (PEM).", "信任的名录发布方 CA 证书（PEM）。")
    }

    /// What `directory sign` wrote.
    public static func directorySigned(serial: UInt64, count: Int, out: String) -> String {
        text("signed directory serial \(serial), \(count) authorities: \(out)", "已签名名录，序号 \(serial)，共 \(count) 个车管所：\(out)")
    }

    /// The head of `directory show` and `verify`.
    public static func directoryHead(serial: UInt64, issuer: String, issuedAt: String, nextUpdate: String, signer: String?) -> String {
        text("serial \(serial)  issuer: \(issuer)", "序号 \(serial)  发布方：\(issuer)") + "\n"
            + text("issued \(issuedAt), next update \(nextUpdate)", "发布于 \(issuedAt)，下次更新 \(nextUpdate)") + "\n"
            + text("signer: ", "签名者：") + (signer ?? text("(none)", "（无）"))
    }

    /// One authority line of `directory show`: its status in the operator's language.
    public static func directoryStatus(_ status: String) -> String {
        switch status {
        case "active": return text("active", "正常")
        case "suspended": return text("suspended", "已暂停")
        default: return status
        }
    }

    /// The verdict of `directory verify`.
    public static func directoryVerdict(valid: Bool, detail: String) -> String {
        (valid ? text("VALID", "有效") : text("INVALID", "无效")) + "  " + detail
    }

    /// Where a peer of `dossierctl peers` comes from: `directory`, `local` or `both`.
    public static func peerSource(_ source: String) -> String {
        switch source {
        case "directory": return text("from the directory", "来自名录")
        case "local": return text("from [[peers]]", "来自本地配置")
        case "both": return text("directory + [[peers]]", "名录 + 本地配置")
        default: return source
        }
    }
}

/// The admin API's answers about the directory in force (`GET /directory`).
extension DaemonText.Admin {
    /// No directory is in force.
    public static var noDirectory: Bilingual {
        Bilingual(
            "no directory is in force (no [directory] in the config, or none fetched and verified yet)",
            "当前没有生效的名录（配置中没有 [directory]，或尚未取得并验证名录）")
    }
    /// The kept copy is not (or no longer) the directory in force.
    public static func directoryCopyDiffers(_ path: String) -> Bilingual {
        Bilingual(
            "the kept copy \(path) is not the directory in force (a refresh is replacing it); try again",
            "保存的副本 \(path) 与生效的名录不一致（正在刷新）；请重试")
    }
}
