/// The words of `dossierctl report` (text and HTML; CSV and JSON keep their fixed English keys).
public enum ReportLabels {
    public static func header(authority: String, name: String, from: String, to: String, timeZone: String) -> String {
        text("report \(authority) \(name)  \(from) … \(to) (\(timeZone))", "统计报表 \(authority) \(name)  \(from) … \(to)（\(timeZone)）")
    }
    public static func generated(_ at: String) -> String { text("generated \(at)", "生成于 \(at)") }
    public static var byMonth: String { text("by month          sent  received", "按月              转出  转入") }
    public static var byPeer: String { text("by peer           sent  received", "按对端            转出  转入") }
    public static var byMonthAndPeer: String { text("by month and peer", "按月、按对端") }
    public static var packingToReceipt: String { text("packing to receipt", "封装至回执用时") }
    public static var sent: String { text("sent", "转出") }
    public static var received: String { text("received", "转入") }
    public static var rejectedByUs: String { text("rejected by us", "本所拒收") }
    public static var rejectedByPeers: String { text("rejected by peers", "对端拒收") }
    public static var intakeRefusals: String { text("intake refusals", "intake 拒绝") }
    public static var none: String { text("none", "无") }
    public static func latency(count: Int, median: String, p95: String, max: String) -> String {
        text(
            "\(count) archives  median \(median)  p95 \(p95)  max \(max)",
            "\(count) 份档案  中位数 \(median)  p95 \(p95)  最长 \(max)")
    }
    public static func title(authority: String, from: String, to: String) -> String {
        text("dossierd report \(authority) \(from) – \(to)", "dossierd 统计报表 \(authority) \(from) – \(to)")
    }
    public static func subtitle(name: String, timeZone: String, generated: String) -> String {
        text("\(name) · days in \(timeZone) · generated \(generated)", "\(name) · 按 \(timeZone) 计日 · 生成于 \(generated)")
    }
    public static var archivesPerMonth: String { text("Archives per month", "每月档案数") }
    public static var archivesPerPeer: String { text("Archives per peer", "各对端档案数") }
    public static var perMonthAndPeer: String { text("Per month and peer", "按月、按对端") }
    public static var packingToReceiptTitle: String { text("Packing to receipt", "封装至回执用时") }
    public static var month: String { text("month", "月份") }
    public static var peer: String { text("peer", "对端") }
    public static var direction: String { text("direction", "方向") }
    public static var archives: String { text("archives", "档案数") }
    public static var median: String { text("median", "中位数") }
    public static var maximum: String { text("max", "最长") }
    public static var reason: String { text("reason", "原因") }
    public static var rejectedByUsTitle: String { text("Rejected by us (on receipt)", "本所拒收（接收时）") }
    public static var rejectedByPeersTitle: String { text("Rejected by peers", "对端拒收") }
    public static var intakeRefusalsTitle: String { text("Intake refusals by rule", "intake 拒绝（按规则）") }
    public static var noArchives: String { text("no archives", "无档案") }
    /// The HTML `lang` of the report.
    public static var htmlLanguage: String { text("en", "zh-CN") }
}
