import DossierArchive
import Foundation

/// The folders under the state directory (docs/architecture.md). Created at start; everything the
/// daemon writes lives here, so one `StateDirectory=` holds it all.
public struct StateLayout: Sendable {
    public let root: URL

    public init(root: String) { self.root = URL(fileURLWithPath: root) }

    /// Outbox journal and spool (owned by `Outbox`).
    public var outbox: URL { root }
    public var inbox: URL { root.appendingPathComponent("inbox", isDirectory: true) }
    public var quarantine: URL { root.appendingPathComponent("quarantine", isDirectory: true) }
    public var receipts: URL { root.appendingPathComponent("receipts", isDirectory: true) }
    public var intake: URL { root.appendingPathComponent("intake", isDirectory: true) }
    public var intakeFailed: URL { intake.appendingPathComponent("failed", isDirectory: true) }
    /// Archives being packed, on the spool's file system so enqueue is a rename.
    public var staging: URL { root.appendingPathComponent("tmp", isDirectory: true) }
    public var pulls: URL { root.appendingPathComponent("tmp/pulls", isDirectory: true) }
    /// The archive made for each peer's request of a vehicle (`PeerRequests`), one file each.
    public var requests: URL { root.appendingPathComponent("requests", isDirectory: true) }
    /// Which archive each queued dossier became (`SubmissionIndex`).
    public var submissions: URL { root.appendingPathComponent("submissions", isDirectory: true) }
    /// Completion notices sent (`sent/`) and received (`received/`) (`Completions`).
    public var completions: URL { root.appendingPathComponent("completions", isDirectory: true) }
    /// The last good copy of each CRL fetched from a distribution URL.
    public var crls: URL { root.appendingPathComponent("crl", isDirectory: true) }
    /// Where the last good CRL fetched from `url` is kept (PEM), named by the URL's SHA-256 so
    /// that any URL maps to one safe file name.
    public func fetchedCRL(_ url: String) -> URL {
        crls.appendingPathComponent("\(SHA256.hex(of: Array(url.utf8)).prefix(32)).crl.pem", isDirectory: false)
    }
    /// The last good signed directory fetched from `[directory] url` (attached CMS, as fetched).
    public var directoryCopy: URL { root.appendingPathComponent("directory.p7m", isDirectory: false) }
    /// The last good credit restriction list fetched from `[policy.credit] url` (text, as fetched).
    public var creditListCopy: URL { root.appendingPathComponent("credit-list.txt", isDirectory: false) }
    /// The bound `host:port`, written once listening (tests and the demo read it).
    public var listenFile: URL { root.appendingPathComponent("dossierd.listen", isDirectory: false) }

    /// A path the journal recorded: relative ones (this build) are under the state
    /// directory; absolute ones (older builds) are taken as they are while they exist, and
    /// otherwise as the same `<folder>/<name>` under this state directory (it was moved).
    public func resolve(_ recorded: String) -> URL {
        guard recorded.hasPrefix("/") else { return root.appendingPathComponent(recorded, isDirectory: false) }
        let url = URL(fileURLWithPath: recorded)
        if FileManager.default.fileExists(atPath: recorded) { return url }
        return root.appendingPathComponent(url.deletingLastPathComponent().lastPathComponent, isDirectory: true)
            .appendingPathComponent(url.lastPathComponent, isDirectory: false)
    }

    /// Creates every folder, and `intake/<code>/` for each peer; removes half-packed
    /// archives (and submissions' packing folders, and queued intake folders being removed)
    /// left in staging by a crash, and shows a refused intake folder a crash left hidden.
    func prepare(peers: [String]) throws {
        for dir in [inbox, quarantine, receipts, intake, intakeFailed, staging, pulls, requests, crls, submissions, completions] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try prepareIntake(peers: peers)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
        where name.hasSuffix(".dva") || name.hasSuffix(".tmp") || name.hasPrefix("packing-") || name.hasPrefix("removing-") {
            try? FileManager.default.removeItem(at: staging.appendingPathComponent(name))
        }
        // A refused folder a crash left under its dot name (`IntakeService.reject`) is shown,
        // with or without its reason.txt.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: intakeFailed.path)) ?? [] where name.hasPrefix(".") {
            let shown = intakeFailed.appendingPathComponent(String(name.dropFirst()))
            if !FileManager.default.fileExists(atPath: shown.path) {
                try? FileManager.default.moveItem(at: intakeFailed.appendingPathComponent(name), to: shown)
            }
        }
    }

    /// Creates `intake/<code>/` for each peer that has none (at start and on reload), so
    /// operators find where to drop a dossier for each peer.
    func prepareIntake(peers: [String]) throws {
        for code in peers {
            try FileManager.default.createDirectory(at: intake.appendingPathComponent(code), withIntermediateDirectories: true)
        }
    }
}
