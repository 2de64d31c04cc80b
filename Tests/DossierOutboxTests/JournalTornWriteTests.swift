@testable import DossierOutbox
import DossierSystem
import Foundation
import Testing

private let firstSegment = "segment-0000000000000001.log"

private func sampleEvents(_ count: Int) -> [OutboxEvent] {
    (0..<count).map { i in
        let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(i))
        return switch i % 3 {
        case 0:
            .enqueued(
                id: "a\(i)", destination: "DE-KBA", archivePath: "/spool/a\(i).dva",
                digest: String(repeating: "f", count: 64), size: UInt64(i), at: at)
        case 1:
            .deferred(
                id: "a\(i)", at: at, next: at.addingTimeInterval(5),
                outcome: .httpStatus(503, retryAfter: 30))
        default: .dead(id: "a\(i)", at: at, outcome: .tls("unknown ca"))
        }
    }
}

/// Writes `events` as one segment, one append (and so one batch: a marker, then its frame)
/// each, as a crash right after the last append leaves it: the marker a clean close ends the
/// segment with is zeroed again (`closedCleanly` keeps it).
private func writeJournal(_ directory: URL, _ events: [OutboxEvent], closedCleanly: Bool = false) async throws {
    let (journal, _) = try Journal.open(directory: directory) { _ in }
    for event in events { try await journal.append(event) }
    await journal.close()
    if !closedCleanly && !events.isEmpty { try unseal(directory, at: dataEnd(events)) }
}

/// Zeroes the marker a clean close wrote at `end` of the first segment in `directory`: the
/// segment as a crash right after its last commit leaves it.
private func unseal(_ directory: URL, at end: Int) throws {
    let segment = directory.appendingPathComponent(firstSegment)
    var bytes = try Data(contentsOf: segment)
    let seal = end..<end + JournalFrame.batchMarker.count
    #expect(bytes[seal].elementsEqual(JournalFrame.batchMarker), "a clean close ends the segment with a marker")
    bytes.replaceSubrange(seal, with: [UInt8](repeating: 0, count: seal.count))
    try bytes.write(to: segment)
}

private func frameSize(_ event: OutboxEvent) -> Int {
    var bytes: [UInt8] = []
    JournalFrame.encode(event, into: &bytes)
    return bytes.count
}

/// Where the records of a segment written by `writeJournal(_:events)` end (preallocated
/// zeros follow).
private func dataEnd(_ events: [OutboxEvent]) -> Int {
    JournalFrame.segmentMagic.count + events.map { JournalFrame.batchMarker.count + frameSize($0) }.reduce(0, +)
}

/// Where event `index`'s frame starts in a segment written by `writeJournal(_:events)`.
private func frameOffset(_ events: [OutboxEvent], _ index: Int) -> Int {
    dataEnd(Array(events.prefix(index))) + JournalFrame.batchMarker.count
}

/// Opens `directory`, returning the events replayed and the report.
private func replay(_ directory: URL, acceptDamage: Bool = false) async throws -> ([OutboxEvent], ReplayReport) {
    var seen: [OutboxEvent] = []
    let (journal, report) = try Journal.open(
        directory: directory, options: Journal.Options(acceptDamage: acceptDamage)
    ) { seen.append($0) }
    await journal.close()
    return (seen, report)
}

private func damage(of directory: URL) async -> [JournalDamage]? {
    do {
        _ = try await replay(directory)
        return nil
    } catch let error as OutboxError {
        if case .journalDamaged(let damage) = error { return damage }
        return nil
    } catch {
        return nil
    }
}

@Test func eventsSurviveAReopenUnchanged() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(7)
        try await writeJournal(dir, events)
        let (seen, report) = try await replay(dir)
        #expect(seen == events)
        #expect(report.tornTails.isEmpty && report.damage.isEmpty)
    }
}

@Test func truncatingTheLastRecordAtEveryOffsetDropsOnlyThatRecord() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(5)
        let source = dir.appendingPathComponent("source")
        try await writeJournal(source, events)
        let full = try Data(contentsOf: source.appendingPathComponent(firstSegment)).prefix(dataEnd(events))
        let start = dataEnd(Array(events.prefix(4)))
        let markerEnd = start + JournalFrame.batchMarker.count
        // A write cut short at the end of the file, and one cut short inside the zeros
        // preallocated after it. What is cut off is the last batch's marker and frame: a cut
        // leaving only the zeros of the marker's length, or the whole marker, drops nothing;
        // one inside the marker drops it; one after it drops the part of the frame.
        for padding in [0, 4096] {
            for cut in start..<full.count {
                let unused = cut == markerEnd || full[start..<cut].allSatisfy { $0 == 0 }
                let tornAt = cut < markerEnd ? start : markerEnd
                let trial = try trialJournal(dir, "cut-\(cut)-\(padding)", full.prefix(cut) + Data(count: padding))
                let segment = trial.appendingPathComponent(firstSegment)
                let (seen, report) = try await replay(trial)
                #expect(seen == Array(events.prefix(4)), "cut at \(cut)")
                // Counted up to the last non-zero byte cut off: the padding is not.
                let dropped = max(0, endBeforeTrailingZeros([UInt8](full.prefix(cut))) - tornAt)
                let torn = unused ? [] : [TornTail(segment: firstSegment, offset: tornAt, droppedBytes: dropped)]
                #expect(report.tornTails == torn, "cut at \(cut) before \(padding) zeros")
                #expect(try Data(contentsOf: segment).count == (unused ? cut + padding : tornAt))
                try FileManager.default.removeItem(at: trial)
            }
        }
    }
}

@Test func aJournalCutShortTakesNewAppendsAfterTheCut() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(4)
        try await writeJournal(dir, events)
        let segment = dir.appendingPathComponent(firstSegment)
        let full = try Data(contentsOf: segment)
        try full.prefix(dataEnd(events) - 3).write(to: segment)
        let extra = OutboxEvent.cancelled(id: "a0", at: Date(timeIntervalSince1970: 1_900_000_000))
        let (journal, _) = try Journal.open(directory: dir) { _ in }
        try await journal.append(extra)
        await journal.close()
        let (seen, report) = try await replay(dir)
        #expect(seen == Array(events.prefix(3)) + [extra])
        #expect(report.tornTails.isEmpty)
    }
}

@Test func aBadChecksumOnTheLastRecordIsATornTail() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(3)
        try await writeJournal(dir, events)
        let segment = dir.appendingPathComponent(firstSegment)
        var bytes = try Data(contentsOf: segment)
        bytes[dataEnd(events) - 2] ^= 0xFF
        try bytes.write(to: segment)
        let (seen, report) = try await replay(dir)
        #expect(seen == Array(events.prefix(2)))
        #expect(report.tornTails.count == 1)
        // What the log says was cut is the frame, not the megabyte of zeros written ahead.
        #expect(report.tornTails.allSatisfy { $0.droppedBytes > 0 && $0.droppedBytes <= frameSize(events[2]) }, "\(report.tornTails)")
    }
}

/// After a clean close the segment ends with a marker: a bad last record is damage, as only a
/// crash leaves a torn tail. A bad marker itself is a torn tail, and nothing is lost with it.
@Test func aBadLastRecordAfterACleanCloseIsDamage() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(3)
        try await writeJournal(dir, events, closedCleanly: true)
        let segment = dir.appendingPathComponent(firstSegment)
        let clean = try Data(contentsOf: segment)
        var bytes = clean
        bytes[dataEnd(events) - 2] ^= 0xFF
        try bytes.write(to: segment)
        let found = try #require(await damage(of: dir))
        #expect(found.map(\.offset) == [frameOffset(events, 2)])
        bytes = clean
        bytes[dataEnd(events) + 2] ^= 0xFF
        try bytes.write(to: segment)
        let (seen, report) = try await replay(dir)
        #expect(seen == events)
        #expect(report.tornTails.map(\.offset) == [dataEnd(events)])
    }
}

@Test func aFlippedByteMidJournalIsRefusedWithItsSegmentAndOffset() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(5)
        let source = dir.appendingPathComponent("source")
        try await writeJournal(source, events)
        let original = try Data(contentsOf: source.appendingPathComponent(firstSegment))
        let start = frameOffset(events, 1)
        for position in start..<(start + frameSize(events[1])) {
            var bytes = original
            bytes[position] ^= 0x5A
            let trial = try trialJournal(dir, "flip-\(position)", bytes)
            let segment = trial.appendingPathComponent(firstSegment)
            let found = await damage(of: trial)
            #expect(found?.count == 1, "flip at \(position)")
            #expect(found?.first?.segment == firstSegment && found?.first?.offset == start, "flip at \(position)")
            #expect(try Data(contentsOf: segment) == bytes, "refusing must not touch the file")
            #expect(try journalFiles(trial) == [firstSegment])
            try FileManager.default.removeItem(at: trial)
        }
    }
}

@Test func acceptedDamageIsKeptAsideAndReported() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(5)
        try await writeJournal(dir, events)
        let segment = dir.appendingPathComponent(firstSegment)
        var bytes = try Data(contentsOf: segment)
        let start = frameOffset(events, 2)
        bytes[start + 12] ^= 0x01
        try bytes.write(to: segment)
        let (seen, report) = try await replay(dir, acceptDamage: true)
        #expect(seen == Array(events.prefix(2)))
        #expect(report.damage.count == 1)
        #expect(report.damage.first?.offset == start)
        #expect(report.damage.first?.reason == .checksumMismatch)
        #expect(report.damage.first?.keptAs == firstSegment + ".damaged")
        let files = try journalFiles(dir)
        #expect(files.contains(firstSegment + ".damaged") && !files.contains(firstSegment))
        #expect(try Data(contentsOf: dir.appendingPathComponent(firstSegment + ".damaged")) == bytes)
    }
}

@Test func zeroLengthSegmentsAreHarmless() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(3)
        try await writeJournal(dir, events)
        let empty = ["segment-0000000000000000.log", "segment-0000000000000009.log"]
        for name in empty { try Data().write(to: dir.appendingPathComponent(name)) }
        let (seen, report) = try await replay(dir)
        #expect(seen == events)
        #expect(report.damage.isEmpty && report.tornTails.isEmpty)
        #expect(try journalFiles(dir).allSatisfy { !empty.contains($0) })
    }
}

@Test func aGarbageSegmentIsDamageEvenWhenNewest() async throws {
    try await withTemporaryDirectory { dir in
        try await writeJournal(dir, sampleEvents(3))
        var generator = SplitMix(seed: 42)
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for name in ["segment-0000000000000005.log", "segment-0000000000000000.log"] {
            let path = dir.appendingPathComponent(name)
            try Data(garbage).write(to: path)
            let found = await damage(of: dir)
            #expect(found?.map(\.segment) == [name])
            #expect(found?.first?.reason == .badHeader)
            try FileManager.default.removeItem(at: path)
        }
    }
}

@Test func aHalfWrittenMagicOnTheNewestSegmentIsATornTail() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(2)
        try await writeJournal(dir, events)
        let partial = "segment-0000000000000007.log"
        try Data(JournalFrame.segmentMagic.prefix(3)).write(to: dir.appendingPathComponent(partial))
        let (seen, report) = try await replay(dir)
        #expect(seen == events)
        #expect(report.tornTails == [TornTail(segment: partial, offset: 0, droppedBytes: 3)])
        #expect(try !journalFiles(dir).contains(partial))
    }
}

/// A small seeded generator so garbage is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func segmentsRollOverAtTheSizeLimitAndReplayInOrder() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(200)
        let (journal, _) = try Journal.open(directory: dir, options: Journal.Options(segmentSize: 4096)) { _ in }
        for event in events { try await journal.append(event) }
        await journal.close()
        let segments = try journalFiles(dir).filter { $0.hasPrefix("segment-") }
        #expect(segments.count > 3)
        let (seen, report) = try await replay(dir)
        #expect(seen == events)
        #expect(report.filesRead.count == segments.count)
    }
}

/// Writes `single` one append each, then `batch` as one group commit; returns the segment's
/// bytes, as a crash right after that commit leaves them (`unseal`), and where each of
/// `batch`'s frames starts.
private func writeWithALastBatch(
    _ directory: URL, single: [OutboxEvent], batch: [OutboxEvent]
) async throws -> (bytes: Data, frames: [Int]) {
    let (journal, _) = try Journal.open(directory: directory) { _ in }
    for event in single { try await journal.append(event) }
    try await journal.append(contentsOf: batch)
    await journal.close()
    var frames: [Int] = []
    var offset = dataEnd(single) + JournalFrame.batchMarker.count
    for event in batch {
        frames.append(offset)
        offset += frameSize(event)
    }
    try unseal(directory, at: offset)
    return (try Data(contentsOf: directory.appendingPathComponent(firstSegment)), frames)
}

/// A trial directory under `parent` holding `bytes` as the first segment.
private func trialJournal(_ parent: URL, _ name: String, _ bytes: Data) throws -> URL {
    let trial = parent.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: trial, withIntermediateDirectories: true)
    try bytes.write(to: trial.appendingPathComponent(firstSegment))
    return trial
}

@Test func aGroupCommitWhosePagesLandedOutOfOrderIsATornTail() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(6)
        let single = Array(events.prefix(2))
        let batch = Array(events.suffix(4))
        let (bytes, frames) = try await writeWithALastBatch(
            dir.appendingPathComponent("source"), single: single, batch: batch)
        let batchStart = dataEnd(single)
        #expect(bytes[batchStart..<frames[0]].elementsEqual(JournalFrame.batchMarker), "each commit starts with a marker")
        // A crash before the commit's fdatasync returned: parts of the batch never reached the
        // disk (the zeros preallocated under them remain) or hold stale bytes, while frames
        // after them did land. Nothing of the batch was acknowledged.
        let trials: [(String, Range<Int>, UInt8, [OutboxEvent], Int)] = [
            ("second-frame-lost", frames[1]..<frames[2], 0, single + [batch[0]], frames[1]),
            ("marker-and-first-frame-lost", batchStart..<frames[1], 0, single, batchStart),
            ("third-frame-stale", frames[2]..<frames[3], 0x5A, single + Array(batch.prefix(2)), frames[2]),
        ]
        for (name, range, fill, expected, cut) in trials {
            var torn = bytes
            for i in range { torn[i] = fill }
            let trial = try trialJournal(dir, name, torn)
            let (seen, report) = try await replay(trial)
            #expect(seen == expected, "\(name)")
            // What is cut counts up to the batch's last byte, not the zeros written ahead after it.
            let dropped = endBeforeTrailingZeros([UInt8](torn)) - cut
            #expect(report.tornTails == [TornTail(segment: firstSegment, offset: cut, droppedBytes: dropped)], "\(name)")
            #expect(report.damage.isEmpty, "\(name)")
            #expect(try Data(contentsOf: trial.appendingPathComponent(firstSegment)).count == cut, "\(name)")
        }
    }
}

@Test func aPageLostFromAnEarlierGroupCommitIsDamage() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(6)
        let single = Array(events.prefix(3))
        let (bytes, _) = try await writeWithALastBatch(
            dir.appendingPathComponent("source"), single: single, batch: Array(events.suffix(3)))
        // The second commit was durable before the third was written: its loss is damage.
        let start = frameOffset(single, 1)
        var damaged = bytes
        for i in start..<(start + frameSize(single[1])) { damaged[i] = 0 }
        let trial = try trialJournal(dir, "lost", damaged)
        let found = await damage(of: trial)
        #expect(found?.map(\.offset) == [start])
        #expect(try Data(contentsOf: trial.appendingPathComponent(firstSegment)) == damaged, "refusing must not touch the file")
    }
}

@Test func segmentsWrittenBeforeBatchMarkersAreReadAndJudgedAsBefore() async throws {
    try await withTemporaryDirectory { dir in
        let events = sampleEvents(4)
        var bytes = JournalFrame.unmarkedSegmentMagic
        var offsets: [Int] = []
        for event in events {
            offsets.append(bytes.count)
            JournalFrame.encode(event, into: &bytes)
        }
        let end = bytes.count
        bytes += [UInt8](repeating: 0, count: 4096)
        let (seen, report) = try await replay(try trialJournal(dir, "clean", Data(bytes)))
        #expect(seen == events && report.isClean)
        // Without markers a bad spot with any intact frame after it is damage ...
        var lost = bytes
        for i in offsets[2]..<offsets[3] { lost[i] = 0 }
        #expect(await damage(of: try trialJournal(dir, "lost", Data(lost)))?.map(\.offset) == [offsets[2]])
        // ... and one with none after it a torn tail.
        var flipped = bytes
        flipped[end - 1] ^= 0xFF
        let (kept, tornReport) = try await replay(try trialJournal(dir, "flipped", Data(flipped)))
        #expect(kept == Array(events.prefix(3)))
        #expect(tornReport.tornTails.map(\.offset) == [offsets[3]])
    }
}
