/// The words of `dossierctl report` (help, text and HTML; CSV and JSON keep their fixed English
/// keys).
public enum ReportLabels {
    // MARK: Help

    public static var abstract: String {
        text(
            "Archives sent and received per peer and month, times from packing to receipt and to completion, rejections, intake refusals, cases past the SLA.",
            "按对端、按月统计转出与转入的机动车档案，封装至回执及至办结的用时，拒收，intake 拒绝，超过办理时限的案件。")
    }
    public static var discussion: String {
        text(
            "Days are those of the daemon's time zone; --to is included. Computed by the daemon from its journal, receipts, inbox, custody log and intake/failed/.",
            "日期按守护进程所在时区计算，含 --to 当天。由守护进程根据其发件日志、回执、收件箱、保管日志和 intake/failed/ 计算。")
    }
    public static var fromHelp: String { text("First day, YYYY-MM-DD.", "起始日期，YYYY-MM-DD。") }
    public static var toHelp: String { text("Last day (included), YYYY-MM-DD.", "截止日期（含当天），YYYY-MM-DD。") }
    public static var formatHelp: String {
        text(
            "text, csv, json or html (one self-contained file with inline SVG charts).",
            "text、csv、json 或 html（单个自包含文件，内嵌 SVG 图表）。")
    }
    /// `--from`/`--to` that is not a date.
    public static func badDate(option: String, value: String) -> String {
        text("\(option) \(value): expected a date YYYY-MM-DD", "\(option) \(value)：应为日期 YYYY-MM-DD")
    }

    // MARK: Report

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
    public static var packingToCompletion: String { text("packing to completion", "封装至办结用时") }
    public static var packingToCompletionTitle: String {
        text("Packing to completion (registration or refusal)", "封装至办结（登记或拒绝登记）用时")
    }
    /// The text report's heading of the cases past `[sla] transfer_days`.
    public static func pastSLA(days: Int, count: Int) -> String {
        text("past the SLA of \(days) days  \(count) cases", "超过办理时限（\(days) 天）  \(count) 件")
    }
    public static func pastSLATitle(days: Int) -> String {
        text("Cases past the SLA of \(days) days", "超过办理时限（\(days) 天）的案件")
    }
    /// `4.2 days`: how long a late case took, or has been open.
    public static func days(_ days: Double) -> String {
        let figure = String(format: "%.1f", days)
        return text("\(figure) days", "\(figure) 天")
    }
    public static var archive: String { text("archive", "档案编号") }
    public static var state: String { text("state", "状态") }
    public static var started: String { text("first step", "首个环节") }
    public static var deadline: String { text("deadline", "期限") }
    public static var completed: String { text("completed", "办结") }
    public static var took: String { text("days", "天数") }
    /// The HTML `lang` of the report.
    public static var htmlLanguage: String { text("en", "zh-CN") }
}
