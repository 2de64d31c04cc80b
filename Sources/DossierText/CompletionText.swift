/// The operator's texts of `dossierctl complete` and of completions in `show` and `status`.
extension CtlText {
    /// `dossierctl complete`.
    public static var completeAbstract: String {
        text(
            "Tell an archive's origin that the vehicle was registered here, or refused (signed, sent with retry).",
            "通知档案的转出地：车辆已在本所登记或拒绝登记（签名后发送，失败自动重试）。")
    }
    /// `complete ID`.
    public static var completeIdHelp: String { text("The id of an archive received and verified here.", "本所已接收并验证的档案编号。") }
    /// `complete --registered`.
    public static var registeredHelp: String { text("The vehicle was registered here.", "车辆已在本所登记。") }
    /// `complete --refused`.
    public static var refusedHelp: String { text("Registration was refused (give --reason).", "拒绝登记（须给出 --reason）。") }
    /// `complete --plate`.
    public static var newPlateHelp: String { text("The plate issued here, e.g. 湘A12345.", "本所核发的号牌号码，例如 湘A12345。") }
    /// `complete --reason`.
    public static var reasonHelp: String { text("Why registration was refused (repeatable).", "拒绝登记的原因（可多次给出）。") }
    /// `complete` without exactly one decision, or with options that do not fit it.
    public static var completeUsage: String {
        text(
            "give exactly one of --registered [--plate P] or --refused --reason TEXT",
            "须且只能给出 --registered [--plate 号牌] 或 --refused --reason 原因 之一")
    }
    /// `complete` queued the notice.
    public static func completionQueued(id: String, status: String, origin: String) -> String {
        text(
            "completion of \(id) (\(completionStatus(status))) queued for \(origin); it is sent with retry",
            "档案 \(id) 的办结通知（\(completionStatus(status))）已排队发往 \(origin)，失败自动重试")
    }
    /// `complete` found the same decision kept.
    public static func alreadyCompleted(id: String, status: String, state: String) -> String {
        text(
            "already completed: \(id) \(completionStatus(status)) (\(completionState(state)))",
            "已办结：\(id) \(completionStatus(status))（\(completionState(state))）")
    }
    /// A completion's decision.
    public static func completionStatus(_ status: String) -> String {
        switch status {
        case "registered": return text("registered", "已登记")
        case "refused": return text("refused", "拒绝登记")
        default: return status
        }
    }
    /// Where a completion notice stands.
    public static func completionState(_ state: String) -> String {
        switch state {
        case "pending": return text("waiting for the origin", "等待转出地确认")
        case "delivered": return text("recorded by the origin", "转出地已记录")
        case "failed": return text("not delivered, given up", "未送达，已放弃")
        case "recorded": return text("recorded", "已记录")
        default: return state
        }
    }
    /// The completion block of `show`.
    public static func completionLine(role: String, peer: String, status: String, at: String, plate: String?, state: String) -> String {
        let plateText = plate.map { text(", plate \($0)", "，号牌 \($0)") } ?? ""
        return role == "sent"
            ? text(
                "completion sent to \(peer): \(completionStatus(status)) \(at)\(plateText); \(completionState(state))",
                "办结通知发往 \(peer)：\(completionStatus(status)) \(at)\(plateText)；\(completionState(state))")
            : text(
                "completion from \(peer): \(completionStatus(status)) \(at)\(plateText); \(completionState(state))",
                "来自 \(peer) 的办结通知：\(completionStatus(status)) \(at)\(plateText)；\(completionState(state))")
    }
    /// `status`: notices not yet recorded by their origin.
    public static func completionsUndelivered(_ count: Int) -> String {
        text("completions not yet delivered \(count)", "未送达的办结通知 \(count)")
    }
}
