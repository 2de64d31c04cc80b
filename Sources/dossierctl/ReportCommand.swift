import ArgumentParser
import DossierAdmin
import DossierText
import Foundation

/// `dossierctl report`: the daemon's figures for a period (`GET /report`), printed as text,
/// CSV, JSON or one self-contained HTML page with bar charts; help in the operator's language.
struct ReportCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "report", abstract: ReportLabels.abstract, discussion: ReportLabels.discussion)
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json, html
    }

    @Option(name: .customLong("socket"), help: ArgumentHelp(CtlText.socketHelp)) var socket = AdminClient.defaultSocket
    @Option(help: ArgumentHelp(ReportLabels.fromHelp)) var from: String
    @Option(help: ArgumentHelp(ReportLabels.toHelp)) var to: String
    @Option(help: ArgumentHelp(ReportLabels.formatHelp)) var format: Format = .text

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            guard value.utf8.count == 10, parts.count == 3, parts.allSatisfy({ Int($0) != nil }) else {
                throw ValidationError(ReportLabels.badDate(option: name, value: value))
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
