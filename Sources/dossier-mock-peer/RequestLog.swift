import DossierTransport
import Foundation
import Hummingbird
import Synchronization

/// One request the mock peer saw.
struct LoggedRequest: Codable, Sendable {
    var time: Date
    var method: String
    var path: String
    var caller: String?
    var status: Int
    /// The request's declared body size (Content-Length), when it had one.
    var requestBytes: Int?
    /// The response body's size, when known before sending.
    var responseBytes: Int?
    var durationMs: Double
    /// The faults applied, e.g. `fail`, `close-mid-body`, `wrong-key`.
    var faults: [String]
}

/// Every request seen, in arrival order, for `GET /log`. Thread-safe; bounded so a long fault
/// campaign cannot exhaust memory (the oldest entries are dropped beyond `capacity`).
final class RequestLog: Sendable {
    static let capacity = 100_000
    private let entries = Mutex<[LoggedRequest]>([])

    func append(_ entry: LoggedRequest) {
        entries.withLock { list in
            if list.count >= Self.capacity { list.removeFirst(list.count - Self.capacity + 1) }
            list.append(entry)
        }
    }

    var all: [LoggedRequest] { entries.withLock { $0 } }

    func clear() { entries.withLock { $0.removeAll() } }
}

/// How many archive uploads (`PUT /v1/archives/…`) are being answered at once, and the most there
/// ever were since the start: tests check a sender's per-peer limit with it. Thread-safe.
final class PushConcurrency: Sendable {
    private let counts = Mutex<(now: Int, peak: Int)>((0, 0))

    func begin() {
        counts.withLock { counts in
            counts.now += 1
            counts.peak = max(counts.peak, counts.now)
        }
    }

    func end() { counts.withLock { $0.now -= 1 } }

    var peak: Int { counts.withLock { $0.peak } }
}
