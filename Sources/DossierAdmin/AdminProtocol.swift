import Foundation

/// The JSON bodies of the admin API (HTTP on the unix socket), shared by the daemon and
/// `dossierctl` (a Foundation-only module, so the CLI links nothing of the daemon). Paths: `GET /status`, `GET /queue?state=&peer=`, `GET /entries/{id}`,
/// `POST /entries/{id}/retry`, `POST /entries/{id}/cancel`, `POST /retry-dead`, `GET /peers`,
/// `POST /submit`, `POST /request`, `POST /complete`, `GET /completions/{id}`, `GET /inbox?since=`,
/// `GET /report?from=&to=` (`Report`), `GET /cases?open=1&peer=` (`[Case]`),
/// `GET /metrics` (Prometheus text).
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
        /// What needs an operator's attention now (a CRL past its nextUpdate, a failing CRL
        /// fetch), one sentence each.
        public var warnings: [String]
        /// The same warnings in Chinese, in the same order.
        public var warningsZh: [String]
        /// Completion notices signed here and not yet recorded by the archive's origin
        /// (pending or failed).
        public var completionsUndelivered: Int?

        public init(
            version: String, upSince: Date, authority: String, authorityName: String, listen: String, queue: [String: Int],
            queueByPeer: [String: [String: Int]], oldestWaitingSeconds: Double?, peers: [PeerStatus], inbox: InboxCounts,
            lastErrors: [ErrorLine], warnings: [String] = [], warningsZh: [String] = [], completionsUndelivered: Int? = nil
        ) {
            self.completionsUndelivered = completionsUndelivered
            self.version = version
            self.upSince = upSince
            self.authority = authority
            self.authorityName = authorityName
            self.listen = listen
            self.queue = queue
            self.queueByPeer = queueByPeer
            self.oldestWaitingSeconds = oldestWaitingSeconds
            self.peers = peers
            self.inbox = inbox
            self.lastErrors = lastErrors
            self.warnings = warnings
            self.warningsZh = warningsZh
        }
    }

    public struct InboxCounts: Codable, Sendable {
        public var accepted: Int
        public var rejected: Int

        public init(accepted: Int, rejected: Int) {
            self.accepted = accepted
            self.rejected = rejected
        }
    }

    public struct ErrorLine: Codable, Sendable {
        public var at: Date
        public var id: String?
        public var peer: String?
        public var error: String

        public init(at: Date, id: String?, peer: String?, error: String) {
            self.at = at
            self.id = id
            self.peer = peer
            self.error = error
        }
    }

    public struct PeerStatus: Codable, Sendable {
        public var code: String
        public var name: String
        public var url: String
        public var mode: String
        public var circuitOpen: Bool
        public var inFlight: Int
        public var queued: Int
        /// When an archive was last delivered to this peer (its receipt kept), from the outbox.
        public var lastSuccess: Date?
        /// When an archive from this peer was last accepted into the inbox.
        public var lastReceived: Date?
        public var lastError: String?
        /// Where the peer comes from: `directory`, `local` (`[[peers]]`) or `both`.
        public var source: String?

        public init(
            code: String, name: String, url: String, mode: String, circuitOpen: Bool, inFlight: Int, queued: Int, lastSuccess: Date?,
            lastReceived: Date?, lastError: String?, source: String? = nil
        ) {
            self.source = source
            self.code = code
            self.name = name
            self.url = url
            self.mode = mode
            self.circuitOpen = circuitOpen
            self.inFlight = inFlight
            self.queued = queued
            self.lastSuccess = lastSuccess
            self.lastReceived = lastReceived
            self.lastError = lastError
        }
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
        /// Waiting for a destination that is suspended or no longer a peer: not attempted, not
        /// dead, sent when it is a peer again.
        public var held: Bool?

        public init(
            id: String, destination: String, state: String, size: UInt64, createdAt: Date, attempts: Int, nextAttemptAt: Date?,
            lastError: String?, held: Bool? = nil
        ) {
            self.held = held
            self.id = id
            self.destination = destination
            self.state = state
            self.size = size
            self.createdAt = createdAt
            self.attempts = attempts
            self.nextAttemptAt = nextAttemptAt
            self.lastError = lastError
        }
    }

    public struct Transition: Codable, Sendable {
        public var at: Date
        public var state: String
        public var outcome: String?

        public init(at: Date, state: String, outcome: String?) {
            self.at = at
            self.state = state
            self.outcome = outcome
        }
    }

    public struct EntryDetail: Codable, Sendable {
        public var entry: QueueLine
        public var digest: String
        public var archivePath: String
        public var history: [Transition]
        public var receiptPath: String?
        /// The receipt's JSON, when delivered.
        public var receipt: String?
        /// The destination's completion notice, once received.
        public var completion: Completion?

        public init(
            entry: QueueLine, digest: String, archivePath: String, history: [Transition], receiptPath: String?, receipt: String?,
            completion: Completion? = nil
        ) {
            self.completion = completion
            self.entry = entry
            self.digest = digest
            self.archivePath = archivePath
            self.history = history
            self.receiptPath = receiptPath
            self.receipt = receipt
        }
    }

    public struct Submit: Codable, Sendable {
        public var directory: String
        public var destination: String
        public init(directory: String, destination: String) { self.directory = directory; self.destination = destination }
    }

    /// `POST /complete`: the destination's decision on archive `id` it received: `status`
    /// `registered` (with the new plate, if any) or `refused` (with the reasons).
    public struct Complete: Codable, Sendable {
        public var id: String
        public var status: String
        public var plate: String?
        public var reasons: [String]
        public init(id: String, status: String, plate: String?, reasons: [String]) {
            self.id = id
            self.status = status
            self.plate = plate
            self.reasons = reasons
        }
    }

    /// A completion notice kept here (`GET /completions/{id}`, `POST /complete`): `role` `sent`
    /// (this authority is the archive's destination; `peer` its origin) or `received` (the
    /// origin; `peer` the destination). `state`: `pending`, `delivered`, `failed` (sent) or
    /// `recorded` (received).
    public struct Completion: Codable, Sendable {
        public var archiveId: String
        public var digest: String
        public var role: String
        public var peer: String
        public var status: String
        public var registeredAt: Date
        public var newPlate: String?
        public var reasons: [String]
        public var state: String
        public var attempts: Int
        public var nextAttemptAt: Date?
        public var lastError: String?
        /// Sent: when the origin recorded it. Received: when the registry and custody log followed it.
        public var doneAt: Date?
        /// `POST /complete` only: the archive had been completed with the same decision before.
        public var alreadyCompleted: Bool?

        public init(
            archiveId: String, digest: String, role: String, peer: String, status: String, registeredAt: Date, newPlate: String?,
            reasons: [String], state: String, attempts: Int, nextAttemptAt: Date?, lastError: String?, doneAt: Date?,
            alreadyCompleted: Bool? = nil
        ) {
            self.archiveId = archiveId
            self.digest = digest
            self.role = role
            self.peer = peer
            self.status = status
            self.registeredAt = registeredAt
            self.newPlate = newPlate
            self.reasons = reasons
            self.state = state
            self.attempts = attempts
            self.nextAttemptAt = nextAttemptAt
            self.lastError = lastError
            self.doneAt = doneAt
            self.alreadyCompleted = alreadyCompleted
        }
    }

    /// `POST /request`: ask peer `peer` (the origin) for a vehicle's archive.
    public struct RequestArchive: Codable, Sendable {
        public var peer: String
        public var vin: String
        public var plate: String
        public init(peer: String, vin: String, plate: String) { self.peer = peer; self.vin = vin; self.plate = plate }
    }

    /// The origin's answer to a forwarded request.
    public struct RequestAccepted: Codable, Sendable {
        public var requestId: String
        /// The archive the origin will send, once it knows.
        public var archiveId: String?
        public init(requestId: String, archiveId: String?) { self.requestId = requestId; self.archiveId = archiveId }
    }

    /// `GET /progress?directory=`: how far the daemon has got packing a submitted dossier
    /// (404 when it is not packing that folder now).
    public struct Progress: Codable, Sendable {
        /// Bytes of the archive written so far.
        public var packed: UInt64
        /// About what the archive will hold (the dossier's size).
        public var total: UInt64

        public init(packed: UInt64, total: UInt64) {
            self.packed = packed
            self.total = total
        }
    }

    public struct Submitted: Codable, Sendable {
        public var id: String
        public var size: UInt64
        public var sha256: String
        /// The dossier's archive for this destination was already queued (or delivered) as
        /// `id`: nothing new was queued.
        public var alreadyQueued: Bool
        /// Findings that did not block packing, one line each (code, field, English / Chinese);
        /// nil when there are none.
        public var warnings: [String]?

        public init(id: String, size: UInt64, sha256: String, alreadyQueued: Bool = false, warnings: [String]? = nil) {
            self.id = id
            self.size = size
            self.sha256 = sha256
            self.alreadyQueued = alreadyQueued
            self.warnings = warnings
        }
    }

    public struct Retried: Codable, Sendable {
        public var ids: [String]

        public init(ids: [String]) {
            self.ids = ids
        }
    }

    public struct InboxLine: Codable, Sendable {
        public var id: String
        public var origin: String
        public var status: String
        public var digest: String
        public var size: UInt64
        public var receivedAt: Date

        public init(id: String, origin: String, status: String, digest: String, size: UInt64, receivedAt: Date) {
            self.id = id
            self.origin = origin
            self.status = status
            self.digest = digest
            self.size = size
            self.receivedAt = receivedAt
        }
    }

    /// Every error answer: what went wrong (English, and Chinese for the operator whose locale
    /// asks for it), and a problem list when a dossier was refused.
    public struct Failure: Codable, Sendable, Error {
        public var error: String
        public var errorZh: String?
        public var problems: [String]?
        public init(error: String, errorZh: String? = nil, problems: [String]? = nil) {
            self.error = error
            self.errorZh = errorZh
            self.problems = problems
        }
    }
}
