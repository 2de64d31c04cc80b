import Foundation

/// The folders under the state directory (DESIGN.md §5). Created at start; everything the
/// daemon writes lives here, so one `StateDirectory=` holds it all.
public struct StateLayout: Sendable {
    public let root: URL

    public init(root: String) { self.root = URL(fileURLWithPath: root) }

    /// Outbox journal and spool (owned by `Outbox`).
    public var outbox: URL { root }
    public var inbox: URL { root.appendingPathComponent("inbox") }
    public var quarantine: URL { root.appendingPathComponent("quarantine") }
    public var receipts: URL { root.appendingPathComponent("receipts") }
    public var intake: URL { root.appendingPathComponent("intake") }
    public var intakeFailed: URL { intake.appendingPathComponent("failed") }
    /// Archives being packed, on the spool's file system so enqueue is a rename.
    public var staging: URL { root.appendingPathComponent("tmp") }
    public var pulls: URL { root.appendingPathComponent("tmp/pulls") }
    /// The archive made for each peer's request of a vehicle (`PeerRequests`), one file each.
    public var requests: URL { root.appendingPathComponent("requests") }
    /// The bound `host:port`, written once listening (tests and the demo read it).
    public var listenFile: URL { root.appendingPathComponent("dossierd.listen") }

    /// Creates every folder; removes half-packed archives left in staging by a crash.
    func prepare() throws {
        for dir in [inbox, quarantine, receipts, intake, intakeFailed, staging, pulls, requests] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [] where name.hasSuffix(".dva") || name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: staging.appendingPathComponent(name))
        }
    }
}
