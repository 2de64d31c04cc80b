import Foundation

/// One journal record: a state change of one entry, or a whole entry in a snapshot.
///
/// The journal holds nothing else; replaying its events in order rebuilds the outbox.
public enum OutboxEvent: Sendable, Hashable {
    /// An archive entered the queue; its spool file is in place and durable.
    case enqueued(id: String, destination: String, archivePath: String, digest: String, size: UInt64, at: Date)
    /// A delivery attempt started (`sending`).
    case claimed(id: String, at: Date)
    /// The peer acknowledged the archive; its receipt is at `receiptPath`.
    case delivered(id: String, at: Date, receiptPath: String)
    /// The attempt failed with a retryable outcome; try again at `next`.
    case deferred(id: String, at: Date, next: Date, outcome: DeliveryOutcome)
    /// Given up: permanent outcome or too old.
    case dead(id: String, at: Date, outcome: DeliveryOutcome?)
    /// Back to `queued`: by an operator, or a claim released after a restart.
    case requeued(id: String, at: Date)
    /// Withdrawn by an operator.
    case cancelled(id: String, at: Date)
    /// A complete entry, as written by compaction into a snapshot.
    case snapshot(OutboxEntry)

    /// The entry the event is about.
    public var id: String {
        switch self {
        case .enqueued(let id, _, _, _, _, _), .claimed(let id, _), .delivered(let id, _, _),
            .deferred(let id, _, _, _), .dead(let id, _, _), .requeued(let id, _), .cancelled(let id, _):
            id
        case .snapshot(let entry): entry.id
        }
    }
}

extension OutboxEvent {
    private enum Kind: UInt8 {
        case enqueued = 1
        case claimed, delivered, deferred, dead, requeued, cancelled, snapshot
    }

    /// The record type byte and payload bytes of the journal frame.
    func encoded() -> (type: UInt8, payload: [UInt8]) {
        var w = ByteWriter()
        let kind: Kind
        switch self {
        case .enqueued(let id, let destination, let archivePath, let digest, let size, let at):
            kind = .enqueued
            w.string(id); w.string(destination); w.string(archivePath); w.string(digest)
            w.u64(size); w.date(at)
        case .claimed(let id, let at):
            kind = .claimed
            w.string(id); w.date(at)
        case .delivered(let id, let at, let receiptPath):
            kind = .delivered
            w.string(id); w.date(at); w.string(receiptPath)
        case .deferred(let id, let at, let next, let outcome):
            kind = .deferred
            w.string(id); w.date(at); w.date(next); Self.write(outcome, to: &w)
        case .dead(let id, let at, let outcome):
            kind = .dead
            w.string(id); w.date(at)
            if let outcome { w.u8(1); Self.write(outcome, to: &w) } else { w.u8(0) }
        case .requeued(let id, let at):
            kind = .requeued
            w.string(id); w.date(at)
        case .cancelled(let id, let at):
            kind = .cancelled
            w.string(id); w.date(at)
        case .snapshot(let e):
            kind = .snapshot
            w.string(e.id); w.string(e.destination); w.string(OutboxLedger.recordedSpoolPath(id: e.id)); w.string(e.digest)
            w.u64(e.size); w.date(e.createdAt); w.u8(e.state.rawValue)
            if let next = e.nextAttemptAt { w.u8(1); w.date(next) } else { w.u8(0) }
            w.optionalString(e.receiptPath)
            w.u32(UInt32(truncatingIfNeeded: e.history.count))
            for t in e.history {
                w.date(t.at); w.u8(t.state.rawValue)
                if let outcome = t.outcome { w.u8(1); Self.write(outcome, to: &w) } else { w.u8(0) }
            }
        }
        return (kind.rawValue, w.bytes)
    }

    /// Decodes a frame's type and payload; throws if either is not a valid event.
    static func decode(type: UInt8, payload: UnsafeRawBufferPointer) throws(PayloadDecodeFailure) -> OutboxEvent {
        guard let kind = Kind(rawValue: type) else { throw .invalidValue }
        var r = ByteReader(payload)
        let event: OutboxEvent
        switch kind {
        case .enqueued:
            event = .enqueued(
                id: try r.string(), destination: try r.string(), archivePath: try r.string(),
                digest: try r.string(), size: try r.u64(), at: try r.date())
        case .claimed:
            event = .claimed(id: try r.string(), at: try r.date())
        case .delivered:
            event = .delivered(id: try r.string(), at: try r.date(), receiptPath: try r.string())
        case .deferred:
            event = .deferred(id: try r.string(), at: try r.date(), next: try r.date(), outcome: try readOutcome(&r))
        case .dead:
            let id = try r.string()
            let at = try r.date()
            event = .dead(id: id, at: at, outcome: try r.u8() == 1 ? try readOutcome(&r) : nil)
        case .requeued:
            event = .requeued(id: try r.string(), at: try r.date())
        case .cancelled:
            event = .cancelled(id: try r.string(), at: try r.date())
        case .snapshot:
            event = .snapshot(try readEntry(&r))
        }
        guard r.isAtEnd else { throw .invalidValue }
        return event
    }

    private static func readEntry(_ r: inout ByteReader) throws(PayloadDecodeFailure) -> OutboxEntry {
        let id = try r.string(), destination = try r.string(), archivePath = try r.string()
        let digest = try r.string(), size = try r.u64(), createdAt = try r.date()
        guard let state = OutboxState(rawValue: try r.u8()) else { throw .invalidValue }
        let next = try r.u8() == 1 ? try r.date() : nil
        let receipt = try r.optionalString()
        let count = Int(try r.u32())
        var history: [OutboxTransition] = []
        for _ in 0..<count {
            let at = try r.date()
            guard let s = OutboxState(rawValue: try r.u8()) else { throw .invalidValue }
            history.append(OutboxTransition(at: at, state: s, outcome: try r.u8() == 1 ? try readOutcome(&r) : nil))
        }
        return OutboxEntry(
            id: id, destination: destination, archivePath: archivePath, digest: digest, size: size,
            createdAt: createdAt, state: state, nextAttemptAt: next, receiptPath: receipt, history: history)
    }

    private static func write(_ outcome: DeliveryOutcome, to w: inout ByteWriter) {
        switch outcome {
        case .httpStatus(let code, let retryAfter): w.u8(1); w.i64(Int64(code)); w.optionalDouble(retryAfter)
        case .network(let detail): w.u8(2); w.string(detail)
        case .tls(let detail): w.u8(3); w.string(detail)
        case .timeout: w.u8(4)
        case .rejected(let detail): w.u8(5); w.string(detail)
        case .refused(let status, let detail): w.u8(6); w.i64(Int64(status)); w.string(detail)
        case .badReceipt(let detail): w.u8(7); w.string(detail)
        case .local(let detail): w.u8(8); w.string(detail)
        case .notAccepted(let status, let detail): w.u8(9); w.i64(Int64(status)); w.string(detail)
        case .unrecorded(let detail): w.u8(10); w.string(detail)
        }
    }

    private static func readOutcome(_ r: inout ByteReader) throws(PayloadDecodeFailure) -> DeliveryOutcome {
        switch try r.u8() {
        case 1:
            let code = try r.i64()
            guard let c = Int(exactly: code) else { throw .invalidValue }
            return .httpStatus(c, retryAfter: try r.optionalDouble())
        case 2: return .network(try r.string())
        case 3: return .tls(try r.string())
        case 4: return .timeout
        case 5: return .rejected(try r.string())
        case 6:
            guard let status = Int(exactly: try r.i64()) else { throw .invalidValue }
            return .refused(status: status, detail: try r.string())
        case 7: return .badReceipt(try r.string())
        case 8: return .local(try r.string())
        case 9:
            guard let status = Int(exactly: try r.i64()) else { throw .invalidValue }
            return .notAccepted(status: status, detail: try r.string())
        case 10: return .unrecorded(try r.string())
        default: throw .invalidValue
        }
    }
}
