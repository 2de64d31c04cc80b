import Foundation

/// The JSON bodies of the admin API (HTTP on the unix socket), shared by the daemon and
/// `dossierctl`. Paths: `GET /status`, `GET /queue?state=&peer=`, `GET /entries/{id}`,
/// `POST /entries/{id}/retry`, `POST /entries/{id}/cancel`, `POST /retry-dead`, `GET /peers`,
/// `POST /submit`, `POST /request`, `GET /inbox?since=`, `GET /metrics` (Prometheus text).
public enum AdminProtocol {
    public struct Status: Codable, Sendable {
        public var version: String
        public var upSince: Date
        public var authority: String
        public var authorityName: String
        public var listen: String
        public var queue: [String: Int]
        public var queueByPeer: [String: [String: Int]]
        public var oldestWaitingSeconds: Double?
        public var peers: [PeerStatus]
        public var inbox: InboxCounts
        public var lastErrors: [ErrorLine]
    }

    public struct InboxCounts: Codable, Sendable {
        public var accepted: Int
        public var rejected: Int
    }

    public struct ErrorLine: Codable, Sendable {
        public var at: Date
        public var id: String?
        public var peer: String?
        public var error: String
    }

    public struct PeerStatus: Codable, Sendable {
        public var code: String
        public var name: String
        public var url: String
        public var mode: String
        public var circuitOpen: Bool
        public var inFlight: Int
        public var queued: Int
        public var lastSuccess: Date?
        public var lastError: String?
    }

    public struct QueueLine: Codable, Sendable {
        public var id: String
        public var destination: String
        public var state: String
        public var size: UInt64
        public var createdAt: Date
        public var attempts: Int
        public var nextAttemptAt: Date?
        public var lastError: String?
    }

    public struct Transition: Codable, Sendable {
        public var at: Date
        public var state: String
        public var outcome: String?
    }

    public struct EntryDetail: Codable, Sendable {
        public var entry: QueueLine
        public var digest: String
        public var archivePath: String
        public var history: [Transition]
        public var receiptPath: String?
        /// The receipt's JSON, when delivered.
        public var receipt: String?
    }

    public struct Submit: Codable, Sendable {
        public var directory: String
        public var destination: String
        public init(directory: String, destination: String) { self.directory = directory; self.destination = destination }
    }

    /// `POST /request`: ask peer `peer` (the origin) for a vehicle's archive.
    public struct RequestArchive: Codable, Sendable {
        public var peer: String
        public var vin: String
        public var plate: String
        public init(peer: String, vin: String, plate: String) { self.peer = peer; self.vin = vin; self.plate = plate }
    }

    public struct Submitted: Codable, Sendable {
        public var id: String
        public var size: UInt64
        public var sha256: String
    }

    public struct Retried: Codable, Sendable {
        public var ids: [String]
    }

    public struct InboxLine: Codable, Sendable {
        public var id: String
        public var origin: String
        public var status: String
        public var digest: String
        public var size: UInt64
        public var receivedAt: Date
    }

    /// Every error answer: what went wrong, and a problem list when a dossier was refused.
    public struct Failure: Codable, Sendable, Error {
        public var error: String
        public var problems: [String]?
        public init(error: String, problems: [String]? = nil) { self.error = error; self.problems = problems }
    }
}
