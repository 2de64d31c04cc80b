import ArgumentParser
import DossierAdmin
import Foundation

/// `dossierctl report`: the daemon's figures for a period (`GET /report`), printed as text,
/// CSV, JSON or one self-contained HTML page with bar charts.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Archives sent and received per peer and month, times from packing to receipt, rejections, intake refusals.",
        discussion:
            "Days are those of the daemon's time zone; --to is included. Computed by the daemon from its journal, receipts, inbox and intake/failed/."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json, html
    }

    @Option(name: .customLong("socket"), help: "The daemon's admin socket.") var socket = AdminClient.defaultSocket
    @Option(help: "First day, YYYY-MM-DD.") var from: String
    @Option(help: "Last day (included), YYYY-MM-DD.") var to: String
    @Option(help: "text, csv, json or html (one self-contained file with inline SVG charts).") var format: Format = .text

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            guard value.utf8.count == 10, parts.count == 3, parts.allSatisfy({ Int($0) != nil }) else {
                throw ValidationError("\(name) \(value): expected a date YYYY-MM-DD")
            }
        }
    }

    func run() {
        let report = AdminClient(socket: socket).call("GET", "/report?from=\(from)&to=\(to)", as: AdminProtocol.Report.self)
        switch format {
        case .json: printJSON(report)
        case .text: print(ReportText.text(report), terminator: "")
        case .csv: print(ReportText.csv(report), terminator: "")
        case .html: print(ReportHTML.page(report), terminator: "")
        }
    }
}
