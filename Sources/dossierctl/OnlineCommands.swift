import ArgumentParser
import DossierAdmin
import DossierSystem
import DossierText
import Foundation

/// Options of every command that talks to the running daemon.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp(CtlText.socketHelp)) var socket = AdminClient.defaultSocket
    @Flag(help: ArgumentHelp(CtlText.jsonHelp)) var json = false

    var client: AdminClient { AdminClient(socket: socket) }
}

struct StatusCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "status", abstract: CtlText.statusAbstract) }
    @OptionGroup var admin: AdminOptions

    func run() {
        let status = admin.client.call("GET", "/status", as: AdminProtocol.Status.self)
        if admin.json { return printJSON(status) }
        print(CtlText.statusHeader(version: status.version, authority: status.authority, name: status.authorityName))
        print(CtlText.upSince(status.upSince.formatted(.iso8601), listen: status.listen))
        let queue = ["queued", "sending", "deferred", "dead", "delivered", "cancelled"]
            .map { "\(CtlText.state($0)) \(status.queue[$0] ?? 0)" }.joined(separator: "  ")
        print(CtlText.queueLabel + queue)
        if let oldest = status.oldestWaitingSeconds { print(CtlText.oldestWaiting(CtlText.age(oldest))) }
        print(CtlText.inboxCounts(accepted: status.inbox.accepted, rejected: status.inbox.rejected))
        if let undelivered = status.completionsUndelivered, undelivered > 0 { print(CtlText.completionsUndelivered(undelivered)) }
        print(CtlText.peersLabel)
        for peer in status.peers { print("  " + peerLine(peer)) }
        if !status.warnings.isEmpty {
            print(CtlText.warningsLabel)
            for (index, warning) in status.warnings.enumerated() {
                print("  " + Bilingual(warning, status.warningsZh.indices.contains(index) ? status.warningsZh[index] : warning).description)
            }
        }
        if !status.lastErrors.isEmpty {
            print(CtlText.lastErrorsLabel)
            for line in status.lastErrors {
                print("  \(line.at.formatted(.iso8601)) \(line.peer ?? "-") \(line.id ?? "-") \(CtlText.errorLine(line.error))")
            }
        }
    }
}

struct QueueCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "queue", abstract: CtlText.queueAbstract) }
    @OptionGroup var admin: AdminOptions
    @Option(help: ArgumentHelp(CtlText.queueStateHelp)) var state: String?
    @Option(help: ArgumentHelp(CtlText.queuePeerHelp)) var peer: String?

    func run() {
        var query: [String] = []
        if let state { query.append("state=\(state)") }
        if let peer { query.append("peer=\(peer)") }
        let lines = admin.client.call(
            "GET", "/queue" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            as: [AdminProtocol.QueueLine].self)
        if admin.json { return printJSON(lines) }
        if lines.isEmpty { return print(CtlText.outboxEmpty) }
        for line in lines {
            print(
                CtlText.queueLine(
                    id: line.id, state: line.held == true ? "held" : line.state, destination: line.destination, size: line.size,
                    attempts: line.attempts,
                    next: line.nextAttemptAt?.formatted(.iso8601)))
            if let error = line.lastError { print("    \(CtlText.errorLine(error))") }
        }
    }
}

struct ShowCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: CtlText.showAbstract) }
    @OptionGroup var admin: AdminOptions
    @Argument(help: ArgumentHelp(CtlText.archiveIdHelp)) var id: String

    func run() {
        // An archive received here has no outbox entry: its completion is all there is to show.
        guard let detail = admin.client.poll("/entries/\(id)", as: AdminProtocol.EntryDetail.self) else {
            let completion = admin.client.call("GET", "/completions/\(id)", as: AdminProtocol.Completion.self)
            if admin.json { return printJSON(completion) }
            return printCompletion(completion)
        }
        if admin.json { return printJSON(detail) }
        let held = detail.entry.held == true ? " (\(CtlText.state("held")))" : ""
        print("\(detail.entry.id) → \(detail.entry.destination)  \(CtlText.state(detail.entry.state))\(held)")
        print(CtlText.showSizeLine(size: detail.entry.size, digest: detail.digest, spool: detail.archivePath))
        print(CtlText.historyLabel)
        for step in detail.history {
            print(
                "  \(step.at.formatted(.iso8601))  \(CtlText.state(step.state))\(step.outcome.map { "  \(CtlText.errorLine($0))" } ?? "")")
        }
        if let receipt = detail.receipt { print("\(CtlText.receiptLabel) \(detail.receiptPath ?? "")\n  \(receipt)") }
        if let completion = detail.completion { printCompletion(completion) }
    }
}

struct RetryCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "retry", abstract: CtlText.retryAbstract) }
    @OptionGroup var admin: AdminOptions
    @Argument(help: ArgumentHelp(CtlText.archiveIdHelp)) var id: String?
    @Flag(help: ArgumentHelp(CtlText.retryDeadHelp)) var dead = false

    func validate() throws {
        guard (id != nil) != dead else { throw ValidationError(CtlText.retryUsage) }
    }

    func run() {
        let path = dead ? "/retry-dead" : "/entries/\(id ?? "")/retry"
        let result = admin.client.call("POST", path, as: AdminProtocol.Retried.self)
        if admin.json { return printJSON(result) }
        print(result.ids.isEmpty ? CtlText.nothingToRetry : CtlText.queuedAgain(result.ids.joined(separator: " ")))
    }
}

struct CancelCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "cancel", abstract: CtlText.cancelAbstract) }
    @OptionGroup var admin: AdminOptions
    @Argument(help: ArgumentHelp(CtlText.archiveIdHelp)) var id: String

    func run() {
        let result = admin.client.call("POST", "/entries/\(id)/cancel", as: AdminProtocol.Retried.self)
        if admin.json { return printJSON(result) }
        print(CtlText.cancelled(result.ids.joined(separator: " ")))
    }
}

struct PeersCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "peers", abstract: CtlText.peersAbstract) }
    @OptionGroup var admin: AdminOptions

    func run() {
        let peers = admin.client.call("GET", "/peers", as: [AdminProtocol.PeerStatus].self)
        if admin.json { return printJSON(peers) }
        peers.forEach { print(peerLine($0)) }
    }
}

struct SubmitCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "submit", abstract: CtlText.submitAbstract) }
    @OptionGroup var admin: AdminOptions
    @Argument(help: ArgumentHelp(CtlText.submitDirectoryHelp)) var directory: String
    @Option(help: ArgumentHelp(CtlText.destinationHelp)) var to: String

    func run() {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        let client = admin.client
        let query = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path
        let progress = ProgressLine(label: CtlText.packing(URL(fileURLWithPath: path).lastPathComponent), total: FileIO.treeSize(path)) {
            client.poll("/progress?directory=\(query)", as: AdminProtocol.Progress.self).map { ($0.packed, $0.total) }
        }
        let result = progress.during {
            admin.client.call(
                "POST", "/submit", json: AdminProtocol.Submit(directory: path, destination: to), as: AdminProtocol.Submitted.self)
        }
        if admin.json { return printJSON(result) }
        for warning in result.warnings ?? [] { print(CtlText.packedWithWarning(warning)) }
        if result.alreadyQueued { return print(CtlText.alreadyQueued(id: result.id, to: to)) }
        print(CtlText.submitted(id: result.id, to: to, size: result.size, sha256: result.sha256))
    }
}

struct RequestCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "request", abstract: CtlText.requestAbstract) }
    @OptionGroup var admin: AdminOptions
    @Option(help: ArgumentHelp(CtlText.requestFromHelp)) var from: String
    @Option(help: ArgumentHelp(CtlText.vinHelp)) var vin: String
    @Option(help: ArgumentHelp(CtlText.plateHelp)) var plate: String

    func run() {
        let accepted = admin.client.call(
            "POST", "/request", json: AdminProtocol.RequestArchive(peer: from, vin: vin, plate: plate),
            as: AdminProtocol.RequestAccepted.self)
        if admin.json { return printJSON(accepted) }
        print(CtlText.requestAccepted(from: from, requestId: accepted.requestId, archiveId: accepted.archiveId))
    }
}

struct InboxCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "inbox", abstract: CtlText.inboxAbstract) }
    @OptionGroup var admin: AdminOptions
    @Option(help: ArgumentHelp(CtlText.inboxSinceHelp)) var since: String?

    func run() {
        let query = since.map { "?since=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        let lines = admin.client.call("GET", "/inbox\(query)", as: [AdminProtocol.InboxLine].self)
        if admin.json { return printJSON(lines) }
        if lines.isEmpty { return print(CtlText.inboxEmpty) }
        for line in lines {
            print(
                CtlText.inboxLine(
                    id: line.id, status: line.status, origin: line.origin, size: line.size, receivedAt: line.receivedAt.formatted(.iso8601))
            )
        }
    }
}

/// A completion notice, as `show` and `complete` print it.
func printCompletion(_ completion: AdminProtocol.Completion) {
    print(
        CtlText.completionLine(
            role: completion.role, peer: completion.peer, status: completion.status, at: completion.registeredAt.formatted(.iso8601),
            plate: completion.newPlate, state: completion.state))
    for reason in completion.reasons { print("  \(reason)") }
    if let error = completion.lastError, completion.state != "delivered" { print("  \(CtlText.errorLine(error))") }
}

/// One peer of `status` and `peers`.
func peerLine(_ peer: AdminProtocol.PeerStatus) -> String {
    CtlText.peerLine(
        code: peer.code, name: peer.name, mode: peer.mode, url: peer.url, circuitOpen: peer.circuitOpen, queued: peer.queued,
        inFlight: peer.inFlight, lastDelivered: peer.lastSuccess.map { $0.formatted(.iso8601) },
        lastReceived: peer.lastReceived.map { $0.formatted(.iso8601) }, lastError: peer.lastError)
        + (peer.source.map { "  " + CtlText.peerSource($0) } ?? "")
}
