import ArgumentParser
import DossierAdmin
import Foundation

/// Options of every command that talks to the running daemon.
struct AdminOptions: ParsableArguments {
    @Option(help: "The daemon's admin socket.") var socket = AdminClient.defaultSocket
    @Flag(help: "Print JSON instead of text.") var json = false

    var client: AdminClient { AdminClient(socket: socket) }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The daemon's state: queue, peers, inbox, last errors.")
    @OptionGroup var admin: AdminOptions

    func run() {
        let status = admin.client.call("GET", "/status", as: AdminProtocol.Status.self)
        if admin.json { return printJSON(status) }
        print("\(status.version)  authority \(status.authority) \(status.authorityName)")
        print("up since \(status.upSince.formatted(.iso8601))  listening \(status.listen)")
        let queue = ["queued", "sending", "deferred", "dead", "delivered", "cancelled"]
            .map { "\($0) \(status.queue[$0] ?? 0)" }.joined(separator: "  ")
        print("queue     \(queue)")
        if let oldest = status.oldestWaitingSeconds { print("oldest waiting \(formatAge(oldest))") }
        print("inbox     accepted \(status.inbox.accepted)  rejected \(status.inbox.rejected)")
        print("peers")
        for peer in status.peers { print("  " + peerLine(peer)) }
        if !status.lastErrors.isEmpty {
            print("last errors")
            for line in status.lastErrors {
                print("  \(line.at.formatted(.iso8601)) \(line.peer ?? "-") \(line.id ?? "-") \(line.error)")
            }
        }
    }
}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "The outbox, one archive a line (like mailq).")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this state: queued, sending, deferred, dead, delivered, cancelled.") var state: String?
    @Option(help: "Only archives for this peer code.") var peer: String?

    func run() {
        var query: [String] = []
        if let state { query.append("state=\(state)") }
        if let peer { query.append("peer=\(peer)") }
        let lines = admin.client.call(
            "GET", "/queue" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            as: [AdminProtocol.QueueLine].self)
        if admin.json { return printJSON(lines) }
        if lines.isEmpty { return print("outbox is empty") }
        for line in lines {
            let next = line.nextAttemptAt.map { " next \($0.formatted(.iso8601))" } ?? ""
            print(
                "\(line.id)  \(line.state.padding(toLength: 9, withPad: " ", startingAt: 0)) → \(line.destination)  \(line.size) B  attempts \(line.attempts)\(next)"
            )
            if let error = line.lastError { print("    \(error)") }
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One archive's whole history and receipt.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The archive id.") var id: String

    func run() {
        let detail = admin.client.call("GET", "/entries/\(id)", as: AdminProtocol.EntryDetail.self)
        if admin.json { return printJSON(detail) }
        print("\(detail.entry.id) → \(detail.entry.destination)  \(detail.entry.state)")
        print("  size \(detail.entry.size)  sha256 \(detail.digest)\n  spool \(detail.archivePath)")
        print("history")
        for step in detail.history {
            print("  \(step.at.formatted(.iso8601))  \(step.state)\(step.outcome.map { "  \($0)" } ?? "")")
        }
        if let receipt = detail.receipt { print("receipt \(detail.receiptPath ?? "")\n  \(receipt)") }
    }
}

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue a dead or deferred archive again now.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The archive id.") var id: String?
    @Flag(help: "Queue every dead archive again.") var dead = false

    func validate() throws {
        guard (id != nil) != dead else { throw ValidationError("give an archive id or --dead") }
    }

    func run() {
        let path = dead ? "/retry-dead" : "/entries/\(id ?? "")/retry"
        let result = admin.client.call("POST", path, as: AdminProtocol.Retried.self)
        if admin.json { return printJSON(result) }
        print(result.ids.isEmpty ? "nothing to retry" : "queued again: \(result.ids.joined(separator: " "))")
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Stop trying to deliver an archive.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The archive id.") var id: String

    func run() {
        let result = admin.client.call("POST", "/entries/\(id)/cancel", as: AdminProtocol.Retried.self)
        if admin.json { return printJSON(result) }
        print("cancelled \(result.ids.joined(separator: " "))")
    }
}

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "peers", abstract: "Configured peers and their health.")
    @OptionGroup var admin: AdminOptions

    func run() {
        let peers = admin.client.call("GET", "/peers", as: [AdminProtocol.PeerStatus].self)
        if admin.json { return printJSON(peers) }
        peers.forEach { print(peerLine($0)) }
    }
}

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Pack a dossier folder and queue it for a peer (the daemon reads the folder).")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The dossier folder (dossier.json + documents/).") var directory: String
    @Option(help: "Destination authority code.") var to: String

    func run() {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        let progress = ProgressLine(label: "packing \(URL(fileURLWithPath: path).lastPathComponent)", total: folderSize(path))
        let result = progress.during {
            admin.client.call(
                "POST", "/submit", json: AdminProtocol.Submit(directory: path, destination: to), as: AdminProtocol.Submitted.self)
        }
        if admin.json { return printJSON(result) }
        print("queued \(result.id) for \(to)  \(result.size) bytes  sha256 \(result.sha256)")
    }
}

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Ask the origin authority for a vehicle's archive (the buyer registers here).")
    @OptionGroup var admin: AdminOptions
    @Option(help: "The origin authority's code (a configured peer).") var from: String
    @Option(help: "The vehicle's VIN.") var vin: String
    @Option(help: "The vehicle's plate number.") var plate: String

    func run() {
        let accepted = admin.client.call(
            "POST", "/request", json: AdminProtocol.RequestArchive(peer: from, vin: vin, plate: plate),
            as: AdminProtocol.RequestAccepted.self)
        if admin.json { return printJSON(accepted) }
        print("\(from) accepted the request \(accepted.requestId); archive \(accepted.archiveId ?? "pending") will arrive in the inbox")
    }
}

struct InboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbox", abstract: "Archives received from peers.")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Only those received since this ISO 8601 time.") var since: String?

    func run() {
        let query = since.map { "?since=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        let lines = admin.client.call("GET", "/inbox\(query)", as: [AdminProtocol.InboxLine].self)
        if admin.json { return printJSON(lines) }
        if lines.isEmpty { return print("inbox is empty") }
        for line in lines {
            print(
                "\(line.id)  \(line.status.padding(toLength: 8, withPad: " ", startingAt: 0)) from \(line.origin)  \(line.size) B  \(line.receivedAt.formatted(.iso8601))"
            )
        }
    }
}

func peerLine(_ peer: AdminProtocol.PeerStatus) -> String {
    let health = peer.circuitOpen ? "DOWN (circuit open)" : "ok"
    let delivered = "  last delivered " + (peer.lastSuccess.map { $0.formatted(.iso8601) } ?? "never")
    let received = peer.lastReceived.map { "  last received \($0.formatted(.iso8601))" } ?? ""
    let last = peer.lastError.map { "  last error: \($0)" } ?? ""
    return "\(peer.code) \(peer.name)  \(peer.mode)  \(peer.url)  \(health)  queued \(peer.queued)  in flight \(peer.inFlight)"
        + delivered + received + last
}

func formatAge(_ seconds: Double) -> String {
    seconds < 120 ? "\(Int(seconds)) s" : seconds < 7200 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3600)) h"
}

private func folderSize(_ path: String) -> UInt64 {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total: UInt64 = 0
    while let name = walker.nextObject() as? String {
        total += (try? FileManager.default.attributesOfItem(atPath: "\(path)/\(name)")[.size] as? UInt64) ?? 0
    }
    return total
}
