import Foundation

extension DaemonText.Admin {
    /// `GET /cases` when the custody log or the history cannot be read.
    public static func casesUnreadable(_ error: String) -> Bilingual {
        Bilingual("cases cannot be assembled: \(error)", "无法汇总转递案件：\(error)")
    }
}

extension CtlText {
    public static var casesAbstract: String {
        text(
            "List vehicle transfers (cases) with their steps and durations.",
            "列出机动车档案转递案件及各环节时间与耗时。")
    }
    public static var casesOpenHelp: String { text("Only cases not yet completed.", "仅列出未办结的案件。") }
    public static var casesPeerHelp: String { text("Only cases with this authority (6-digit code).", "仅列出与该车辆管理所（6 位代码）之间的案件。") }
    public static var noCases: String { text("no cases", "没有转递案件") }

    /// A case's state word.
    public static func caseState(_ state: String) -> String {
        switch state {
        case "open": text("open", "办理中")
        case "completed": text("completed", "已办结")
        case "refused": text("refused", "已拒绝登记")
        case "rejected": text("rejected", "验证未通过")
        case "cancelled": text("cancelled", "已取消")
        default: state
        }
    }

    /// A step of a case's timeline.
    public static func caseStep(_ step: String) -> String {
        switch step {
        case "requested": text("requested", "申请")
        case "packed": text("packed", "封装")
        case "sent": text("sent", "发送")
        case "received": text("received", "接收")
        case "verified": text("verified", "验证")
        case "completed": text("completed", "办结")
        default: step
        }
    }

    /// The head line of a case.
    public static func caseLine(vin: String?, id: String, peer: String, direction: String, state: String, overdue: Bool) -> String {
        let arrow = direction == "out" ? "→" : "←"
        let late = overdue ? "  " + text("OVERDUE", "已超期") : ""
        return "\(vin ?? "-")  \(id)  \(arrow) \(peer)  \(caseState(state))\(late)"
    }
}
