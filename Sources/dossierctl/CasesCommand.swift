import ArgumentParser
import DossierAdmin
import DossierText
import Foundation

/// `dossierctl cases`: one line per vehicle transfer, then its timeline: each step known with
/// its time and how long it took after the step before it.
struct CasesCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "cases", abstract: CtlText.casesAbstract) }
    @OptionGroup var admin: AdminOptions
    @Flag(help: ArgumentHelp(CtlText.casesOpenHelp)) var open = false
    @Option(help: ArgumentHelp(CtlText.casesPeerHelp)) var peer: String?

    func run() {
        var query: [String] = []
        if open { query.append("open=1") }
        if let peer { query.append("peer=\(peer.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? peer)") }
        let cases = admin.client.call(
            "GET", "/cases" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), as: [AdminProtocol.Case].self)
        if admin.json { return printJSON(cases) }
        if cases.isEmpty { return print(CtlText.noCases) }
        for line in cases {
            print(
                CtlText.caseLine(
                    vin: line.vin, id: line.archiveId, peer: line.peer, direction: line.direction, state: line.state,
                    overdue: line.overdue))
            print("    " + Self.timeline(line.steps))
        }
    }

    /// `requested 2026-12-01T09:00:00Z · packed +12 s · …`; unknown steps as `-`.
    static func timeline(_ steps: [(name: String, at: Date?)]) -> String {
        var previous: Date?
        var parts: [String] = []
        for step in steps {
            let name = CtlText.caseStep(step.name)
            guard let at = step.at else {
                parts.append("\(name) -")
                continue
            }
            parts.append(
                previous.map { "\(name) +\(CtlText.age(max(0, at.timeIntervalSince($0))))" } ?? "\(name) \(at.formatted(.iso8601))")
            previous = at
        }
        return parts.joined(separator: " · ")
    }
}
