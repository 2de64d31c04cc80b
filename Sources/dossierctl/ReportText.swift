import DossierText
import DossierAdmin
import Foundation

/// The report as plain text (for a terminal) and as CSV (one table, a `section` column first).
enum ReportText {
    static func text(_ report: AdminProtocol.Report) -> String {
        var out =
            ReportLabels.header(
                authority: report.authority, name: report.authorityName, from: report.from, to: report.to, timeZone: report.timeZone) + "\n"
        out += ReportLabels.generated(report.generatedAt.formatted(.iso8601)) + "\n\n"
        out += ReportLabels.byMonth + "\n"
        for cell in report.byMonth { out += "  \(pad(cell.month, 14)) \(pad(cell.sent, 5))  \(pad(cell.received, 8))\n" }
        out += ReportLabels.byPeer + "\n"
        for cell in report.byPeer { out += "  \(pad(cell.peer, 14)) \(pad(cell.sent, 5))  \(pad(cell.received, 8))\n" }
        out += ReportLabels.byMonthAndPeer + "\n"
        for cell in report.cells { out += "  \(cell.month) \(pad(cell.peer, 7)) \(pad(cell.sent, 5))  \(pad(cell.received, 8))\n" }
        out += ReportLabels.packingToReceipt + "\n"
        out += "  \(pad(ReportLabels.sent, 8))  " + latency(report.sentLatency) + "\n"
        out += "  \(pad(ReportLabels.received, 8))  " + latency(report.receivedLatency) + "\n"
        out += ReportLabels.packingToCompletion + "\n"
        out += "  \(pad(ReportLabels.sent, 8))  " + latency(report.sentCompletionLatency) + "\n"
        out += "  \(pad(ReportLabels.received, 8))  " + latency(report.receivedCompletionLatency) + "\n"
        for (title, counts) in [
            (ReportLabels.rejectedByUs, report.rejectedByUs), (ReportLabels.rejectedByPeers, report.rejectedByPeers),
            (ReportLabels.intakeRefusals, report.intakeRefusals),
        ] {
            out += title + (counts.isEmpty ? "  \(ReportLabels.none)\n" : "\n")
            for count in counts { out += "  \(pad(count.reason, 32)) \(count.count)\n" }
        }
        out += ReportLabels.pastSLA(days: report.slaDays, count: report.pastSLA.count) + "\n"
        for late in report.pastSLA {
            out += "  \(late.archiveId)  \(direction(late))  \(pad(CtlText.caseState(late.state), 10)) \(ReportLabels.days(late.days))\n"
        }
        return out
    }

    /// `→ 430100` for a case sent from here, `← 441800` for one received.
    static func direction(_ late: AdminProtocol.Report.LateCase) -> String { (late.direction == "out" ? "→ " : "← ") + late.peer }

    /// Columns `section,month,peer,reason,sent,received,count,median_s,p95_s,max_s,archive_id,direction,state,days`;
    /// each row fills those of its section (`past-sla`: month is that of the deadline).
    static func csv(_ report: AdminProtocol.Report) -> String {
        var rows = ["section,month,peer,reason,sent,received,count,median_s,p95_s,max_s,archive_id,direction,state,days"]
        for cell in report.cells { rows.append("month-peer,\(cell.month),\(field(cell.peer)),,\(cell.sent),\(cell.received),,,,,,,,") }
        for (name, latency) in [
            ("latency-sent", report.sentLatency), ("latency-received", report.receivedLatency),
            ("completion-sent", report.sentCompletionLatency), ("completion-received", report.receivedCompletionLatency),
        ] {
            guard let latency else { continue }
            rows.append(
                "\(name),,,,,,\(latency.count),\(seconds(latency.median)),\(seconds(latency.p95)),\(seconds(latency.max)),,,,")
        }
        for (name, counts) in [
            ("rejected-by-us", report.rejectedByUs), ("rejected-by-peers", report.rejectedByPeers),
            ("intake-refusal", report.intakeRefusals),
        ] {
            for count in counts { rows.append("\(name),,,\(field(count.reason)),,,\(count.count),,,,,,,") }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: report.timeZone) ?? .current
        for late in report.pastSLA {
            let parts = calendar.dateComponents([.year, .month], from: late.deadline)
            let deadline = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            rows.append(
                "past-sla,\(deadline),\(field(late.peer)),,,,,,,,\(field(late.archiveId)),\(late.direction),\(late.state),"
                    + String(format: "%.3f", late.days))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static func latency(_ latency: AdminProtocol.Report.Latency?) -> String {
        guard let latency else { return ReportLabels.none }
        return ReportLabels.latency(
            count: latency.count, median: duration(latency.median), p95: duration(latency.p95), max: duration(latency.max))
    }

    /// Seconds as `850 ms`, `12.3 s`, `4.5 min` or `2.0 h`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        if seconds < 7200 { return String(format: "%.1f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
    private static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    private static func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
        let text = value.description
        return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
