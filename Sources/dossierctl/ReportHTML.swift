import DossierText
import DossierAdmin
import Foundation

/// The report as one self-contained HTML page: no scripts, no external files; bar charts
/// (sent and received per month, per peer) are inline SVG.
enum ReportHTML {
    static func page(_ report: AdminProtocol.Report) -> String {
        let title = ReportLabels.title(authority: report.authority, from: report.from, to: report.to)
        var body = "<h1>\(escape(title))</h1>\n"
        body +=
            "<p>\(escape(ReportLabels.subtitle(name: report.authorityName, timeZone: report.timeZone, generated: report.generatedAt.formatted(.iso8601))))</p>\n"
        body += "<h2>\(escape(ReportLabels.archivesPerMonth))</h2>\n" + chart(report.byMonth.map { ($0.month, $0.sent, $0.received) })
        body += "<h2>\(escape(ReportLabels.archivesPerPeer))</h2>\n" + chart(report.byPeer.map { ($0.peer, $0.sent, $0.received) })
        body += "<h2>\(escape(ReportLabels.perMonthAndPeer))</h2>\n"
        body += table(
            [ReportLabels.month, ReportLabels.peer, ReportLabels.sent, ReportLabels.received],
            report.cells.map { [$0.month, $0.peer, "\($0.sent)", "\($0.received)"] })
        body += "<h2>\(escape(ReportLabels.packingToReceiptTitle))</h2>\n"
        body += table(
            [ReportLabels.direction, ReportLabels.archives, ReportLabels.median, "p95", ReportLabels.maximum],
            [(ReportLabels.sent, report.sentLatency), (ReportLabels.received, report.receivedLatency)].map(latencyRow))
        body += "<h2>\(escape(ReportLabels.packingToCompletionTitle))</h2>\n"
        body += table(
            [ReportLabels.direction, ReportLabels.archives, ReportLabels.median, "p95", ReportLabels.maximum],
            [(ReportLabels.sent, report.sentCompletionLatency), (ReportLabels.received, report.receivedCompletionLatency)].map(latencyRow))
        for (heading, counts) in [
            (ReportLabels.rejectedByUsTitle, report.rejectedByUs), (ReportLabels.rejectedByPeersTitle, report.rejectedByPeers),
            (ReportLabels.intakeRefusalsTitle, report.intakeRefusals),
        ] {
            body += "<h2>\(escape(heading))</h2>\n"
            body +=
                counts.isEmpty
                ? "<p>\(ReportLabels.none)</p>\n"
                : table([ReportLabels.reason, ReportLabels.archives], counts.map { [$0.reason, "\($0.count)"] })
        }
        body += "<h2>\(escape(ReportLabels.pastSLATitle(days: report.slaDays)))</h2>\n"
        body +=
            report.pastSLA.isEmpty
            ? "<p>\(ReportLabels.none)</p>\n"
            : table(
                [
                    ReportLabels.archive, ReportLabels.peer, ReportLabels.state, ReportLabels.started, ReportLabels.deadline,
                    ReportLabels.completed, ReportLabels.took,
                ],
                report.pastSLA.map {
                    [
                        $0.archiveId, ReportText.direction($0), CtlText.caseState($0.state), $0.started.formatted(.iso8601),
                        $0.deadline.formatted(.iso8601), $0.completed?.formatted(.iso8601) ?? "–", String(format: "%.1f", $0.days),
                    ]
                })
        return """
            <!DOCTYPE html>
            <html lang="\(ReportLabels.htmlLanguage)">
            <head>
            <meta charset="utf-8">
            <title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 1em; }
            th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .sent { fill: #3b6ea5; } .received { fill: #e08a2c; }
            svg text { font-size: 12px; font-family: sans-serif; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    /// A row of a latency table: the direction, then the count and figures, or dashes for none.
    private static func latencyRow(_ name: String, _ latency: AdminProtocol.Report.Latency?) -> [String] {
        guard let latency else { return [name, "0", "–", "–", "–"] }
        return [
            name, "\(latency.count)", ReportText.duration(latency.median), ReportText.duration(latency.p95),
            ReportText.duration(latency.max),
        ]
    }

    /// Grouped bars, sent and received per label, with a legend and the counts above the bars.
    static func chart(_ rows: [(label: String, sent: Int, received: Int)]) -> String {
        guard !rows.isEmpty else { return "<p>\(ReportLabels.noArchives)</p>\n" }
        let (barWidth, gap, plotHeight, top, bottom) = (22, 18, 200, 40, 40)
        let width = max(240, rows.count * (2 * barWidth + gap) + gap)
        let peak = max(1, rows.map { max($0.sent, $0.received) }.max() ?? 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(top + plotHeight + bottom)\" role=\"img\">\n"
        svg +=
            "<rect class=\"sent\" x=\"4\" y=\"6\" width=\"12\" height=\"12\"/><text x=\"20\" y=\"17\">\(escape(ReportLabels.sent))</text>\n"
        svg +=
            "<rect class=\"received\" x=\"70\" y=\"6\" width=\"12\" height=\"12\"/><text x=\"86\" y=\"17\">\(escape(ReportLabels.received))</text>\n"
        for (index, row) in rows.enumerated() {
            let x = gap + index * (2 * barWidth + gap)
            for (offset, value, kind, name) in [
                (0, row.sent, "sent", ReportLabels.sent), (barWidth, row.received, "received", ReportLabels.received),
            ] {
                let height = value * plotHeight / peak
                let y = top + plotHeight - height
                svg += "<rect class=\"\(kind)\" x=\"\(x + offset)\" y=\"\(y)\" width=\"\(barWidth - 2)\" height=\"\(height)\">"
                svg += "<title>\(escape(row.label)) \(escape(name)) \(value)</title></rect>"
                svg += "<text x=\"\(x + offset + barWidth / 2 - 1)\" y=\"\(y - 3)\" text-anchor=\"middle\">\(value)</text>\n"
            }
            svg += "<text x=\"\(x + barWidth)\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(escape(row.label))</text>\n"
        }
        svg += "<line x1=\"0\" y1=\"\(top + plotHeight)\" x2=\"\(width)\" y2=\"\(top + plotHeight)\" stroke=\"#888\"/>\n"
        return svg + "</svg>\n"
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> String {
        var html = "<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        return html + "</table>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
