@testable import DossierOutbox
import Foundation
import PropertyBased
import Testing

/// One random step: an event kind (0 enqueued … 6 cancelled) on one of four ids.
private struct Step: Sendable {
    var kind: Int
    var id: Int
}

private let steps = zip(Gen.int(in: 0...6), Gen.int(in: 0...3)).map { Step(kind: $0.0, id: $0.1) }.array(of: 1...60)

private func event(_ step: Step, at i: Int) -> (OutboxEvent, OutboxState) {
    let id = "id\(step.id)"
    let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(i))
    switch step.kind {
    case 0: return (.enqueued(id: id, destination: "D\(step.id % 2)", archivePath: "/s/\(id)", digest: "d", size: 1, at: at), .queued)
    case 1: return (.claimed(id: id, at: at), .sending)
    case 2: return (.delivered(id: id, at: at, receiptPath: "r"), .delivered)
    case 3: return (.deferred(id: id, at: at, next: at.addingTimeInterval(5), outcome: .timeout), .deferred)
    case 4: return (.dead(id: id, at: at, outcome: .httpStatus(410, retryAfter: nil)), .dead)
    case 5: return (.requeued(id: id, at: at), .queued)
    default: return (.cancelled(id: id, at: at), .cancelled)
    }
}

/// The push loop's index (waiting entries, sending per destination) agrees with a scan of
/// every entry.
private func expectIndexAgrees(_ ledger: OutboxLedger) {
    let waiting = ledger.entries.values.filter { $0.state == .queued || $0.state == .deferred }
    #expect(Set(ledger.waiting.keys) == Set(waiting.map(\.id)))
    for entry in waiting {
        #expect(ledger.waiting[entry.id]?.nextAttemptAt == entry.nextAttemptAt)
        #expect(ledger.waiting[entry.id]?.destination == entry.destination)
        #expect(ledger.waiting[entry.id]?.createdAt == entry.createdAt)
    }
    var sending: [String: Int] = [:]
    for entry in ledger.entries.values where entry.state == .sending { sending[entry.destination, default: 0] += 1 }
    #expect(ledger.sending == sending)
}

@Test func theLedgerAcceptsExactlyTheTransitionsOfTheStateTable() async {
    await propertyCheck(count: 300, input: steps) { steps in
        var ledger = OutboxLedger(spoolDirectory: "/spool")
        var model: [String: OutboxState] = [:]
        for (i, step) in steps.enumerated() {
            let (event, target) = event(step, at: i)
            let expected: OutboxError?
            if step.kind == 0 {
                expected = model[event.id] == nil ? nil : .duplicateID(event.id)
            } else if let current = model[event.id] {
                expected =
                    current.successors.contains(target)
                    ? nil : .illegalTransition(id: event.id, from: current, to: target)
            } else {
                expected = .unknownID(event.id)
            }
            let before = ledger.entries
            do throws(OutboxError) {
                try ledger.apply(event)
                #expect(expected == nil)
                model[event.id] = target
            } catch {
                #expect(error == expected)
                #expect(ledger.entries == before, "a rejected event changes nothing")
            }
            expectIndexAgrees(ledger)
        }
        #expect(ledger.entries.mapValues(\.state) == model)
        for entry in ledger.entries.values { #expect(entry.history.last?.state == entry.state) }
    }
}

@Test func replayingTheEncodedEventsOrASnapshotRebuildsTheSameLedger() async {
    await propertyCheck(count: 200, input: steps) { steps in
        var ledger = OutboxLedger(spoolDirectory: "/spool")
        var accepted: [OutboxEvent] = []
        for (i, step) in steps.enumerated() {
            let (event, _) = event(step, at: i)
            if (try? ledger.apply(event)) != nil { accepted.append(event) }
        }
        var frames = JournalFrame.segmentMagic
        for event in accepted { JournalFrame.encode(event, into: &frames) }
        var fromEvents = OutboxLedger(spoolDirectory: "/spool")
        var fromSnapshot = OutboxLedger(spoolDirectory: "/spool")
        var decodeFailed = false
        _ = frames.withUnsafeBytes { raw in
            JournalFrame.scan(raw, .segment) { _, type, payload in
                guard let event = try? OutboxEvent.decode(type: type, payload: payload) else {
                    decodeFailed = true
                    return
                }
                try? fromEvents.apply(event)
            }
        }
        for entry in ledger.entries.values {
            let (type, payload) = OutboxEvent.snapshot(entry).encoded()
            let decoded = payload.withUnsafeBytes { try? OutboxEvent.decode(type: type, payload: $0) }
            if let decoded { try? fromSnapshot.apply(decoded) } else { decodeFailed = true }
        }
        #expect(!decodeFailed)
        #expect(fromEvents.entries == ledger.entries)
        #expect(fromSnapshot.entries == ledger.entries)
        expectIndexAgrees(fromEvents)
        expectIndexAgrees(fromSnapshot)
    }
}

@Test func finalStatesHaveNoWayOut() {
    for state in OutboxState.allCases {
        #expect(state.isFinal == state.successors.isEmpty)
        #expect(!state.successors.contains(state))
    }
}

/// A date no microsecond count fits (a peer's `Retry-After` once made one) is written as the
/// nearest that does, never a trap: a record that cannot be written stops the daemon at it
/// after every restart.
@Test func datesBeyondTheJournalsRangeAreWrittenAsItsEnds() throws {
    for (next, expected) in [(1e300, Int64.max), (-1e300, Int64.min), (Double.infinity, Int64.max), (Double.nan, 0)] {
        let event = OutboxEvent.deferred(
            id: "a1", at: Date(timeIntervalSince1970: 1_800_000_000), next: Date(timeIntervalSince1970: next),
            outcome: .httpStatus(503, retryAfter: 1e20))
        let (type, payload) = event.encoded()
        let decoded = try payload.withUnsafeBytes { try OutboxEvent.decode(type: type, payload: $0) }
        guard case .deferred(_, _, let read, let outcome) = decoded else {
            Issue.record("decoded as \(decoded)")
            continue
        }
        #expect(read.timeIntervalSince1970 == Double(expected) / 1_000_000, "\(next)")
        #expect(outcome.description == "HTTP 503 (Retry-After 100000000000000000000 s)")
    }
}
