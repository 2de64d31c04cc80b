import DossierModel

/// The one list of reason codes the code base emits, each with a short English and Chinese
/// title: findings of the four-property check (`Finding`), record and eligibility problems
/// (`Problem`), the peer protocol's error codes (`PeerHTTPError`), and the outcomes of a delivery
/// attempt (`DeliveryOutcome.metricLabel`). The codes themselves never change with the language.
public enum ReasonCode {
    /// One code and its titles.
    public struct Entry: Sendable {
        /// The stable code, as on the wire, in receipts, logs and `--json`.
        public let code: String
        /// The short title in both languages.
        public let title: Bilingual
    }

    /// Every code, in the order: model findings and problems, transfer rules, archive findings,
    /// peer protocol errors, delivery outcomes.
    public static let all: [Entry] = modelFindings + recordProblems + transferRules + archiveFindings + peerErrors + outcomes

    /// The title of `code` in `language`; `http-<status>` is titled by its status, and an
    /// unknown code is shown as itself.
    public static func title(_ code: String, in language: Language = .current) -> String {
        if let entry = byCode[code] { return entry.title.text(in: language) }
        if code.hasPrefix("http-"), let status = Int(code.dropFirst(5)) {
            return Bilingual("HTTP \(status) answer", "对端应答HTTP \(status)").text(in: language)
        }
        return code
    }

    private static let byCode: [String: Entry] = Dictionary(all.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })

    private static func entry(_ code: String, _ en: String, _ zh: String) -> Entry { Entry(code: code, title: Bilingual(en, zh)) }

    /// The model's finding codes: their Chinese titles are the model's own (`Finding.titleZh`).
    private static func model(_ code: String, _ en: String) -> Entry { entry(code, en, Finding.titleZh(code)) }

    private static let modelFindings: [Entry] = [
        model("empty-document", "empty file"),
        model("unknown-format", "file format not recognised"),
        model("format-mismatch", "file format differs from the one recorded"),
        model("damaged-document", "file structure incomplete"),
        model("executable", "file is an executable program"),
        model("nested-archive", "file is a compressed archive"),
        model("encrypted-pdf", "PDF file is encrypted"),
        model("missing-record", "dossier.json missing"),
        model("malformed-record", "dossier.json cannot be read"),
        model("invalid-record", "record fails its checks"),
        model("record-mismatch", "record differs from the bag's metadata"),
        model("missing-document", "a document listed in the record is missing"),
        model("unlisted-document", "a file is not listed in the record"),
        model("missing-metadata", "required bag metadata missing"),
    ]

    private static let recordProblems: [Entry] = [
        entry("invalid-schema", "unknown record schema", "档案记录模式不符"),
        entry("invalid-plate-number", "invalid plate number", "号牌号码不合规"),
        entry("invalid-plate-type", "invalid plate type", "号牌种类不合规"),
        entry("invalid-vin", "invalid VIN", "车辆识别代号不合规"),
        entry("invalid-vehicle-type", "invalid vehicle type", "车辆类型代码不合规"),
        entry("invalid-origin", "invalid vehicle origin", "车辆获得方式（国产/进口）不合规"),
        entry("invalid-id-number", "invalid identity number", "身份证明号码不合规"),
        entry("invalid-division-code", "invalid division code", "行政区划代码不合规"),
        entry("invalid-status", "invalid vehicle status", "机动车状态不合规"),
        entry("invalid-count", "negative count", "数量为负数"),
        entry("missing-value", "required value empty", "必填项为空"),
        entry("date-order", "dates out of order", "日期先后顺序不合理"),
        entry("date-in-future", "date in the future", "日期晚于今天"),
        entry("unknown-document-kind", "unknown document kind", "文件种类无法识别"),
        entry("document-path-escape", "document path leaves documents/", "文件路径越出documents目录"),
        entry("document-missing", "document file missing", "文件不存在"),
        entry("document-unreadable", "document file unreadable", "文件无法读取"),
    ]

    private static let transferRules: [Entry] = [
        entry("out-of-scope", "not a transfer between offices", "不属于转出转入业务"),
        entry("seized", "vehicle seized", "机动车被查封、扣押"),
        entry("stolen-or-suspect", "vehicle stolen or suspect", "机动车被盗抢或涉案"),
        entry("scrap-standard", "vehicle reached the scrapping standard", "机动车达到强制报废标准"),
        entry("scrap-deadline", "scrapping deadline too close", "临近强制报废期限"),
        entry("customs-without-release", "customs supervision not released", "海关监管期内未解除监管"),
        entry("unsettled-violations", "unsettled traffic violations", "有未处理的交通违法记录"),
        entry("unsettled-accidents", "unsettled traffic accidents", "有未处理的交通事故"),
        entry("mortgage-without-consent", "mortgaged without the mortgagee's consent", "已抵押且无抵押权人同意"),
        entry("inspection-expired-without-certificate", "inspection expired, no certificate", "检验有效期已过且无检验合格证明"),
        entry("deregistered-or-transferred", "already deregistered or transferred", "已注销或已转出"),
        entry("emission-standard", "emission standard not accepted by the destination", "排放标准不符合转入地要求"),
        entry("credit-restricted", "a party is on the credit restriction list", "当事人列入信用惩戒名单"),
    ]

    private static let archiveFindings: [Entry] = [
        entry("not-a-tar", "not a tar archive", "不是tar格式的归档文件"),
        entry("truncated", "archive cut short", "归档文件不完整（被截断）"),
        entry("trailing-data", "data after the end of the archive", "归档文件末尾有多余数据"),
        entry("size-limit", "over a size limit", "超出大小限制"),
        entry("bad-name", "entry name not allowed", "条目名称不合规"),
        entry("absolute-path", "absolute path", "条目为绝对路径"),
        entry("path-traversal", "path with ..", "路径含“..”（目录穿越）"),
        entry("path-escape", "path leaves the bag", "路径越出档案包目录"),
        entry("outside-bag", "entry outside the bag", "条目位于档案包目录之外"),
        entry("duplicate-entry", "entry appears twice", "条目重复"),
        entry("link-entry", "link entry", "条目为链接"),
        entry("special-entry", "device, pipe or other special entry", "条目为设备、管道等特殊文件"),
        entry("unsupported-entry", "unsupported entry type", "不支持的条目类型"),
        entry("unsafe-id", "archive id not allowed", "档案编号含不允许的字符"),
        entry("id-mismatch", "archive id differs", "档案编号不一致"),
        entry("wrong-destination", "archive is for another destination", "档案的转入地不是本所"),
        entry("bag-declaration", "bagit.txt missing or wrong", "bagit.txt缺失或不符"),
        entry("bag-info-malformed", "bag-info.txt cannot be read", "bag-info.txt格式错误"),
        entry("bag-info-incomplete", "bag-info.txt lacks a required field", "bag-info.txt缺少必填项"),
        entry("manifest-malformed", "manifest cannot be read", "清单文件格式错误"),
        entry("tagmanifest-incomplete", "tag manifest incomplete", "标签清单不完整"),
        entry("missing-file", "a file listed in a manifest is missing", "清单中列出的文件缺失"),
        entry("unlisted-file", "a file is not in the manifest", "文件未在清单中列出"),
        entry("digest-mismatch", "digest differs", "摘要值不符，内容已被改动"),
        entry("oxum-mismatch", "Payload-Oxum differs", "Payload-Oxum（文件数与字节数）不符"),
        entry("signature-missing", "signature missing", "缺少签名"),
        entry("signature-malformed", "signature cannot be read", "签名格式错误"),
        entry("signature-invalid", "signature does not verify", "签名验证未通过"),
        entry("untrusted-signer", "signer not trusted", "签名者证书不受信任"),
        entry("signer-not-origin", "signer is not the origin authority", "签名者不是转出地车辆管理所"),
        entry("expired-signer", "signer's certificate not valid at signing time", "签名时签名证书已失效"),
        entry("revoked-signer", "signer's certificate revoked", "签名证书已吊销"),
        entry("revocation-unavailable", "revocation status unknown (no current CRL)", "无法判断吊销状态（CRL缺失或已过期）"),
        entry("signing-time-future", "signing time in the future", "签名时间晚于当前时间"),
        entry("untrusted-peer", "peer certificate not trusted", "对端证书不受信任"),
        entry("more-findings", "more problems of the kinds counted", "另有问题，按类别计数"),
    ]

    private static let peerErrors: [Entry] = [
        entry("bad-id", "archive id not allowed", "档案编号不合规"),
        entry("bad-limit", "bad page limit", "分页数量不合规"),
        entry("bad-range", "bad byte range", "字节范围不合规"),
        entry("bad-receipt", "receipt not valid", "回执无效"),
        entry("bad-request", "request not understood", "请求格式错误"),
        entry("busy", "peer busy", "对端繁忙"),
        entry("conflict", "archive id already used", "档案编号已被使用"),
        entry("digest-missing", "Content-Digest missing", "缺少Content-Digest摘要"),
        entry("error", "error", "错误"),
        entry("forbidden", "not allowed for this authority", "本所无权进行此操作"),
        entry("ineligible", "vehicle cannot be transferred", "机动车不符合转出条件"),
        entry("already-transferred", "the vehicle's transfer is already under way", "该机动车已在转出中"),
        entry("not-delivered", "the archive has no receipt of acceptance yet", "该档案尚无接收回执"),
        entry("wrong-signer", "not signed by the archive's destination", "签名者不是该档案的转入地车辆管理所"),
        entry("bad-completion", "completion notice not valid", "办结通知无效"),
        entry("completion-conflict", "another completion notice was recorded for this archive", "该档案已记录了不同的办结通知"),
        entry("profile-refused", "the archive is not in the profile this receiver requires", "档案的算法配置不是本所要求的配置"),
        entry("profile-unknown", "bag-info names an unknown algorithm profile", "bag-info 中的算法配置无法识别"),
        entry("profile-mismatch", "the signature's algorithms do not match the archive's profile", "签名算法与档案的算法配置不符"),
        entry("timestamp-missing", "no trusted timestamp on the signature", "签名缺少可信时间戳"),
        entry("timestamp-mismatch", "the timestamp belongs to another signature", "时间戳与本签名不符（属于其他签名）"),
        entry("timestamp-untrusted", "the timestamp's authority is not trusted", "时间戳服务（TSA）不受信任"),
        entry("timestamp-unavailable", "the time-stamping authority is unavailable; try later", "时间戳服务暂不可用，请稍后重试"),
        entry("internal", "internal error at the peer", "对端内部错误"),
        entry("no-authority", "certificate names no authority code", "证书中无车辆管理所代码"),
        entry("no-space", "disk space below reserve", "磁盘空间低于保留值"),
        entry("not-found", "not found", "不存在"),
        entry("revoked", "certificate revoked", "证书已吊销"),
        entry("too-large", "archive too large", "档案超出大小限制"),
        entry("too-many-requests", "too many requests", "请求过于频繁"),
        entry("too-many-rejections", "too many archives rejected", "被拒收的档案过多"),
        entry("too-many-uploads", "too many uploads at once", "同时上传过多"),
        entry("too-slow", "upload too slow", "上传过慢"),
        entry("try-later", "try again later", "请稍后重试"),
        entry("unknown-peer", "not a configured peer", "不是已配置的对端"),
        entry("unknown-vehicle", "vehicle not registered here", "本所无此机动车登记"),
        entry("bad-faults", "bad fault settings (mock peer)", "故障设置有误（模拟对端）"),
        entry("bad-held", "bad held archive (mock peer)", "待取档案设置有误（模拟对端）"),
        entry("bad-listing", "bad listing mode (mock peer)", "列表模式有误（模拟对端）"),
    ]

    private static let outcomes: [Entry] = [
        entry("network", "network failure", "网络故障"),
        entry("tls", "TLS failure", "TLS连接失败"),
        entry("timeout", "timed out", "超时"),
        entry("rejected", "rejected by the destination", "被转入地拒收"),
        entry("refused", "refused by the peer", "被对端拒绝"),
        entry("local", "local problem, not sent", "本地问题，未发送"),
        entry("unrecorded", "delivered, not recorded here", "已送达，本所未能记录"),
        entry("not-accepted", "peer does not accept this authority", "对端不接受本所"),
    ]
}
