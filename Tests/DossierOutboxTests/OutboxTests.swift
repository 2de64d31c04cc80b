@testable import DossierOutbox
import DossierSystem
import Foundation
import Testing

private let digest = String(repeating: "ab", count: 32)

private func openOutbox(_ dir: URL, options: Outbox.Options = Outbox.Options()) async throws -> (Outbox, ReplayReport) {
    try await Outbox.open(stateDirectory: dir.appendingPathComponent("state"), options: options)
}

private func enqueue(_ outbox: Outbox, _ dir: URL, _ id: String, to destination: String = "DE-KBA") async throws
    -> OutboxEntry
{
    let archive = try makeArchive(in: dir, name: id)
    return try await outbox.enqueue(archive: archive, id: id, destination: destination, digest: digest, size: 64)
}

private func spoolFile(_ dir: URL, _ id: String) -> String {
    dir.appendingPathComponent("state/spool/\(id).dva").path
}

/// A time by which everything enqueued so far is due.
private var later: Date { Date().addingTimeInterval(3600) }

/// Without a thread for the journal's writer the outbox does not open, saying why, rather
/// than open and leave every append waiting.
@Test func anOutboxWithoutAJournalThreadDoesNotOpen() async throws {
    try await withTemporaryDirectory { dir in
        await #expect(throws: OutboxError.system(SystemError(.createThread, path: "dossier-journal", errno: EAGAIN))) {
            _ = try await openOutbox(dir, options: Outbox.Options(journal: Journal.Options(threads: .exhausted)))
        }
        // Nothing of the journal is left open (its directory is this test's alone) …
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
        }
        #expect(!open.contains { $0.hasPrefix(dir.path) }, "\(open.filter { $0.hasPrefix(dir.path) })")
        // … and the lock went with the writer: the next open, with a thread, succeeds.
        let (outbox, _) = try await openOutbox(dir)
        _ = try await enqueue(outbox, dir, "X1")
    }
}

@Test func enqueueMovesTheArchiveIntoTheSpoolAndQueuesIt() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, report) = try await openOutbox(dir)
        #expect(report.isClean && report.filesRead.isEmpty)
        let entry = try await enqueue(outbox, dir, "X1")
        #expect(entry.state == .queued && entry.archivePath == spoolFile(dir, "X1"))
        #expect(FileManager.default.fileExists(atPath: spoolFile(dir, "X1")))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("X1.incoming").path))
        await #expect(throws: OutboxError.duplicateID("X1")) { try await enqueue(outbox, dir, "X1") }
        await #expect(throws: OutboxError.invalidID("../x")) {
            try await outbox.enqueue(archive: dir, id: "../x", destination: "D", digest: digest, size: 1)
        }
        await outbox.close()
    }
}

@Test func aDeliveredEntryLosesItsSpoolFileAndKeepsItsReceipt() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir)
        _ = try await enqueue(outbox, dir, "X1")
        let claimed = try await outbox.claimDue(now: later, limit: 10)
        #expect(claimed.map(\.id) == ["X1"] && claimed.first?.state == .sending)
        #expect(try await outbox.claimDue(now: later, limit: 10).isEmpty)
        try await outbox.recordSuccess(id: "X1", receiptPath: "/r/X1.receipt")
        let entry = await outbox.entry(id: "X1")
        #expect(entry?.state == .delivered && entry?.receiptPath == "/r/X1.receipt")
        #expect(entry?.history.map(\.state) == [.queued, .sending, .delivered])
        #expect(!FileManager.default.fileExists(atPath: spoolFile(dir, "X1")))
        await outbox.close()
    }
}

@Test func failuresDeferOrKillAccordingToTheOutcome() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir)
        _ = try await enqueue(outbox, dir, "R")
        _ = try await enqueue(outbox, dir, "P")
        _ = try await outbox.claimDue(now: later, limit: 10)
        let now = Date()
        let retried = try await outbox.recordFailure(id: "R", outcome: .httpStatus(503, retryAfter: 120), now: now)
        #expect(retried.state == .deferred)
        #expect((retried.nextAttemptAt ?? now) >= now.addingTimeInterval(120))
        let permanent = try await outbox.recordFailure(id: "P", outcome: .httpStatus(422, retryAfter: nil), now: now)
        #expect(permanent.state == .dead && permanent.failures.first?.outcome == .httpStatus(422, retryAfter: nil))
        #expect(try await outbox.claimDue(now: now.addingTimeInterval(60), limit: 10).isEmpty)
        #expect(try await outbox.claimDue(now: now.addingTimeInterval(121), limit: 10).map(\.id) == ["R"])
        #expect(try await outbox.requeueAllDead().map(\.id) == ["P"])
        #expect(await outbox.entry(id: "P")?.state == .queued)
        await outbox.close()
    }
}

@Test func anEntryTooOldIsGivenUp() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir, options: Outbox.Options(retryPolicy: RetryPolicy(giveUpAfter: 60)))
        let entry = try await enqueue(outbox, dir, "OLD")
        _ = try await outbox.claimDue(now: later, limit: 1)
        let failed = try await outbox.recordFailure(
            id: "OLD", outcome: .timeout, now: entry.createdAt.addingTimeInterval(61))
        #expect(failed.state == .dead)
        await outbox.close()
    }
}

@Test func illegalTransitionsAreRejectedWithTheirStates() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir)
        _ = try await enqueue(outbox, dir, "A")
        await #expect(throws: OutboxError.illegalTransition(id: "A", from: .queued, to: .delivered)) {
            try await outbox.recordSuccess(id: "A", receiptPath: "r")
        }
        await #expect(throws: OutboxError.illegalTransition(id: "A", from: .queued, to: .queued)) {
            try await outbox.requeue(id: "A")
        }
        await #expect(throws: OutboxError.illegalTransition(id: "A", from: .queued, to: .deferred)) {
            try await outbox.recordFailure(id: "A", outcome: .timeout)
        }
        await #expect(throws: OutboxError.unknownID("nope")) { try await outbox.cancel(id: "nope") }
        try await outbox.cancel(id: "A")
        await #expect(throws: OutboxError.illegalTransition(id: "A", from: .cancelled, to: .cancelled)) {
            try await outbox.cancel(id: "A")
        }
        #expect(!FileManager.default.fileExists(atPath: spoolFile(dir, "A")))
        await outbox.close()
    }
}

@Test func stateSurvivesReopenAndInFlightEntriesAreQueuedAgain() async throws {
    try await withTemporaryDirectory { dir in
        let (first, _) = try await openOutbox(dir)
        for id in ["A", "B", "C"] { _ = try await enqueue(first, dir, id) }
        _ = try await first.claimDue(now: later, limit: 2)
        try await first.recordSuccess(id: "A", receiptPath: "ra")
        await first.close()
        let (second, report) = try await openOutbox(dir)
        #expect(report.releasedClaims == ["B"])
        #expect(report.isClean)
        #expect(await second.entry(id: "A")?.state == .delivered)
        #expect(await second.entry(id: "B")?.history.map(\.state) == [.queued, .sending, .queued])
        #expect(await second.entries(in: .queued).map(\.id) == ["B", "C"])
        await second.close()
    }
}

@Test func spoolOrphansAreKeptAsideAndMissingFilesReported() async throws {
    try await withTemporaryDirectory { dir in
        let (first, _) = try await openOutbox(dir)
        _ = try await enqueue(first, dir, "KEEP")
        _ = try await enqueue(first, dir, "GONE")
        await first.close()
        try FileManager.default.removeItem(atPath: spoolFile(dir, "GONE"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: spoolFile(dir, "STRAY")))
        let (second, report) = try await openOutbox(dir)
        #expect(report.missingSpoolFiles == ["GONE"])
        let orphan = dir.appendingPathComponent("state/spool/orphans/STRAY.dva").path
        #expect(report.spoolOrphans == [orphan])
        #expect(FileManager.default.fileExists(atPath: orphan))
        #expect(FileManager.default.fileExists(atPath: spoolFile(dir, "KEEP")))
        await second.close()
    }
}

@Test func compactionKeepsLiveEntriesAndTheLastDeliveryAndSurvivesReopen() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir)
        for i in 0..<200 { _ = try await enqueue(outbox, dir, "E\(i)") }
        var delivered = 0
        for _ in 0..<100 where delivered < 150 {
            let batch = try await outbox.claimDue(now: later, limit: 1000)
            #expect(batch.count == 4, "four in flight per destination")
            for entry in batch { try await outbox.recordSuccess(id: entry.id, receiptPath: "r") }
            delivered += batch.count
        }
        let live = await outbox.summary().byState.filter { !$0.key.isFinal }.values.reduce(0, +)
        let journalDir = dir.appendingPathComponent("state/journal")
        let before = try journalContentSize(journalDir)
        try await outbox.compact()
        let after = try journalContentSize(journalDir)
        #expect(live == 48 && delivered == 152)
        #expect(after * 3 < before)
        let summary = await outbox.summary()
        // Of the delivered entries only the latest of the destination stays, for its last delivery time.
        #expect(summary.byState[.delivered] == 1)
        let lastDelivered = try #require(summary.lastDelivered["DE-KBA"])
        await outbox.close()
        let (reopened, report) = try await openOutbox(dir)
        #expect(report.isClean)
        let reopenedSummary = await reopened.summary()
        #expect(reopenedSummary.byState.values.reduce(0, +) == live + 1)
        // The journal keeps microseconds.
        let reopenedLast = try #require(reopenedSummary.lastDelivered["DE-KBA"])
        #expect(abs(reopenedLast.timeIntervalSince(lastDelivered)) < 0.001)
        #expect(report.filesRead.first?.hasPrefix("snapshot-") == true)
        await reopened.close()
    }
}

@Test func anOpenCircuitLetsOneProbeThrough() async throws {
    try await withTemporaryDirectory { dir in
        let options = Outbox.Options(retryPolicy: RetryPolicy(firstDelay: 0, cap: 0), circuitThreshold: 2)
        let (outbox, _) = try await openOutbox(dir, options: options)
        for i in 0..<6 { _ = try await enqueue(outbox, dir, "C\(i)", to: "DOWN") }
        for _ in 0..<2 {
            let batch = try await outbox.claimDue(now: later, limit: 1)
            for entry in batch { try await outbox.recordFailure(id: entry.id, outcome: .network("refused")) }
        }
        #expect(await outbox.summary().openCircuits == ["DOWN"])
        let probe = try await outbox.claimDue(now: later.addingTimeInterval(1), limit: 10)
        #expect(probe.count == 1)
        #expect(try await outbox.claimDue(now: later.addingTimeInterval(1), limit: 10).isEmpty)
        if let id = probe.first?.id { try await outbox.recordSuccess(id: id, receiptPath: "r") }
        #expect(await outbox.summary().openCircuits.isEmpty)
        #expect(try await outbox.claimDue(now: later.addingTimeInterval(1), limit: 10).count == 4)
        await outbox.close()
    }
}

@Test func summaryCountsByStateAndDestination() async throws {
    try await withTemporaryDirectory { dir in
        let (outbox, _) = try await openOutbox(dir)
        _ = try await enqueue(outbox, dir, "A", to: "NL")
        _ = try await enqueue(outbox, dir, "B", to: "NL")
        _ = try await enqueue(outbox, dir, "C", to: "BE")
        try await outbox.cancel(id: "B")
        let summary = await outbox.summary(now: Date().addingTimeInterval(100))
        #expect(summary.byState == [.queued: 2, .cancelled: 1])
        #expect(summary.byDestination == ["NL": [.queued: 1, .cancelled: 1], "BE": [.queued: 1]])
        #expect((summary.oldestWaitingAge ?? 0) >= 100)
        await outbox.close()
    }
}

@Test func damagedJournalRefusesToOpenUnlessAccepted() async throws {
    try await withTemporaryDirectory { dir in
        let (first, _) = try await openOutbox(dir)
        for id in ["A", "B", "C"] { _ = try await enqueue(first, dir, id) }
        await first.close()
        let segment = dir.appendingPathComponent("state/journal/segment-0000000000000001.log")
        var bytes = try Data(contentsOf: segment)
        let firstRecord = JournalFrame.segmentMagic.count + JournalFrame.batchMarker.count
        bytes[firstRecord + 11] ^= 0xFF
        try bytes.write(to: segment)
        await #expect {
            try await openOutbox(dir)
        } throws: { error in
            guard case OutboxError.journalDamaged(let damage) = error else { return false }
            return damage.first?.segment == "segment-0000000000000001.log"
                && damage.first?.offset == firstRecord
        }
        let (outbox, report) = try await openOutbox(dir, options: Outbox.Options(journal: Journal.Options(acceptDamage: true)))
        #expect(report.damage.first?.keptAs == "segment-0000000000000001.log.damaged")
        #expect(report.spoolOrphans.count == 3, "entries lost with the damage leave their spool files as orphans")
        await outbox.close()
        let (again, clean) = try await openOutbox(dir)
        #expect(clean.isClean)
        await again.close()
    }
}

@Test func aCompactionInterruptedBeforeCleanupReplaysOnce() async throws {
    try await withTemporaryDirectory { dir in
        let journal = dir.appendingPathComponent("state/journal")
        let (first, _) = try await openOutbox(dir)
        for id in ["A", "B"] { _ = try await enqueue(first, dir, id) }
        await first.close()
        let oldSegment = journal.appendingPathComponent("segment-0000000000000001.log")
        let oldBytes = try Data(contentsOf: oldSegment)
        let (second, _) = try await openOutbox(dir)
        try await second.compact()
        await second.close()
        #expect(!FileManager.default.fileExists(atPath: oldSegment.path))
        // The state a crash leaves after the snapshot's rename, before the old files are removed
        // and while a later snapshot was still a temp file.
        try oldBytes.write(to: oldSegment)
        try Data([1, 2, 3]).write(to: journal.appendingPathComponent("snapshot-0000000000000099.snap.tmp"))
        let (third, report) = try await openOutbox(dir)
        #expect(report.isClean && report.damage.isEmpty)
        #expect(await third.entries(in: .queued).map(\.id) == ["A", "B"])
        let files = try journalFiles(journal)
        #expect(!files.contains("segment-0000000000000001.log"))
        #expect(!files.contains { $0.hasSuffix(".tmp") })
        await third.close()
    }
}

@Test func aClosedJournalRefusesAppends() async throws {
    try await withTemporaryDirectory { dir in
        let (journal, _) = try Journal.open(directory: dir) { _ in }
        await journal.close()
        await #expect(throws: OutboxError.closed) {
            try await journal.append(.cancelled(id: "A", at: Date()))
        }
    }
}

@Test func concurrentAppendsAreAllDurableInOneJournal() async throws {
    try await withTemporaryDirectory { dir in
        let (journal, _) = try Journal.open(directory: dir) { _ in }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<16 {
                group.addTask {
                    for n in 0..<25 { try await journal.append(.cancelled(id: "p\(producer)-\(n)", at: Date())) }
                }
            }
            try await group.waitForAll()
        }
        await journal.close()
        var seen: [String] = []
        let (reopened, _) = try Journal.open(directory: dir) { seen.append($0.id) }
        await reopened.close()
        #expect(seen.count == 400 && Set(seen).count == 400)
        for producer in 0..<16 {
            let own = seen.filter { $0.hasPrefix("p\(producer)-") }
            #expect(own == (0..<25).map { "p\(producer)-\($0)" }, "each producer's records stay in its order")
        }
    }
}

@Test func aSecondOpenOfTheSameStateIsRefusedUntilTheFirstCloses() async throws {
    try await withTemporaryDirectory { dir in
        let (first, _) = try await openOutbox(dir)
        await #expect(throws: OutboxError.locked(path: dir.appendingPathComponent("state/journal").path)) {
            try await openOutbox(dir)
        }
        await first.close()
        let (second, _) = try await openOutbox(dir)
        await second.close()
    }
}
